"""Which cameras run: the config file's, merged with changes made through the API.

Changes made at run time (add, change, disable, remove) are stored, so they
survive a restart. The config file stays authoritative for what the user
edits in it: each stored camera remembers the fingerprint of the file
definition it was derived from, and when the file's definition of that camera
changes, the file wins again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pictag.config import CameraConfig


def fingerprint(camera: CameraConfig) -> str:
    """Stable hash of a camera definition (secrets included, never shown)."""
    text = json.dumps(camera.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredCamera:
    """A camera as the store keeps it."""

    config: CameraConfig
    origin: str | None  # fingerprint of the file definition it came from; None: added via the API
    deleted: bool = False


def merge_cameras(file_cameras: list[CameraConfig], stored: list[StoredCamera]) -> list[CameraConfig]:
    """The cameras to run, in file order then API-added order."""
    by_id = {s.config.id: s for s in stored}
    out: list[CameraConfig] = []
    for cam in file_cameras:
        kept = by_id.pop(cam.id, None)
        if kept is not None and kept.origin == fingerprint(cam):
            if not kept.deleted:
                out.append(kept.config)
        else:
            out.append(cam)
    out.extend(s.config for s in by_id.values() if not s.deleted)
    return out
