"""Live events: one JSON object each, with a ``type`` field.

Each kind is a frozen dataclass (`TrackStarted`, `LineCrossed`, ...) whose `to_json`
is the one place it becomes its JSON object: a plain dict that crosses actor boundaries,
goes to the WebSocket and is stored as it is. Every event carries ``type``, ``ts``
(ISO-8601 UTC), ``ts_unix`` (seconds) and, where it applies, ``camera_id``; track events
add ``track_id``, ``person_id`` and ``box``. A person's id is ``person_id`` in every event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

TRACK_STARTED: Final = "track.started"
TRACK_UPDATED: Final = "track.updated"
TRACK_ENDED: Final = "track.ended"
CAMERA_STATUS: Final = "camera.status"
IDENTITY_MATCHED: Final = "identity.matched"
IDENTITY_CREATED: Final = "identity.created"
VISIT_STARTED: Final = "visit.started"
VISIT_ENDED: Final = "visit.ended"
STAGE_DOWN: Final = "stage.down"
STAGE_UP: Final = "stage.up"
# Footfall (issue 17, docs/footfall.md): counting lines, zones, site occupancy.
LINE_CROSSED: Final = "line.crossed"
ZONE_ENTERED: Final = "zone.entered"
ZONE_LEFT: Final = "zone.left"
OCCUPANCY_CHANGED: Final = "occupancy.changed"
ALERT_RAISED: Final = "alert.raised"
ALERT_CLEARED: Final = "alert.cleared"

EVENT_TYPES: Final = frozenset(
    {
        TRACK_STARTED,
        TRACK_UPDATED,
        TRACK_ENDED,
        CAMERA_STATUS,
        IDENTITY_MATCHED,
        IDENTITY_CREATED,
        VISIT_STARTED,
        VISIT_ENDED,
        STAGE_DOWN,
        STAGE_UP,
        LINE_CROSSED,
        ZONE_ENTERED,
        ZONE_LEFT,
        OCCUPANCY_CHANGED,
        ALERT_RAISED,
        ALERT_CLEARED,
    }
)

Event = dict[str, Any]


def iso(ts: float) -> str:
    """Unix seconds → ISO-8601 UTC with milliseconds (``2026-11-24T10:00:00.123Z``)."""
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_event(event_type: str, ts: float | None = None, **fields: Any) -> Event:
    """Build an event dict; unknown types are a programming error.

    Raises:
        ValueError: ``event_type`` is not one of `EVENT_TYPES`.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    when = time.time() if ts is None else ts
    return {"type": event_type, "ts": iso(when), "ts_unix": when, **fields}


def box_list(xyxy: Any) -> list[float]:
    """A box as a JSON-friendly list of four rounded floats."""
    return [round(float(v), 1) for v in xyxy]


# ---- typed events ------------------------------------------------------------------------------
# Fields in the order they appear in the JSON object (after type, ts and ts_unix).


@dataclass(frozen=True, kw_only=True)
class TypedEvent:
    """Base of the typed events: ``ts`` (epoch seconds; None: now) and the JSON form."""

    TYPE: ClassVar[str]
    ts: float | None = None

    def to_json(self) -> Event:
        """The event's JSON object: ``type``, ``ts``, ``ts_unix``, then the fields in order."""
        body = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ts"}
        return make_event(self.TYPE, self.ts, **body)


@dataclass(frozen=True, kw_only=True)
class TrackUpdated(TypedEvent):
    """A decided track moved (sent every ``update_interval_s`` at most)."""

    TYPE: ClassVar[str] = TRACK_UPDATED
    camera_id: str
    track_id: int
    person_id: str | None
    box: list[float]
    confidence: float
    captured_at: str


@dataclass(frozen=True, kw_only=True)
class TrackStarted(TrackUpdated):
    """A track got its person id (sent at the decision; ``started_at``: its first sighting)."""

    TYPE: ClassVar[str] = TRACK_STARTED
    started_at: str


@dataclass(frozen=True, kw_only=True)
class TrackEnded(TypedEvent):
    """A decided track ended."""

    TYPE: ClassVar[str] = TRACK_ENDED
    camera_id: str
    track_id: int
    person_id: str | None
    box: list[float]
    started_at: str
    duration_s: float
    frames: int


@dataclass(frozen=True, kw_only=True)
class CameraStatusChanged(TypedEvent):
    """A camera's capture changed state (secret-free: ``reason`` never holds a URL)."""

    TYPE: ClassVar[str] = CAMERA_STATUS
    camera_id: str
    name: str
    status: str
    reason_code: str | None
    reason: str | None
    since: str


@dataclass(frozen=True, kw_only=True)
class IdentityMatched(TypedEvent):
    """A track was recognised as a known person."""

    TYPE: ClassVar[str] = IDENTITY_MATCHED
    camera_id: str
    track_id: int
    person_id: str
    similarity: float
    threshold: float
    crops: int


@dataclass(frozen=True, kw_only=True)
class IdentityCreated(TypedEvent):
    """A track became a new person (``best_similarity``: the closest known one, if any)."""

    TYPE: ClassVar[str] = IDENTITY_CREATED
    camera_id: str
    track_id: int
    person_id: str
    best_similarity: float | None
    crops: int


@dataclass(frozen=True, kw_only=True)
class VisitStarted(TypedEvent):
    """A person's visit began."""

    TYPE: ClassVar[str] = VISIT_STARTED
    camera_id: str
    person_id: str
    visit_id: str
    started_at: str
    returning: bool


@dataclass(frozen=True, kw_only=True)
class VisitEnded(TypedEvent):
    """A person's visit closed (after the gap without sightings)."""

    TYPE: ClassVar[str] = VISIT_ENDED
    person_id: str
    visit_id: str
    started_at: str
    ended_at: str
    dwell_s: float
    cameras: list[str]


@dataclass(frozen=True, kw_only=True)
class LineCrossed(TypedEvent):
    """A track crossed a counting line (docs/footfall.md)."""

    TYPE: ClassVar[str] = LINE_CROSSED
    camera_id: str
    line_id: str
    direction: str
    track_id: int
    person_id: str | None
    entrance: bool
    staff: bool


@dataclass(frozen=True, kw_only=True)
class ZoneEntered(TypedEvent):
    """A track entered a zone."""

    TYPE: ClassVar[str] = ZONE_ENTERED
    camera_id: str
    zone_id: str
    kind: str
    track_id: int
    person_id: str | None
    staff: bool


@dataclass(frozen=True, kw_only=True)
class ZoneLeft(TypedEvent):
    """A track left a zone (``reason``: why, e.g. walked out, track ended, zone changed)."""

    TYPE: ClassVar[str] = ZONE_LEFT
    camera_id: str
    zone_id: str
    kind: str
    track_id: int
    person_id: str | None
    entered_at: str
    dwell_s: float
    reason: str
    staff: bool


@dataclass(frozen=True, kw_only=True)
class OccupancyChanged(TypedEvent):
    """The site's occupancy changed."""

    TYPE: ClassVar[str] = OCCUPANCY_CHANGED
    occupancy: int
    previous: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class StageDown(TypedEvent):
    """A model stage stopped answering (its cameras turn ``error``); ``reason`` names why."""

    TYPE: ClassVar[str] = STAGE_DOWN
    stage: str
    kind: str
    node: str | None
    reason: str | None
    cameras: list[str]


@dataclass(frozen=True, kw_only=True)
class StageUp(StageDown):
    """A stage answers again (after a restart); same fields as `StageDown`."""

    TYPE: ClassVar[str] = STAGE_UP
