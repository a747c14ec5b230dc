"""Run-time edits of a camera's counting lines and zones (the API's create / update / delete).

Pure functions over `CameraConfig`: the controller actor applies them to the camera it holds,
persists the result and hands the new geometry to the identity stage. Every refusal is a
`GeometryEditError` (``pictag.cameras.errors``) naming the request field at fault; the API maps
its class to the HTTP status. Whether points lie *inside* the frame is checked against the size
the camera delivers (else ``cameras[].frame_size``); with neither known the edit is refused
rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from pictag.cameras.errors import FrameSizeUnknown, GeometryItemNotFound, InvalidGeometry
from pictag.config import CameraConfig
from pictag.config.geometry import MAX_LINES, MAX_ZONES, GeometryError, LineConfig, ZoneConfig, validate_geometry

GeometryKind = Literal["lines", "zones"]
EditAction = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class CameraGeometry:
    """A camera's lines and zones and the frame size they are in (None: not delivered yet)."""

    camera_id: str
    frame_size: tuple[int, int] | None
    lines: tuple[LineConfig, ...]
    zones: tuple[ZoneConfig, ...]


@dataclass(frozen=True)
class EditOutcome:
    """What an edit answers: the camera's new geometry and the item written (None for a delete)."""

    geometry: CameraGeometry
    item: LineConfig | ZoneConfig | None = None


def _id_field(kind: GeometryKind) -> str:
    return "line_id" if kind == "lines" else "zone_id"


def _parse(kind: GeometryKind, body: Mapping[str, Any]) -> LineConfig | ZoneConfig:
    model: type[LineConfig] | type[ZoneConfig] = LineConfig if kind == "lines" else ZoneConfig
    try:
        return model.model_validate(dict(body))
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise InvalidGeometry(str(first.get("msg", "invalid value")), field) from None


def _inside_frame(kind: GeometryKind, item: LineConfig | ZoneConfig, size: tuple[int, int] | None) -> None:
    if size is None:
        raise FrameSizeUnknown(
            "the camera's frame size is not known yet: wait until it delivers a frame, "
            "or set cameras[].frame_size in the configuration",
            "frame_size",
        )
    lines = [item] if isinstance(item, LineConfig) else []
    zones = [item] if isinstance(item, ZoneConfig) else []
    try:
        validate_geometry(lines, zones, size[0], size[1])
    except GeometryError as err:
        field = err.field.split(".", 1)[1] if err.field.startswith(f"{kind}[0].") else err.field
        raise InvalidGeometry(err.reason, field) from None


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
        InvalidGeometry: invalid input (duplicate id, outside the frame, too many).
        GeometryItemNotFound: no item ``item_id``.
        FrameSizeUnknown: neither ``frame_size`` nor ``camera.frame_size`` is known.
    """
    items: list[Any] = list(camera.lines if kind == "lines" else camera.zones)
    index = next((i for i, it in enumerate(items) if it.id == item_id), None)
    if action != "create" and index is None:
        raise GeometryItemNotFound(f"camera {camera.id!r} has no {kind[:-1]} {item_id!r}", _id_field(kind))
    item: LineConfig | ZoneConfig | None = None
    if action == "delete":
        del items[index]  # type: ignore[arg-type]
    else:
        fields = dict(body or {})
        if action == "update":
            if fields.get("id", item_id) != item_id:
                raise InvalidGeometry("the id cannot change: delete and create instead", "id")
            fields["id"] = item_id
        item = _parse(kind, fields)
        if action == "create":
            if any(it.id == item.id for it in items):
                raise InvalidGeometry(f"duplicate id {item.id!r}: camera {camera.id!r} already has one", "id")
            limit = MAX_LINES if kind == "lines" else MAX_ZONES
            if len(items) >= limit:
                raise InvalidGeometry(f"{limit} {kind} per camera at most", kind)
        _inside_frame(kind, item, frame_size or camera.frame_size)
        if action == "create":
            items.append(item)
        else:
            items[index] = item  # type: ignore[index]
    return camera.model_copy(update={kind: items}), item
