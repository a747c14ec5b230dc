"""A metadata-only stand-in for ``torchvision``, so Ultralytics' tracker imports on CPU torch.

Why: ``import ultralytics`` reads ``importlib.metadata.version("torchvision")`` at
import time, but our training extra pins the local CPU build of torch 2.13, and
the torchvision wheel on PyPI is built against the CUDA torch (its C ops fail
with ``torchvision::nms does not exist``). The reference tracker
(``ultralytics.trackers.byte_tracker``) never touches torchvision itself: it only
needs the *version* lookup to succeed.

What: `install` registers, for this process only, a finder that answers
``importlib.metadata`` queries for ``torchvision`` with the version that matches
the installed torch (torch 2.N ↔ torchvision 0.N+15). It provides no module: an
actual ``import torchvision`` still fails loudly. Nothing is written to disk or
site-packages, and it is never installed when a real torchvision is present.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_NAME = "torchvision"


def _matching_version() -> str:
    """torchvision release paired with the installed torch (0.28.0 for torch 2.13)."""
    try:
        major, minor = md.version("torch").split("+")[0].split(".")[:2]
    except (md.PackageNotFoundError, ValueError):
        return "0.0.0"
    return f"0.{int(minor) + 15}.0" if major == "2" else "0.0.0"


class _StubDistribution(md.Distribution):
    """Answers metadata reads for torchvision with a name and a version only."""

    def __init__(self, version: str) -> None:
        self._text = (
            f"Metadata-Version: 2.1\nName: {_NAME}\nVersion: {version}\n"
            "Summary: pictag metadata stand-in\n"
        )

    def read_text(self, filename: str) -> str | None:
        return self._text if filename in ("METADATA", "PKG-INFO") else None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path(os.fspath(path))


class _StubFinder:
    """A ``sys.meta_path`` entry that finds no modules but does find the stand-in distribution."""

    def __init__(self, version: str) -> None:
        self.version = version

    def find_spec(self, *args: Any, **kwargs: Any) -> None:
        return None

    def find_distributions(self, context: Any = None) -> Iterator[md.Distribution]:
        name = getattr(context, "name", None)
        if name is None or name.replace("-", "_").lower() == _NAME:
            yield _StubDistribution(self.version)


def needed() -> bool:
    """True when no real torchvision is installed."""
    return importlib.util.find_spec(_NAME) is None


def install() -> bool:
    """Register the stand-in if torchvision is missing; returns whether it is active."""
    if any(isinstance(f, _StubFinder) for f in sys.meta_path):
        return True
    if not needed():
        return False
    sys.meta_path.append(_StubFinder(_matching_version()))
    return True
