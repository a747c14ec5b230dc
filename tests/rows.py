"""Store records for tests: `TrackRecord`, `VisitRecord`, `IdentityRecord` with the obvious defaults.

The pipeline builds these from its own state (``Sighting.record``, ``Visit.record``,
``IdentityMeta.record``); tests that write rows directly build them here.
"""

from __future__ import annotations

from collections.abc import Iterable

from pictag.storage.records import Box, IdentityRecord, TrackRecord, VisitRecord, sighting_id


def sighting(
    camera_id: str,
    track_id: int,
    started_at: float,
    *,
    last_seen_at: float | None = None,
    person_id: str | None = None,
    ended_at: float | None = None,
    frames: int = 0,
    best_box: Box | None = None,
    last_box: Box | None = None,
    mean_confidence: float | None = None,
) -> TrackRecord:
    """A sighting upsert; its id is `sighting_id`, last seen defaults to the start."""
    return TrackRecord(
        id=sighting_id(camera_id, track_id, started_at),
        camera_id=camera_id,
        track_id=track_id,
        person_id=person_id,
        started_at=started_at,
        last_seen_at=started_at if last_seen_at is None else last_seen_at,
        ended_at=ended_at,
        frames=frames,
        best_box=best_box,
        last_box=last_box,
        mean_confidence=mean_confidence,
    )


def visit(
    id: str,
    person_id: str,
    started_at: float,
    *,
    last_seen_at: float | None = None,
    ended_at: float | None = None,
    cameras: Iterable[str] = (),
    dwell_s: float | None = None,
    closed: bool | None = None,
) -> VisitRecord:
    """A visit upsert: last seen defaults to the end (or start), dwell to the span, closed to "has an end"."""
    last = last_seen_at if last_seen_at is not None else (ended_at if ended_at is not None else started_at)
    return VisitRecord(
        id=id,
        person_id=person_id,
        started_at=started_at,
        last_seen_at=last,
        ended_at=ended_at,
        cameras=tuple(cameras),
        dwell_s=dwell_s if dwell_s is not None else max(0.0, (ended_at or last) - started_at),
        closed=ended_at is not None if closed is None else closed,
    )


def identity(id: str, created_at: float, *, last_seen_at: float | None = None, n_sightings: int = 0) -> IdentityRecord:
    """An identity upsert; last seen defaults to its creation."""
    return IdentityRecord(
        id=id,
        created_at=created_at,
        last_seen_at=created_at if last_seen_at is None else last_seen_at,
        n_sightings=n_sightings,
    )
