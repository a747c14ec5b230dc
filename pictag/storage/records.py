"""What the store returns: small frozen dataclasses (domain types, not API schemas).

Times are epoch seconds (UTC floats); the API layer renders ISO-8601. Boxes
are ``(x1, y1, x2, y2)`` in frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class CameraRecord:
    """A camera as stored: never with credentials (``url_redacted`` only)."""

    id: str
    name: str
    url_redacted: str
    enabled: bool
    analysis_fps: float
    settings: dict[str, Any]
    created_at: float
    updated_at: float
    deleted_at: float | None = None


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
    """One sighting: a confirmed track on one camera."""

    id: str
    camera_id: str
    track_id: int
    identity_id: str | None
    started_at: float
    last_seen_at: float
    ended_at: float | None
    frames: int
    best_box: Box | None
    last_box: Box | None
    mean_confidence: float | None


@dataclass(frozen=True)
class EventRecord:
    """A stored event; ``payload`` is the event dict as it was published."""

    id: int
    ts: float
    type: str
    camera_id: str | None
    identity_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class IdentityRecord:
    """A pseudonymous identity (random id, counters; no embeddings, no images)."""

    id: str
    created_at: float
    last_seen_at: float
    n_sightings: int
    n_prototypes: int


@dataclass(frozen=True)
class IdentityDetail:
    """One identity with what is stored about it (for the API's detail view)."""

    identity: IdentityRecord
    cameras: tuple[str, ...]
    n_tracks: int
    n_visits: int
    n_events: int
    first_seen_at: float | None


@dataclass(frozen=True)
class VisitRecord:
    """A visit: an identity's continuous presence (closed after a gap without sightings)."""

    id: str
    identity_id: str
    started_at: float
    last_seen_at: float
    ended_at: float | None
    cameras: tuple[str, ...]
    dwell_s: float
    closed: bool


@dataclass(frozen=True)
class HourCount:
    """Distinct visitors whose visits overlap the UTC hour starting at ``hour_start``."""

    hour_start: float
    visitors: int


@dataclass(frozen=True)
class StoreStats:
    """Answer to ``Store.stats``; see docs/storage.md for every definition."""

    since: float
    until: float
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
    last_flush_s: float = 0.0
    last_error: str | None = None
