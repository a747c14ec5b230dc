"""A camera's counting lines and zones, in pixels of the camera's frame.

Each item is checked on its own here (two distinct points; a simple polygon; coordinates
≥ 0); ids are checked for uniqueness per camera by `CameraConfig`. Whether the geometry lies
*inside* the frame needs the frame size, which is known only from ``cameras[].frame_size`` or
once the camera delivers: `validate_geometry` does that check for the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, field_validator

from pictag.config.base import ConfigModel
from pictag.errors import ConfigError
from pictag.footfall.geometry import polygon_problem

#: Ids of lines and zones: short, URL- and event-safe (the same shape as a camera id).
GEOMETRY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
#: Largest frame side we accept a coordinate for (8K is 7680).
MAX_COORD = 16384.0
MAX_ZONE_POINTS = 64
MAX_LINES = 32
MAX_ZONES = 32

Coord = Annotated[float, Field(ge=0.0, le=MAX_COORD, allow_inf_nan=False)]
PointXY = tuple[Coord, Coord]
ZoneKind = Literal["area", "queue", "staff"]


class LineConfig(ConfigModel):
    """A counting line: people whose feet cross it from side −1 to +1 go ``in``, back ``out``."""

    id: str = Field(
        description="Short id, unique on this camera; used in events and statistics.", pattern=GEOMETRY_ID_PATTERN
    )
    name: str = Field(default="", max_length=120, description="Human name shown on the dashboard; defaults to the id.")
    points: tuple[PointXY, PointXY] = Field(
        description=(
            "The two ends A, B as [[x1, y1], [x2, y2]] in frame pixels (0..16384). Seen on the image "
            "from A looking towards B, crossing from left to right is 'in', right to left 'out'."
        )
    )
    entrance: bool = Field(
        default=False,
        description="This line is a door of the site: its 'in' counts as footfall and moves occupancy.",
    )

    @field_validator("points")
    @classmethod
    def _distinct(cls, value: tuple[PointXY, PointXY]) -> tuple[PointXY, PointXY]:
        if value[0] == value[1]:
            raise ValueError("a line needs two different points")
        return value

    @property
    def display_name(self) -> str:
        """Name for people: the configured name, else the id."""
        return self.name or self.id


class ZoneConfig(ConfigModel):
    """A floor area: live count, entries and leaves with dwell time."""

    id: str = Field(
        description="Short id, unique on this camera; used in events and statistics.", pattern=GEOMETRY_ID_PATTERN
    )
    name: str = Field(default="", max_length=120, description="Human name shown on the dashboard; defaults to the id.")
    points: list[PointXY] = Field(
        min_length=3,
        max_length=MAX_ZONE_POINTS,
        description="Corners [[x, y], ...] in frame pixels (0..16384), in order; the outline must not cross itself.",
    )
    kind: ZoneKind = Field(
        default="area",
        description=(
            "area: a part of the shop; queue: its length and estimated wait are reported; "
            "staff: whoever is seen in it is staff for the day."
        ),
    )

    @field_validator("points")
    @classmethod
    def _simple(cls, value: list[PointXY]) -> list[PointXY]:
        problem = polygon_problem([(float(x), float(y)) for x, y in value])
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def display_name(self) -> str:
        """Name for people: the configured name, else the id."""
        return self.name or self.id


class GeometryError(ConfigError):
    """A line or zone does not fit the camera; ``field`` names it (``lines[0].points[1]``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")


def check_unique_ids(items: Sequence[LineConfig | ZoneConfig], what: str) -> None:
    """Two lines (or zones) with one id would merge their counts.

    Raises:
        ValueError: naming the duplicated id and its position.
    """
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise ValueError(f"{what}[{index}].id: duplicate id {item.id!r} on this camera")
        seen.add(item.id)


def validate_geometry(lines: Sequence[LineConfig], zones: Sequence[ZoneConfig], width: int, height: int) -> None:
    """Check a camera's lines and zones against its frame size (the API calls this on every change).

    Points may lie on the frame's edge (x = width is the right edge) but not beyond it.

    Raises:
        GeometryError: the first problem, ``field`` naming it (``lines[1].id``, ``zones[0].points[2]``).
    """
    if width <= 0 or height <= 0:
        raise GeometryError("frame_size", f"frame size must be positive, got {width}x{height}")
    groups: tuple[tuple[str, Sequence[LineConfig | ZoneConfig]], ...] = (("lines", lines), ("zones", zones))
    for what, items in groups:
        try:
            check_unique_ids(items, what)
        except ValueError as err:
            field, _, message = str(err).partition(": ")
            raise GeometryError(field, message) from None
        for index, item in enumerate(items):
            for k, (x, y) in enumerate(item.points):
                if x > width or y > height:
                    raise GeometryError(
                        f"{what}[{index}].points[{k}]",
                        f"({x:g}, {y:g}) lies outside the {width}x{height} frame",
                    )
