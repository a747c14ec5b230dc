"""``/api/v1/cameras/{id}/lines`` and ``/api/v1/cameras/{id}/zones``: counting lines and zones.

List, create, update (PUT replaces the item; its id stays) and delete. Every change is checked
against the frame size the camera delivers, persisted with the camera and applied at once by
the identity stage's footfall engine — the camera's capture is not restarted. Bad input
answers 422 naming the field (``points[1]``, ``points``, ``id``, ``camera_id``); an unknown
line or zone 404; a camera whose frame size is not known yet 409.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pictag.config.geometry import GEOMETRY_ID_PATTERN, MAX_COORD, MAX_ZONE_POINTS, LineConfig, ZoneConfig
from pictag.footfall.editing import CameraGeometry, EditOutcome
from pictag.footfall.geometry import polygon_problem
from pictag.serve.schemas.cameras import Line, LineList, Zone, ZoneList
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["lines and zones"])

Coord = Annotated[float, Field(ge=0.0, le=MAX_COORD, allow_inf_nan=False)]
Point = tuple[Coord, Coord]
GeometryId = Annotated[str, Field(pattern=GEOMETRY_ID_PATTERN, description="Short id, unique on this camera.")]
CameraIdPath = Annotated[str, Path(max_length=64, description="The camera's id.")]
Name = Annotated[str, Field(max_length=120, description="Shown on the dashboard; defaults to the id.")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineUpdate(_Body):
    """A line without its id (PUT replaces the line named in the path)."""

    name: Name = ""
    points: tuple[Point, Point] = Field(
        description="[[x1, y1], [x2, y2]] in frame pixels; crossing from left to right of A→B is 'in'."
    )
    entrance: bool = Field(default=False, description="A door of the site: its 'in' is footfall.")

    @field_validator("points")
    @classmethod
    def _distinct(cls, value: tuple[Point, Point]) -> tuple[Point, Point]:
        if value[0] == value[1]:
            raise ValueError("a line needs two different points")
        return value


class LineCreate(LineUpdate):
    """A new line."""

    id: GeometryId


class ZoneUpdate(_Body):
    """A zone without its id (PUT replaces the zone named in the path)."""

    name: Name = ""
    points: list[Point] = Field(
        min_length=3, max_length=MAX_ZONE_POINTS, description="Corners [[x, y], ...] in frame pixels, in order."
    )
    kind: Literal["area", "queue", "staff"] = Field(default="area", description="area, queue or staff.")

    @field_validator("points")
    @classmethod
    def _simple(cls, value: list[Point]) -> list[Point]:
        problem = polygon_problem([(float(x), float(y)) for x, y in value])
        if problem is not None:
            raise ValueError(problem)
        return value


class ZoneCreate(ZoneUpdate):
    """A new zone."""

    id: GeometryId


def line_out(line: LineConfig) -> Line:
    """The API form of a line."""
    return Line(id=line.id, name=line.name, points=[list(p) for p in line.points], entrance=line.entrance)


def zone_out(zone: ZoneConfig) -> Zone:
    """The API form of a zone."""
    return Zone(id=zone.id, name=zone.name, points=[list(p) for p in zone.points], kind=zone.kind)


async def _geometry(services: Services, camera_id: str) -> CameraGeometry:
    geometry: CameraGeometry = await services.controller.camera_geometry.remote(camera_id)
    return geometry


async def _edit(services: Services, camera_id: str, *args: Any) -> EditOutcome:
    outcome: EditOutcome = await services.controller.edit_geometry.remote(camera_id, *args)
    return outcome


def _size(geometry: CameraGeometry) -> list[int] | None:
    return list(geometry.frame_size) if geometry.frame_size else None


@router.get("/cameras/{camera_id}/lines", response_model=LineList, summary="A camera's counting lines")
async def list_lines(camera_id: CameraIdPath, services: Services = Depends(get_services)) -> LineList:
    """The lines in frame pixels, with the frame size they refer to."""
    g = await _geometry(services, camera_id)
    return LineList(camera_id=camera_id, frame_size=_size(g), items=[line_out(ln) for ln in g.lines])


@router.post("/cameras/{camera_id}/lines", status_code=201, response_model=Line, summary="Add a counting line")
async def create_line(camera_id: CameraIdPath, body: LineCreate, services: Services = Depends(get_services)) -> Line:
    """Validated against the camera's frame, persisted, counted from the next frame on."""
    outcome = await _edit(services, camera_id, "lines", "create", None, body.model_dump(mode="json"))
    return line_out(cast(LineConfig, outcome.item))


@router.put("/cameras/{camera_id}/lines/{line_id}", response_model=Line, summary="Change a counting line")
async def update_line(
    camera_id: CameraIdPath,
    line_id: Annotated[str, Path(max_length=64)],
    body: LineUpdate,
    services: Services = Depends(get_services),
) -> Line:
    """Replace a line's name, points and entrance flag (its counts so far stay with its id)."""
    outcome = await _edit(services, camera_id, "lines", "update", line_id, body.model_dump(mode="json"))
    return line_out(cast(LineConfig, outcome.item))


@router.delete("/cameras/{camera_id}/lines/{line_id}", status_code=204, summary="Remove a counting line")
async def delete_line(
    camera_id: CameraIdPath, line_id: Annotated[str, Path(max_length=64)], services: Services = Depends(get_services)
) -> Response:
    """Stop counting on a line (its stored crossings stay)."""
    await _edit(services, camera_id, "lines", "delete", line_id, None)
    return Response(status_code=204)


@router.get("/cameras/{camera_id}/zones", response_model=ZoneList, summary="A camera's zones")
async def list_zones(camera_id: CameraIdPath, services: Services = Depends(get_services)) -> ZoneList:
    """The zones in frame pixels, with the frame size they refer to."""
    g = await _geometry(services, camera_id)
    return ZoneList(camera_id=camera_id, frame_size=_size(g), items=[zone_out(z) for z in g.zones])


@router.post("/cameras/{camera_id}/zones", status_code=201, response_model=Zone, summary="Add a zone")
async def create_zone(camera_id: CameraIdPath, body: ZoneCreate, services: Services = Depends(get_services)) -> Zone:
    """Validated against the camera's frame (inside it, not self-intersecting), persisted, applied live."""
    outcome = await _edit(services, camera_id, "zones", "create", None, body.model_dump(mode="json"))
    return zone_out(cast(ZoneConfig, outcome.item))


@router.put("/cameras/{camera_id}/zones/{zone_id}", response_model=Zone, summary="Change a zone")
async def update_zone(
    camera_id: CameraIdPath,
    zone_id: Annotated[str, Path(max_length=64)],
    body: ZoneUpdate,
    services: Services = Depends(get_services),
) -> Zone:
    """Replace a zone's name, points and kind; people inside a changed zone leave it (reason zone_changed)."""
    outcome = await _edit(services, camera_id, "zones", "update", zone_id, body.model_dump(mode="json"))
    return zone_out(cast(ZoneConfig, outcome.item))


@router.delete("/cameras/{camera_id}/zones/{zone_id}", status_code=204, summary="Remove a zone")
async def delete_zone(
    camera_id: CameraIdPath, zone_id: Annotated[str, Path(max_length=64)], services: Services = Depends(get_services)
) -> Response:
    """Stop following a zone (its stored presences stay)."""
    await _edit(services, camera_id, "zones", "delete", zone_id, None)
    return Response(status_code=204)
