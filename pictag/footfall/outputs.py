"""What the footfall engine reports: one frozen dataclass per kind of happening.

The identity stage turns them into live events (``line.crossed``, ``zone.entered``,
``zone.left``) and store rows after filling in ``person_id`` (`dataclasses.replace`): the
engine itself knows only track ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["in", "out"]
ZoneKind = Literal["area", "queue", "staff"]
#: Why a presence in a zone ended: the person walked out, the tracker gave the track up,
#: the camera stopped, or the zone was edited or removed.
LeaveReason = Literal["walked_out", "track_ended", "camera_stopped", "zone_changed"]
OccupancyReason = Literal["crossing", "reconciled", "reset"]


@dataclass(frozen=True)
class LineCrossing:
    """A confirmed track's feet crossed a line and stayed on the new side.

    Attributes:
        ts: when the feet were first seen on the new side (the crossing itself; the engine
            reports it ``crossing_frames - 1`` frames later, once confirmed).
        entrance: the line is an entrance: its crossings are footfall and move occupancy.
    """

    camera_id: str
    line_id: str
    direction: Direction
    track_id: int
    ts: float
    entrance: bool = False
    person_id: str | None = None


@dataclass(frozen=True)
class ZoneEntered:
    """A track's feet are inside a zone (for ``zone_frames`` frames); ``ts`` is the first of them."""

    camera_id: str
    zone_id: str
    kind: ZoneKind
    track_id: int
    ts: float
    person_id: str | None = None


@dataclass(frozen=True)
class ZoneLeft:
    """A track's presence in a zone ended.

    Attributes:
        ts: the first frame outside (walked out), else the track's last sighting.
        entered_ts: the matching `ZoneEntered.ts`.
        dwell_s: ``ts - entered_ts``.
    """

    camera_id: str
    zone_id: str
    kind: ZoneKind
    track_id: int
    ts: float
    entered_ts: float
    dwell_s: float
    reason: LeaveReason = "walked_out"
    person_id: str | None = None


@dataclass(frozen=True)
class OccupancyChanged:
    """The site's occupancy moved: an entrance crossing, a reconciliation with the people in view, a reset."""

    ts: float
    occupancy: int
    previous: int
    reason: OccupancyReason


FootfallEvent = LineCrossing | ZoneEntered | ZoneLeft | OccupancyChanged
