"""Live events: one JSON object each, with a ``type`` field.

Events are plain dicts (they cross actor boundaries and go straight to the
WebSocket as JSON). Every event carries ``type``, ``ts`` (ISO-8601 UTC),
``ts_unix`` (seconds) and, where it applies, ``camera_id``; track events add
``track_id``, ``person_id`` and ``box``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Final

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
