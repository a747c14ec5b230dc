"""Write the generated configuration reference into README.md (``python -m pictag.config.readme_sync``)."""

from __future__ import annotations

import sys
from pathlib import Path

from pictag.config.reference import END, START, markdown_reference


def sync(readme: Path) -> bool:
    """Replace the marked section; True if the file changed."""
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = head + markdown_reference() + tail
    if new != text:
        readme.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":
    changed = sync(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README.md updated" if changed else "README.md already up to date")
