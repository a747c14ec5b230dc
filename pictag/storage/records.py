"""The store's records: one frozen dataclass per table, the same type written and read back.

`TrackRecord` is a ``sightings`` row, `IdentityRecord` an ``identities`` row and
`VisitRecord` a ``visits`` row: the pipeline builds them (``Sighting.record``,
``IdentityMeta.record``, ``Visit.record``), the store buffers and upserts them,
and its queries return them. Domain types, not API schemas.

Times are epoch seconds (UTC floats), declared with `EPOCH` metadata so a renderer finds them
by field, not by name (`epoch_fields`); the API layer shows them as ISO-8601. Boxes
are ``(x1, y1, x2, y2)`` in frame pixels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]

#: Field metadata of a time in epoch seconds (UTC): ``field(metadata=EPOCH)``. Renderers find
#: times by this declaration (`epoch_fields`), never by a field's name.
EPOCH: dict[str, bool] = {"epoch_seconds": True}


def epoch_fields(record: object) -> frozenset[str]:
    """Names of the fields of a dataclass (instance or class) declared with `EPOCH` metadata."""
    if not dataclasses.is_dataclass(record):
        return frozenset()
    return frozenset(f.name for f in dataclasses.fields(record) if f.metadata.get("epoch_seconds"))


def sighting_id(camera_id: str, track_id: int, started_at: float) -> str:
    """Stable unique key of a sighting (camera, track, start time): its ``sightings.id``."""
    return f"{camera_id}:{track_id}:{started_at:.3f}"


@dataclass(frozen=True)
class CameraRecord:
    """A camera as stored: never with credentials (``url_redacted`` only)."""

    id: str
    name: str
    url_redacted: str
    enabled: bool
    analysis_fps: float
    settings: dict[str, Any]
    created_at: float = field(metadata=EPOCH)
    updated_at: float = field(metadata=EPOCH)
    deleted_at: float | None = field(default=None, metadata=EPOCH)


@dataclass(frozen=True)
class StoredCamera:
    """A camera to start: the record plus its full URL from the secrets file.

    ``missing_secret`` is True when the stored URL was redacted but no secret
    was found (the secrets file was lost): the camera cannot connect until its
    URL is entered again.
    """

    record: CameraRecord
    url: str = field(repr=False)
    missing_secret: bool = False


@dataclass(frozen=True)
class TrackRecord:
    """One ``sightings`` row: a confirmed track on one camera (written as upserts, read by the API).

    On write, None means "unknown": the stored value is kept (``ended_at``,
    ``person_id``, boxes, ``mean_confidence``); ``started_at`` takes the
    earliest, ``last_seen_at`` and ``frames`` the largest value seen.
    ``id`` is `sighting_id` of camera, track and start.
    """

    id: str
    camera_id: str
    track_id: int
    person_id: str | None
    started_at: float = field(metadata=EPOCH)
    last_seen_at: float = field(metadata=EPOCH)
    ended_at: float | None = field(default=None, metadata=EPOCH)
    frames: int = 0
    best_box: Box | None = None
    last_box: Box | None = None
    mean_confidence: float | None = None


@dataclass(frozen=True)
class EventRecord:
    """A stored event; ``payload`` is the event dict as it was published."""

    id: int
    ts: float = field(metadata=EPOCH)
    type: str
    camera_id: str | None
    person_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class IdentityRecord:
    """One ``identities`` row: a pseudonymous identity (random id, counters; no embeddings, no images).

    On write the earliest ``created_at`` and the largest ``last_seen_at`` and
    ``n_sightings`` win. ``n_prototypes`` is not a column: reads count the
    identity's stored prototypes, writes ignore it (prototypes go through
    ``Store.put_prototypes``).
    """

    id: str
    created_at: float = field(metadata=EPOCH)
    last_seen_at: float = field(metadata=EPOCH)
    n_sightings: int = 0
    n_prototypes: int = 0


@dataclass(frozen=True)
class IdentityDetail:
    """One identity with what is stored about it (for the API's detail view)."""

    identity: IdentityRecord
    cameras: tuple[str, ...]
    n_tracks: int
    n_visits: int
    n_events: int
    first_seen_at: float | None = field(default=None, metadata=EPOCH)


@dataclass(frozen=True)
class VisitRecord:
    """One ``visits`` row: an identity's continuous presence (closed after a gap without sightings).

    Written by the identity stage (``Visit.record``) and read back by the API and
    at start-up. On write the widest span, the longest dwell and the union of
    cameras win, and a closed visit stays closed.
    """

    id: str
    person_id: str
    started_at: float = field(metadata=EPOCH)
    last_seen_at: float = field(metadata=EPOCH)
    ended_at: float | None = field(default=None, metadata=EPOCH)
    cameras: tuple[str, ...] = ()
    dwell_s: float = 0.0
    closed: bool = False


@dataclass(frozen=True)
class HourCount:
    """Distinct visitors whose visits overlap the UTC hour starting at ``hour_start``."""

    hour_start: float = field(metadata=EPOCH)
    visitors: int


@dataclass(frozen=True)
class StoreStats:
    """Answer to ``Store.stats``; see docs/storage.md for every definition."""

    since: float = field(metadata=EPOCH)
    until: float = field(metadata=EPOCH)
    camera: str | None
    occupancy: dict[str, int]
    unique_visitors: int
    returning_visitors: int
    closed_visits: int
    avg_dwell_s: float | None
    median_dwell_s: float | None
    visitors_per_hour: tuple[HourCount, ...]


@dataclass(frozen=True)
class Gallery:
    """Identity prototypes for the gallery reload.

    Attributes:
        ids: identity ids, shape (n,).
        last_seen_at: per identity, (n,) float64.
        n_sightings: per identity, (n,) int64.
        owner: index into ``ids`` of each prototype row, (m,) int64.
        slots: prototype slot of each row, (m,) int64.
        embeddings: prototypes, (m, d) float32, as stored (not re-normalised).
    """

    ids: tuple[str, ...]
    last_seen_at: npt.NDArray[np.float64]
    n_sightings: npt.NDArray[np.int64]
    owner: npt.NDArray[np.int64]
    slots: npt.NDArray[np.int64]
    embeddings: npt.NDArray[np.float32]


@dataclass
class WriteCounters:
    """Buffer and flush counters (for /api/v1/health and logs). Drops are never silent."""

    pending: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    flushes: int = 0
    failed_flushes: int = 0
    #: Times the DuckDB connection was opened again (`Store.reopen`, every storage.reopen_interval_s).
    reopens: int = 0
    last_flush_s: float = 0.0
    last_error: str | None = None
