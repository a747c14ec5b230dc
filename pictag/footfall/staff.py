"""Staff without faces: who is staff on which day, and the filter that leaves them out of figures.

Rule: a person (re-id identity) seen *entering* a ``staff`` zone on a local day is staff for
that whole day — before and after that moment, so the morning's entry through the door does
not count as footfall either once the stored figures are computed. Manual marks override the
rule: a mark for a day beats a mark for every day, which beats what the zones say. Days start
at ``day_start_hour`` (``identity.day_start_hour``) in the site's time zone, as identities do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pictag.footfall.hours import OpeningHours
from pictag.footfall.outputs import ZoneEntered


@dataclass(frozen=True)
class StaffMark:
    """A manual decision: ``person_id`` is (``staff=True``) or is not staff on ``day`` (None: every day)."""

    person_id: str
    staff: bool
    day: dt.date | None = None


class StaffRegister:
    """Staff per day from staff-zone sightings and manual marks (what the live pipeline keeps).

    The same answers for stored data come from `staff_by_day`, so live and stored figures agree.
    """

    def __init__(self, hours: OpeningHours, day_start_hour: int = 0) -> None:
        self._hours = hours
        self.day_start_hour = day_start_hour
        self._seen: dict[dt.date, set[str]] = {}
        self._marks: dict[tuple[str, dt.date | None], bool] = {}

    def day(self, ts: float) -> dt.date:
        """The local day an instant belongs to."""
        return self._hours.local_date(ts, self.day_start_hour)

    def seen_in_staff_zone(self, person_id: str, ts: float) -> bool:
        """Record a staff-zone entry; True if this made the person staff (it was not before)."""
        was = self.is_staff(person_id, ts)
        self._seen.setdefault(self.day(ts), set()).add(person_id)
        return not was and self.is_staff(person_id, ts)

    def mark(self, mark: StaffMark) -> None:
        """Apply a manual mark or unmark."""
        self._marks[(mark.person_id, mark.day)] = mark.staff

    def clear_mark(self, person_id: str, day: dt.date | None = None) -> None:
        """Remove a manual decision (the zone rule applies again)."""
        self._marks.pop((person_id, day), None)

    def is_staff(self, person_id: str, ts: float) -> bool:
        """Is this person staff at ``ts`` (on that local day)?"""
        return self.is_staff_on(person_id, self.day(ts))

    def is_staff_on(self, person_id: str, day: dt.date) -> bool:
        """Is this person staff on a local day? Day mark, else every-day mark, else the zone rule."""
        for key in ((person_id, day), (person_id, None)):
            if key in self._marks:
                return self._marks[key]
        return person_id in self._seen.get(day, ())

    def staff_on(self, day: dt.date) -> frozenset[str]:
        """Everybody who is staff on a day."""
        candidates = set(self._seen.get(day, ())) | {p for (p, d), v in self._marks.items() if v and d in (day, None)}
        return frozenset(p for p in candidates if self.is_staff_on(p, day))

    def marks(self) -> list[StaffMark]:
        """Every manual decision (for the API's list)."""
        return [
            StaffMark(p, v, d) for (p, d), v in sorted(self._marks.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
        ]

    def forget_person(self, person_id: str) -> None:
        """Erasure: the person's sightings and marks go."""
        for seen in self._seen.values():
            seen.discard(person_id)
        self._marks = {k: v for k, v in self._marks.items() if k[0] != person_id}

    def forget_before(self, day: dt.date) -> None:
        """Drop zone sightings of days before ``day`` (day-scoped marks too); every-day marks stay."""
        self._seen = {d: s for d, s in self._seen.items() if d >= day}
        self._marks = {k: v for k, v in self._marks.items() if k[1] is None or k[1] >= day}


def staff_by_day(
    entries: Iterable[ZoneEntered],
    marks: Iterable[StaffMark],
    hours: OpeningHours,
    days: Iterable[dt.date],
    day_start_hour: int = 0,
) -> dict[dt.date, frozenset[str]]:
    """The staff set of each requested day, from stored zone entries and manual marks.

    Args:
        entries: stored `ZoneEntered` with their person ids (entries of other kinds are ignored).
        marks: every manual `StaffMark`.
        hours: the site's hours (for its time zone).
        days: the local days wanted.
        day_start_hour: when a day starts (``identity.day_start_hour``).
    """
    register = StaffRegister(hours, day_start_hour)
    for e in entries:
        if e.kind == "staff" and e.person_id is not None:
            register.seen_in_staff_zone(e.person_id, e.ts)
    for m in marks:
        register.mark(m)
    return {d: register.staff_on(d) for d in days}


@dataclass(frozen=True)
class StaffFilter:
    """Callable ``(person_id, ts) -> True`` when that person is staff on ts's local day."""

    staff: dict[dt.date, frozenset[str]]
    hours: OpeningHours
    day_start_hour: int = 0

    def __call__(self, person_id: str, ts: float) -> bool:
        """True for staff."""
        return person_id in self.staff.get(self.hours.local_date(ts, self.day_start_hour), frozenset())


def staff_filter(staff: dict[dt.date, frozenset[str]], hours: OpeningHours, day_start_hour: int = 0) -> StaffFilter:
    """A ``(person_id, ts) -> bool`` that is True for staff, for the `pictag.footfall.stats` functions."""
    return StaffFilter(staff, hours, day_start_hour)
