"""Visits: an identity's continuous presence in the shop.

A visit opens at the first sighting of an identity that has no open visit and closes once the
identity has not been seen for ``gap_s`` (default 10 min) and no live track holds it; it ends
at the last sighting, so its dwell time is last sighting - first sighting. Cameras seen during
the visit are collected. An identity with an earlier closed visit is a *returning* visitor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from pictag.storage.records import VisitRecord


def new_visit_id() -> str:
    """A random visit id."""
    return "v_" + secrets.token_hex(6)


@dataclass
class Visit:
    """One visit as the visit book follows it (stored as a `VisitRecord`)."""

    id: str
    person_id: str
    started_at: float
    last_seen_at: float
    cameras: set[str] = field(default_factory=set)
    ended_at: float | None = None

    @property
    def closed(self) -> bool:
        """True once the visit ended."""
        return self.ended_at is not None

    @property
    def dwell_s(self) -> float:
        """Seconds from the first to the last sighting."""
        return max(0.0, (self.ended_at or self.last_seen_at) - self.started_at)

    def record(self) -> VisitRecord:
        """The ``visits`` row for the store (a frozen snapshot: the visit goes on changing)."""
        return VisitRecord(
            id=self.id,
            person_id=self.person_id,
            started_at=self.started_at,
            last_seen_at=self.last_seen_at,
            ended_at=self.ended_at,
            cameras=tuple(sorted(self.cameras)),
            dwell_s=self.dwell_s,
            closed=self.closed,
        )

    @classmethod
    def from_record(cls, record: VisitRecord) -> Visit:
        """A stored visit back in the visit book (a closed one without an end ends at its last sighting)."""
        ended = (record.ended_at if record.ended_at is not None else record.last_seen_at) if record.closed else None
        return cls(
            id=record.id,
            person_id=record.person_id,
            started_at=record.started_at,
            last_seen_at=record.last_seen_at,
            cameras=set(record.cameras),
            ended_at=ended,
        )


class VisitBook:
    """Open visits of every identity, and how many visits each has closed."""

    def __init__(self, gap_s: float) -> None:
        if gap_s <= 0:
            raise ValueError(f"gap_s must be > 0, got {gap_s}")
        self.gap_s = gap_s
        self._open: dict[str, Visit] = {}
        self._closed: dict[str, int] = {}

    def touch(self, person_id: str, camera_id: str, ts: float) -> tuple[Visit, bool, Visit | None]:
        """Record a sighting.

        Returns:
            ``(visit, started, closed)``: the identity's open visit, whether it just started,
            and the previous visit when this sighting came more than ``gap_s`` after its last
            one (the closing check had not run yet: it is closed here, before the new one).
        """
        visit = self._open.get(person_id)
        closed = None
        if visit is not None and ts - visit.last_seen_at > self.gap_s:
            self._close(visit)
            closed, visit = visit, None
        if visit is None:
            visit = Visit(new_visit_id(), person_id, ts, ts, {camera_id})
            self._open[person_id] = visit
            return visit, True, closed
        visit.last_seen_at = max(visit.last_seen_at, ts)
        visit.cameras.add(camera_id)
        return visit, False, None

    def _close(self, visit: Visit) -> None:
        visit.ended_at = visit.last_seen_at
        self._open.pop(visit.person_id, None)
        self._closed[visit.person_id] = self._closed.get(visit.person_id, 0) + 1

    def close_due(self, now: float, live: set[str] | frozenset[str] = frozenset()) -> list[Visit]:
        """Close the visits unseen for more than ``gap_s`` whose identity no live track holds."""
        due = [v for v in self._open.values() if now - v.last_seen_at > self.gap_s and v.person_id not in live]
        for visit in due:
            self._close(visit)
        return due

    def close_all(self) -> list[Visit]:
        """Close every open visit now (end of an evaluation run)."""
        visits = list(self._open.values())
        for visit in visits:
            self._close(visit)
        return visits

    def open_visit(self, person_id: str) -> Visit | None:
        """The identity's open visit, if any."""
        return self._open.get(person_id)

    def open_visits(self) -> list[Visit]:
        """Every open visit."""
        return list(self._open.values())

    def closed_visits(self, person_id: str) -> int:
        """How many visits of this identity have closed (> 0: a returning visitor)."""
        return self._closed.get(person_id, 0)

    def resume(self, visit: Visit) -> None:
        """Reload a stored visit at start-up (open ones continue, closed ones are counted)."""
        if visit.closed:
            self._closed[visit.person_id] = self._closed.get(visit.person_id, 0) + 1
            return
        current = self._open.get(visit.person_id)
        if current is None or current.started_at < visit.started_at:
            self._open[visit.person_id] = visit

    def drop(self, person_id: str) -> None:
        """Forget an identity's visits (erasure)."""
        self._open.pop(person_id, None)
        self._closed.pop(person_id, None)
