"""Write a calibrated ``reid.threshold`` into a PicTag YAML file, keeping everything else.

The edit is textual so the user's comments, order and formatting survive: the ``threshold:``
line inside the top-level ``reid:`` block is replaced, or inserted as the block's first
entry, or a ``reid:`` block is appended. The result is validated as a whole configuration
before it replaces the file (atomically); a file that would not validate is left untouched.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import yaml

from pictag.errors import ConfigError

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")
_CHILD = re.compile(r"^(\s+)([A-Za-z_][\w-]*)\s*:(.*)$")


def _format(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0.0"


def set_reid_threshold(text: str, value: float) -> str:
    """``text`` with ``reid.threshold`` set to ``value`` (see the module docstring).

    Raises:
        ConfigError: ``reid`` is written in flow style (``reid: {...}``), which this
            line editor does not rewrite.
    """
    lines = text.splitlines(keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if (m := _TOP_KEY.match(line)) and m.group(1) == "reid"),
        None,
    )
    formatted = _format(value)
    if start is None:
        sep = "" if not text or text.endswith("\n") else "\n"
        return f"{text}{sep}reid:\n  threshold: {formatted}  # pictag calibrate\n"
    rest = _TOP_KEY.match(lines[start]).group(2).split("#")[0].strip()  # type: ignore[union-attr]
    if rest:
        raise ConfigError(
            f"reid section on line {start + 1} is written inline ({rest!r}): write it as a block "
            "(reid:\\n  threshold: ...) or set reid.threshold by hand"
        )
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    indent = "  "
    for i in range(start + 1, end):
        m = _CHILD.match(lines[i].rstrip("\n"))
        if m is None:
            continue
        indent = m.group(1)
        if m.group(2) == "threshold" and len(m.group(1)) == len(indent):
            comment = m.group(3).split("#", 1)
            tail = f"  #{comment[1]}" if len(comment) > 1 else ""
            newline = "\n" if lines[i].endswith("\n") else ""
            lines[i] = f"{indent}threshold: {formatted}{tail.rstrip()}{newline}"
            return "".join(lines)
        break
    if not lines[start].endswith("\n"):
        lines[start] += "\n"
    lines.insert(start + 1, f"{indent}threshold: {formatted}  # pictag calibrate\n")
    return "".join(lines)


def write_threshold(path: str | Path, value: float) -> Path:
    """Set ``reid.threshold`` in a config file (created when missing), validated, atomically.

    Raises:
        ConfigError: the edited file is not a valid PicTag configuration (file unchanged).
    """
    from pictag.config.loader import parse_config

    p = Path(path).expanduser()
    text = p.read_text(encoding="utf-8") if p.exists() else ""
    new = set_reid_threshold(text, value)
    try:
        data = yaml.safe_load(new) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config={p} reason=invalid_yaml after the edit ({err}); file left unchanged") from None
    parse_config(data, source=str(p))
    if float(data["reid"]["threshold"]) != round(value, 4):
        raise ConfigError(f"config={p} reason=edit_failed; set reid.threshold: {_format(value)} by hand")
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=str(p.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(new)
        if p.exists():
            os.chmod(tmp, p.stat().st_mode & 0o777)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
