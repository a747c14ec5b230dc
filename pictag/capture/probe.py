"""Diagnose why a source did not open (OpenCV only says "not opened").

Placeholder for files and devices; network probing follows.
"""

from __future__ import annotations

import os
from pathlib import Path

from pictag.capture import reasons
from pictag.capture.reasons import Failure
from pictag.capture.url import SourceKind, SourceSpec


def diagnose_file(spec: SourceSpec) -> Failure:
    """Why a local file did not open: missing, a directory, unreadable or undecodable."""
    path = Path(str(spec.target))
    if not path.exists():
        return Failure(
            reasons.NOT_FOUND, f"file {path} does not exist; check the path", retry=False
        )
    if path.is_dir():
        return Failure(reasons.NOT_FOUND, f"{path} is a directory, not a video file", retry=False)
    if not os.access(path, os.R_OK):
        return Failure(
            reasons.OPEN_FAILED, f"file {path} is not readable; check its permissions", retry=False
        )
    return Failure(
        reasons.UNSUPPORTED_CODEC,
        f"FFmpeg cannot decode {path.name}; convert it to H.264 MP4",
        retry=False,
    )


def diagnose(spec: SourceSpec, *, timeout_s: float = 3.0) -> Failure:
    """The most specific `Failure` we can find for a source that did not open."""
    if spec.kind is SourceKind.FILE:
        return diagnose_file(spec)
    if spec.kind is SourceKind.DEVICE:
        return Failure(
            reasons.DEVICE_UNAVAILABLE,
            f"{spec.redacted} cannot be opened; is the camera plugged in and free?",
        )
    return Failure(reasons.OPEN_FAILED, f"{spec.redacted} did not open within the timeout")
