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
from typing import Any

from pictag.config import CameraConfig


def fingerprint(camera: CameraConfig) -> str:
    """Stable hash of a camera definition (secrets included, never shown)."""
    text = json.dumps(camera.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SavedCamera:
    """A camera as the store keeps it."""

    config: CameraConfig
    origin: str | None  # fingerprint of the file definition it came from; None: added via the API
    deleted: bool = False


def merge_cameras(file_cameras: list[CameraConfig], stored: list[SavedCamera]) -> list[CameraConfig]:
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


#: Columns of their own in the store; everything else of a camera goes to its settings JSON.
_COLUMNS = {"id", "url", "name", "enabled", "analysis_fps"}
DELETED_URL = "deleted:"


def camera_settings(camera: CameraConfig, origin: str | None) -> dict[str, Any]:
    """The settings JSON stored next to a camera's columns (no URL: secrets live elsewhere)."""
    settings: dict[str, Any] = camera.model_dump(mode="json", exclude=_COLUMNS)
    settings["origin"] = origin
    return settings


def saved_camera(
    camera_id: str,
    *,
    name: str,
    url: str,
    enabled: bool,
    analysis_fps: float,
    settings: dict[str, Any],
    deleted: bool = False,
) -> SavedCamera:
    """Rebuild a stored camera (a tombstone when ``deleted``)."""
    fields = {k: v for k, v in settings.items() if k != "origin" and k in CameraConfig.model_fields}
    url = DELETED_URL if deleted else url
    config = CameraConfig(id=camera_id, name=name, url=url, enabled=enabled, analysis_fps=analysis_fps, **fields)
    return SavedCamera(config=config, origin=settings.get("origin"), deleted=deleted)
