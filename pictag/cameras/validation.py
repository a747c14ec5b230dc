"""Validating requests to add or change cameras and the live settings, before anything runs.

Each function either returns the validated value or raises a `pictag.cameras.errors` refusal
naming the request field at fault (``analysis_fps``, ``id``, ``lines[0].points[1]``), with the
same models and messages as the configuration file, so the API and `pictag config check` agree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from pictag.cameras.errors import (
    CameraExists,
    CameraIdImmutable,
    CameraNotFound,
    InvalidCameraConfig,
    SettingsRefused,
    TooManyCameras,
)
from pictag.config import CameraConfig, PictagConfig
from pictag.config.geometry import GeometryError, validate_geometry
from pictag.config.loader import format_validation_error
from pictag.config.root import MAX_CAMERAS
from pictag.errors import PictagError
from pictag.live_settings import SettingsError, apply_patch

T = TypeVar("T")

#: Camera fields that apply live; a change to any other field restarts the camera's capture.
LIVE_CAMERA_FIELDS = frozenset({"name", "lines", "zones"})


def known_camera(cameras: Mapping[str, T], camera_id: str) -> T:
    """The camera ``camera_id``.

    Raises:
        CameraNotFound: no such camera.
    """
    cam = cameras.get(camera_id)
    if cam is None:
        raise CameraNotFound(f"no camera {camera_id!r}", "camera_id")
    return cam


def invalid_camera(err: ValidationError) -> InvalidCameraConfig:
    """A camera validation error as a refusal naming its first field."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    return InvalidCameraConfig("; ".join(format_validation_error(err)), field)


def new_camera(body: Mapping[str, Any], existing: Collection[str]) -> CameraConfig:
    """A camera to add, validated against the ones that run.

    Raises:
        InvalidCameraConfig: the body does not validate as a camera.
        CameraExists: a camera with its id exists.
        TooManyCameras: `MAX_CAMERAS` run already.
    """
    try:
        config = CameraConfig.model_validate(dict(body))
    except ValidationError as err:
        raise invalid_camera(err) from None
    if config.id in existing:
        raise CameraExists(f"camera {config.id!r} already exists", "id")
    if len(existing) >= MAX_CAMERAS:
        raise TooManyCameras(f"{MAX_CAMERAS} cameras at most; remove one first")
    return config


@dataclass(frozen=True)
class CameraChange:
    """A validated change of a running camera and what it takes to apply it.

    Attributes:
        config: the camera after the change.
        restart: a field other than name, lines or zones changed: its capture restarts.
        geometry: its lines or zones changed (applied live by the identity stage).
    """

    config: CameraConfig
    restart: bool
    geometry: bool


def camera_change(current: CameraConfig, patch: Mapping[str, Any], frame_size: tuple[int, int] | None) -> CameraChange:
    """A partial change of ``current`` applied and validated.

    Args:
        patch: the fields to change (a camera's id never changes).
        frame_size: ``(width, height)`` to check lines and zones against; None skips that check.

    Raises:
        CameraIdImmutable: the patch renames the camera.
        InvalidCameraConfig: the changed camera does not validate, or a line or zone leaves the frame.
    """
    if "id" in patch and patch["id"] != current.id:
        raise CameraIdImmutable("a camera's id cannot change", "id")
    try:
        config = CameraConfig.model_validate({**current.model_dump(), **patch})
        if frame_size is not None:
            validate_geometry(config.lines, config.zones, *frame_size)
    except ValidationError as err:
        raise invalid_camera(err) from None
    except GeometryError as err:
        raise InvalidCameraConfig(str(err), err.field) from None
    restart = config.model_dump(exclude=set(LIVE_CAMERA_FIELDS)) != current.model_dump(exclude=set(LIVE_CAMERA_FIELDS))
    geometry = (config.lines, config.zones) != (current.lines, current.zones)
    return CameraChange(config, restart, geometry)


def settings_change(config: PictagConfig, patch: Any) -> PictagConfig:
    """The configuration with a live settings patch applied; ``reid.threshold: auto`` resolved.

    Raises:
        SettingsRefused: an unknown or read-only field, an invalid value, or ``auto`` with a
            model that carries no calibrated threshold.
    """
    from pictag.reid.threshold import resolve_reid  # reads the model's files: only when needed

    try:
        changed = apply_patch(config, patch)
    except SettingsError as err:
        raise SettingsRefused(err.detail, err.field) from None
    if not isinstance(changed.reid.threshold, str):
        return changed
    try:  # "auto": back to the model's own threshold
        reid, _ = resolve_reid(changed.reid, changed.assets_dir)
    except PictagError as err:
        raise SettingsRefused(str(err), "reid.threshold") from None
    return changed.model_copy(update={"reid": reid})
