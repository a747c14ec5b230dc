"""The bounded write buffer: rows validated on arrival, coalesced by key, counted when dropped.

Rows (the typed records of `pictag.storage.records`) are checked when they
are added, so a bad row fails its caller at once and can never poison a later
flush. Updates to the same sighting, visit or
identity within one flush interval collapse into one row (a track sends many
``track.updated`` upserts; only the newest state needs writing). When the
buffer holds ``max_pending`` rows, new keys are dropped and counted; updates
of keys already pending are always accepted (they do not grow the buffer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from pictag.errors import StorageError
from pictag.redaction import redact_text
from pictag.storage.records import IdentityRecord, TrackRecord, VisitRecord

KINDS = ("events", "sightings", "identities", "prototypes", "visits")
#: Separator for list columns passed as one string per row (ids never contain it).
LIST_SEP = "\x1f"

Columns = dict[str, npt.NDArray[Any]]

K = TypeVar("K", TrackRecord, IdentityRecord, VisitRecord)


def _float(value: Any, *, field_name: str, required: bool = False) -> float | None:
    if value is None:
        if required:
            raise StorageError(f"field={field_name} reason=missing; the row needs a number here")
        return None
    try:
        out = float(value)
    except (TypeError, ValueError) as err:
        raise StorageError(f"field={field_name} reason=not_a_number value_type={type(value).__name__}") from err
    if not math.isfinite(out):
        raise StorageError(f"field={field_name} reason=not_finite; pass None for 'unknown'")
    return out


def _required_float(value: Any, *, field_name: str) -> float:
    out = _float(value, field_name=field_name, required=True)
    if out is None:  # unreachable: required=True raises first; narrows the type
        raise StorageError(f"field={field_name} reason=missing")
    return out


def _text(value: Any, *, field_name: str, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise StorageError(f"field={field_name} reason=missing; the row needs a non-empty id")
        return None
    text = str(value)
    if LIST_SEP in text or "\x00" in text or len(text) > 512:
        raise StorageError(f"field={field_name} reason=bad_id; ids are short printable strings")
    return text


def _box(value: Any, *, field_name: str) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.shape != (4,) or not np.isfinite(arr).all():
        raise StorageError(f"field={field_name} reason=bad_box; expected 4 finite numbers x1,y1,x2,y2")
    return (float(arr[0]), float(arr[1]), float(arr[2]), float(arr[3]))


def scrub_value(value: Any) -> Any:
    """Redact URL credentials in every string of a JSON-like value (defence in depth)."""
    if isinstance(value, str):
        return redact_text(value) if ("://" in value or "=" in value) else value
    if isinstance(value, Mapping):
        return {str(k): scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_value(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Scrubbed, compact JSON (numpy scalars and arrays become numbers and lists)."""
    return json.dumps(scrub_value(value), separators=(",", ":"), default=_json_default)


def json_needle(person_id: str) -> str:
    """How an id appears as a string value in a payload written by `to_json` (quotes included)."""
    return json.dumps(person_id)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def normalise_event(event: Mapping[str, Any], now: float) -> tuple[float, str, str | None, str | None, str]:
    """(ts, type, camera_id, person_id, payload_json) of a published event dict."""
    etype = _text(event.get("type"), field_name="event.type", required=True)
    ts_raw = event.get("ts_unix", event.get("ts"))
    ts = _float(ts_raw, field_name="event.ts_unix") if not isinstance(ts_raw, str) else None
    camera = _text(event.get("camera_id"), field_name="event.camera_id")
    # Events name the person ``person_id``; ``identity_id``, its old key, still fills the column.
    named = event.get("person_id") if event.get("person_id") is not None else event.get("identity_id")
    person = _text(named, field_name="event.person_id")
    return (now if ts is None else ts, str(etype), camera, person, to_json(dict(event)))


def check_sighting(row: TrackRecord) -> TrackRecord:
    """Validate a sighting upsert before it is buffered (ids, finite times, boxes).

    Raises:
        StorageError: a field the row needs is missing or malformed (naming the field).
    """
    _text(row.id, field_name="sighting.id", required=True)
    _text(row.camera_id, field_name="sighting.camera_id", required=True)
    if isinstance(row.track_id, bool) or not isinstance(row.track_id, int | np.integer):
        raise StorageError("field=sighting.track_id reason=missing; pass the tracker's integer id")
    _text(row.person_id, field_name="sighting.person_id")
    started = _required_float(row.started_at, field_name="sighting.started_at")
    last_seen = _required_float(row.last_seen_at, field_name="sighting.last_seen_at")
    return replace(
        row,
        track_id=int(row.track_id),
        started_at=started,
        last_seen_at=last_seen,
        ended_at=_float(row.ended_at, field_name="sighting.ended_at"),
        frames=max(0, int(row.frames)),
        best_box=_box(row.best_box, field_name="sighting.best_box"),
        last_box=_box(row.last_box, field_name="sighting.last_box"),
        mean_confidence=_float(row.mean_confidence, field_name="sighting.mean_confidence"),
    )


def merge_sighting(old: TrackRecord, new: TrackRecord) -> TrackRecord:
    """Newest known state of one sighting from two pending upserts (None keeps the older value)."""
    return replace(
        new,
        person_id=new.person_id if new.person_id is not None else old.person_id,
        started_at=min(old.started_at, new.started_at),
        last_seen_at=max(old.last_seen_at, new.last_seen_at),
        ended_at=new.ended_at if new.ended_at is not None else old.ended_at,
        frames=max(old.frames, new.frames),
        best_box=new.best_box if new.best_box is not None else old.best_box,
        last_box=new.last_box if new.last_box is not None else old.last_box,
        mean_confidence=new.mean_confidence if new.mean_confidence is not None else old.mean_confidence,
    )


def check_identity(row: IdentityRecord) -> IdentityRecord:
    """Validate an identity upsert (id, finite times, a count).

    Raises:
        StorageError: a malformed field (naming it).
    """
    _text(row.id, field_name="identity.id", required=True)
    created = _required_float(row.created_at, field_name="identity.created_at")
    last_seen = _required_float(row.last_seen_at, field_name="identity.last_seen_at")
    return replace(row, created_at=created, last_seen_at=last_seen, n_sightings=int(row.n_sightings))


def merge_identity(old: IdentityRecord, new: IdentityRecord) -> IdentityRecord:
    """Earliest creation, latest sighting, largest count."""
    return replace(
        new,
        created_at=min(old.created_at, new.created_at),
        last_seen_at=max(old.last_seen_at, new.last_seen_at),
        n_sightings=max(old.n_sightings, new.n_sightings),
    )


def check_visit(row: VisitRecord) -> VisitRecord:
    """Validate a visit upsert; its cameras are stored sorted and once each.

    Raises:
        StorageError: a malformed field (naming it).
    """
    _text(row.id, field_name="visit.id", required=True)
    _text(row.person_id, field_name="visit.person_id", required=True)
    started = _required_float(row.started_at, field_name="visit.started_at")
    last_seen = _required_float(row.last_seen_at, field_name="visit.last_seen_at")
    cameras = {_text(c, field_name="visit.cameras") for c in row.cameras}
    return replace(
        row,
        started_at=started,
        last_seen_at=last_seen,
        ended_at=_float(row.ended_at, field_name="visit.ended_at"),
        cameras=tuple(sorted(c for c in cameras if c)),
        dwell_s=_required_float(row.dwell_s, field_name="visit.dwell_s"),
        closed=bool(row.closed),
    )


def merge_visit(old: VisitRecord, new: VisitRecord) -> VisitRecord:
    """Newest state of a visit: widest span, longest dwell, united cameras, closed stays closed."""
    return replace(
        new,
        started_at=min(old.started_at, new.started_at),
        last_seen_at=max(old.last_seen_at, new.last_seen_at),
        dwell_s=max(old.dwell_s, new.dwell_s),
        cameras=tuple(sorted(set(old.cameras) | set(new.cameras))),
        ended_at=new.ended_at if new.ended_at is not None else old.ended_at,
        closed=new.closed or old.closed,
    )


@dataclass
class Batch:
    """Everything taken out of the buffer for one flush."""

    events: list[tuple[float, str, str | None, str | None, str]] = field(default_factory=list)
    sightings: list[TrackRecord] = field(default_factory=list)
    identities: list[IdentityRecord] = field(default_factory=list)
    prototypes: dict[str, tuple[npt.NDArray[np.float32], float]] = field(default_factory=dict)
    visits: list[VisitRecord] = field(default_factory=list)

    def sizes(self) -> dict[str, int]:
        """Rows per kind."""
        return {
            "events": len(self.events),
            "sightings": len(self.sightings),
            "identities": len(self.identities),
            "prototypes": len(self.prototypes),
            "visits": len(self.visits),
        }

    def __len__(self) -> int:
        return sum(self.sizes().values())


class WriteBuffer:
    """Pending rows of every kind, bounded by ``max_pending`` in total."""

    def __init__(self, max_pending: int) -> None:
        if max_pending < 1:
            raise StorageError(f"max_pending={max_pending} reason=out_of_range; use at least 1")
        self.max_pending = max_pending
        self.dropped: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._events: list[tuple[float, str, str | None, str | None, str]] = []
        self._sightings: dict[str, TrackRecord] = {}
        self._identities: dict[str, IdentityRecord] = {}
        self._prototypes: dict[str, tuple[npt.NDArray[np.float32], float]] = {}
        self._visits: dict[str, VisitRecord] = {}

    def __len__(self) -> int:
        return (
            len(self._events) + len(self._sightings) + len(self._identities) + len(self._prototypes) + len(self._visits)
        )

    def pending(self) -> dict[str, int]:
        """Rows waiting per kind."""
        return {
            "events": len(self._events),
            "sightings": len(self._sightings),
            "identities": len(self._identities),
            "prototypes": len(self._prototypes),
            "visits": len(self._visits),
        }

    def _room(self, kind: str) -> bool:
        if len(self) < self.max_pending:
            return True
        self.dropped[kind] += 1
        return False

    def add_events(self, rows: Iterable[tuple[float, str, str | None, str | None, str]]) -> int:
        """Queue normalised events; returns how many were accepted."""
        accepted = 0
        for row in rows:
            if self._room("events"):
                self._events.append(row)
                accepted += 1
        return accepted

    def add_sighting(self, row: TrackRecord) -> bool:
        """Queue or merge a checked sighting upsert (`check_sighting`)."""
        return self._add_keyed("sightings", self._sightings, row.id, row, merge_sighting)

    def add_identity(self, row: IdentityRecord) -> bool:
        """Queue or merge a checked identity upsert (`check_identity`)."""
        return self._add_keyed("identities", self._identities, row.id, row, merge_identity)

    def add_visit(self, row: VisitRecord) -> bool:
        """Queue or merge a checked visit upsert (`check_visit`)."""
        return self._add_keyed("visits", self._visits, row.id, row, merge_visit)

    def _add_keyed(self, kind: str, table: dict[str, K], key: str, row: K, merge: Callable[[K, K], K]) -> bool:
        if key in table:
            table[key] = merge(table[key], row)
            return True
        if not self._room(kind):
            return False
        table[key] = row
        return True

    def add_prototypes(self, person_id: str, embeddings: npt.NDArray[np.float32], updated_at: float) -> bool:
        """Queue the full prototype set of one identity (replaces a pending one)."""
        if person_id not in self._prototypes and not self._room("prototypes"):
            return False
        self._prototypes[person_id] = (embeddings, updated_at)
        return True

    def forget_identity(self, person_id: str) -> None:
        """Remove pending rows naming an identity (erasure must not be undone by a flush)."""
        needle = json_needle(person_id)
        self._events = [e for e in self._events if e[3] != person_id and needle not in e[4]]
        self._sightings = {k: v for k, v in self._sightings.items() if v.person_id != person_id}
        self._identities.pop(person_id, None)
        self._prototypes.pop(person_id, None)
        self._visits = {k: v for k, v in self._visits.items() if v.person_id != person_id}

    def take(self) -> Batch:
        """Move every pending row into a `Batch` (the buffer is empty afterwards)."""
        batch = Batch(
            events=self._events,
            sightings=list(self._sightings.values()),
            identities=list(self._identities.values()),
            prototypes=self._prototypes,
            visits=list(self._visits.values()),
        )
        self._events, self._sightings, self._identities = [], {}, {}
        self._prototypes, self._visits = {}, {}
        return batch

    def put_back(self, batch: Batch) -> None:
        """Return a batch whose flush failed, in front of newer rows (newer state wins)."""
        newer = self.take()
        self._events = batch.events + newer.events
        self._sightings = {r.id: r for r in batch.sightings}
        self._identities = {r.id: r for r in batch.identities}
        self._visits = {r.id: r for r in batch.visits}
        self._prototypes = dict(batch.prototypes)
        for sighting in newer.sightings:
            self.add_sighting(sighting)
        for identity in newer.identities:
            self.add_identity(identity)
        for visit in newer.visits:
            self.add_visit(visit)
        self._prototypes.update(newer.prototypes)


def strings(values: Iterable[str | None]) -> npt.NDArray[np.str_]:
    """Fixed-width unicode column ('' = NULL).

    DuckDB scans numpy ``U`` arrays natively; Python lists and object arrays go
    through per-value conversion that is ~100x slower on DuckDB 1.5 without pandas.
    """
    out = np.array([v or "" for v in values], dtype=np.str_)
    return out if out.size else np.zeros(0, dtype="U1")


def floats(values: Iterable[float | None]) -> npt.NDArray[np.float64]:
    """Float column (NaN = NULL)."""
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def box_columns(prefix: str, boxes: list[tuple[float, float, float, float] | None]) -> Columns:
    """Four float columns ``<prefix>0..3`` (NaN = no box)."""
    arr = np.full((len(boxes), 4), np.nan, dtype=np.float64)
    for i, box in enumerate(boxes):
        if box is not None:
            arr[i] = box
    return {f"{prefix}{j}": np.ascontiguousarray(arr[:, j]) for j in range(4)}
