"""Run-time edits of a camera's counting lines and zones (the API's create / update / delete).

Pure functions over `CameraConfig`: the controller actor applies them to the camera it holds,
persists the result and hands the new geometry to the identity stage. Every refusal is a
`GeometryEditError` with the HTTP status the API answers and the request field at fault.
Whether points lie *inside* the frame is checked against the size the camera delivers (else
``cameras[].frame_size``); with neither known the edit is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from pictag.config import CameraConfig
from pictag.config.geometry import MAX_LINES, MAX_ZONES, GeometryError, LineConfig, ZoneConfig, validate_geometry
from pictag.errors import ConfigError

GeometryKind = Literal["lines", "zones"]
EditAction = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class EditRefusal:
    """Why an edit was refused: the HTTP status, an error code, the request field, what to do."""

    status: int
    error: str
    field: str | None
    detail: str


class GeometryEditError(ConfigError):
    """A refused edit: ``status`` (404, 409, 422), ``error`` code, ``field`` of the request at fault."""

    def __init__(self, status: int, error: str, field: str | None, detail: str) -> None:
        super().__init__(f"{field}: {detail}" if field else detail)
        self.status = status
        self.error = error
        self.field = field
        self.detail = detail

    def refusal(self) -> EditRefusal:
        """The refusal as a plain record (it crosses actor boundaries; exceptions with custom
        constructors do not unpickle)."""
        return EditRefusal(self.status, self.error, self.field, self.detail)


@dataclass(frozen=True)
class CameraGeometry:
    """A camera's lines and zones and the frame size they are in (None: not delivered yet)."""

    camera_id: str
    frame_size: tuple[int, int] | None
    lines: tuple[LineConfig, ...]
    zones: tuple[ZoneConfig, ...]


@dataclass(frozen=True)
class EditOutcome:
    """What an edit answers: the camera's new geometry and the item written, or the refusal."""

    geometry: CameraGeometry | None = None
    item: LineConfig | ZoneConfig | None = None
    refusal: EditRefusal | None = None


def unknown_camera(camera_id: str) -> EditRefusal:
    """Issue 17: an unknown camera is bad input, 422 naming the field."""
    return EditRefusal(422, "invalid_request", "camera_id", f"no camera {camera_id!r}: see GET /api/v1/cameras")


def _id_field(kind: GeometryKind) -> str:
    return "line_id" if kind == "lines" else "zone_id"


def _parse(kind: GeometryKind, body: Mapping[str, Any]) -> LineConfig | ZoneConfig:
    model: type[LineConfig] | type[ZoneConfig] = LineConfig if kind == "lines" else ZoneConfig
    try:
        return model.model_validate(dict(body))
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise GeometryEditError(422, "invalid_geometry", field, str(first.get("msg", "invalid value"))) from None


def _inside_frame(kind: GeometryKind, item: LineConfig | ZoneConfig, size: tuple[int, int] | None) -> None:
    if size is None:
        raise GeometryEditError(
            409,
            "frame_size_unknown",
            "frame_size",
            "the camera's frame size is not known yet: wait until it delivers a frame, "
            "or set cameras[].frame_size in the configuration",
        )
    lines = [item] if isinstance(item, LineConfig) else []
    zones = [item] if isinstance(item, ZoneConfig) else []
    try:
        validate_geometry(lines, zones, size[0], size[1])
    except GeometryError as err:
        field = err.field.split(".", 1)[1] if err.field.startswith(f"{kind}[0].") else err.field
        raise GeometryEditError(422, "invalid_geometry", field, err.reason) from None


def edit_geometry(
    camera: CameraConfig,
    kind: GeometryKind,
    action: EditAction,
    *,
    item_id: str | None = None,
    body: Mapping[str, Any] | None = None,
    frame_size: tuple[int, int] | None = None,
) -> tuple[CameraConfig, LineConfig | ZoneConfig | None]:
    """Apply one edit to a camera's lines or zones.

    Args:
        camera: the camera as it runs.
        kind: ``lines`` or ``zones``.
        action: ``create`` (``body`` is the whole item), ``update`` (``body`` without the id:
            the item ``item_id`` is replaced) or ``delete`` (``item_id``).
        frame_size: ``(width, height)`` the camera delivers; None falls back to
            ``camera.frame_size``.

    Returns:
        The changed camera and the created or updated item (None for a delete).

    Raises:
        GeometryEditError: 422 for invalid input (duplicate id, outside the frame, too many),
            404 for an unknown ``item_id``, 409 when the frame size is not known.
    """
    items: list[Any] = list(camera.lines if kind == "lines" else camera.zones)
    index = next((i for i, it in enumerate(items) if it.id == item_id), None)
    if action != "create" and index is None:
        raise GeometryEditError(
            404, "not_found", _id_field(kind), f"camera {camera.id!r} has no {kind[:-1]} {item_id!r}"
        )
    item: LineConfig | ZoneConfig | None = None
    if action == "delete":
        del items[index]  # type: ignore[arg-type]
    else:
        fields = dict(body or {})
        if action == "update":
            if fields.get("id", item_id) != item_id:
                raise GeometryEditError(
                    422, "invalid_geometry", "id", "the id cannot change: delete and create instead"
                )
            fields["id"] = item_id
        item = _parse(kind, fields)
        if action == "create":
            if any(it.id == item.id for it in items):
                raise GeometryEditError(
                    422, "invalid_geometry", "id", f"duplicate id {item.id!r}: camera {camera.id!r} already has one"
                )
            limit = MAX_LINES if kind == "lines" else MAX_ZONES
            if len(items) >= limit:
                raise GeometryEditError(422, "invalid_geometry", kind, f"{limit} {kind} per camera at most")
        _inside_frame(kind, item, frame_size or camera.frame_size)
        if action == "create":
            items.append(item)
        else:
            items[index] = item  # type: ignore[index]
    return camera.model_copy(update={kind: items}), item
