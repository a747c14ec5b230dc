"""Footfall figures of a time window from stored rows: what ``/api/v1/stats`` and the funnel show.

Rules (docs/footfall.md):

- only *open hours* count: rows outside the site's opening hours (its local time zone,
  holidays and special days) are left out, and the window's open seconds are reported;
- *staff* are left out of every figure — a person is staff on a local day if they entered a
  ``staff`` zone that day or are marked so (`pictag.footfall.staff.staff_by_day`) — and are
  listed apart;
- site footfall = ``in`` over entrance lines of all cameras; visitors = distinct re-id
  identities with a visit during open hours, staff left out.

Pure functions over `pictag.storage.footfall.FootfallData`, so they are tested without a store.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pictag.footfall.hours import Interval, OpeningHours
from pictag.footfall.outputs import LineCrossing, ZoneEntered, ZoneKind
from pictag.footfall.staff import StaffFilter, staff_by_day, staff_filter
from pictag.footfall.stats import (
    DwellStats,
    Funnel,
    HourlyLineCount,
    ZoneKey,
    funnel,
    hourly_line_counts,
    site_footfall,
    zone_dwell_stats,
)
from pictag.storage.footfall import FootfallData

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class LineTotal:
    """In and out over one line in the window (staff left out)."""

    camera_id: str
    line_id: str
    entrance: bool
    ins: int
    outs: int


@dataclass(frozen=True)
class ZoneDwell:
    """Dwell statistics of one zone's completed presences in the window (staff left out)."""

    camera_id: str
    zone_id: str
    kind: ZoneKind
    entries: int
    dwell: DwellStats


@dataclass(frozen=True)
class StaffDay:
    """Who was staff on one local day (shown apart from visitors)."""

    day: dt.date
    persons: tuple[str, ...]


@dataclass(frozen=True)
class FootfallReport:
    """A window's footfall figures (open hours only, staff left out).

    Attributes:
        open_s: seconds of the window the site was open (0: every figure is empty).
        entered, exited: ``in`` / ``out`` over entrance lines (site footfall is ``entered``).
        visitors: distinct identities with a visit during open hours, staff left out.
        lines: per line totals; hourly: per line and local hour.
        zones: per zone dwell statistics.
        staff: staff per local day of the window.
    """

    since: float
    until: float
    open_s: float
    entered: int
    exited: int
    visitors: int
    lines: tuple[LineTotal, ...]
    hourly: tuple[HourlyLineCount, ...]
    zones: tuple[ZoneDwell, ...]
    staff: tuple[StaffDay, ...]


def local_days(hours: OpeningHours, since: float, until: float, day_start_hour: int = 0) -> list[dt.date]:
    """The local days (starting at ``day_start_hour``) that ``[since, until)`` touches."""
    first = hours.local_date(since, day_start_hour)
    last = hours.local_date(max(since, until - 1e-6), day_start_hour)
    days = [first]
    while days[-1] < last:
        days.append(days[-1] + _DAY)
    return days


def days_span(hours: OpeningHours, since: float, until: float, day_start_hour: int = 0) -> tuple[float, float]:
    """``[start, end)`` of the whole local days the window touches (staff are decided per day)."""
    days = local_days(hours, since, until, day_start_hour)
    return hours.day_start(days[0], day_start_hour), hours.day_start(days[-1] + _DAY, day_start_hour)


class _OpenTest:
    """``ts`` in one of the sorted, merged open intervals (binary search)."""

    def __init__(self, intervals: Sequence[Interval]) -> None:
        self._starts = [a for a, _ in intervals]
        self._ends = [b for _, b in intervals]

    def __call__(self, ts: float) -> bool:
        i = bisect.bisect_right(self._starts, ts) - 1
        return i >= 0 and ts < self._ends[i]


def _staff(
    data: FootfallData, hours: OpeningHours, days: list[dt.date], day_start_hour: int
) -> tuple[dict[dt.date, frozenset[str]], StaffFilter]:
    staff = staff_by_day(data.staff_entries, data.marks, hours, days, day_start_hour)
    return staff, staff_filter(staff, hours, day_start_hour)


def footfall_report(
    data: FootfallData, hours: OpeningHours, since: float, until: float, day_start_hour: int = 0
) -> FootfallReport:
    """The window's figures from its stored rows (module docstring for the rules)."""
    intervals = hours.intervals_between(since, until)
    is_open = _OpenTest(intervals)
    days = local_days(hours, since, until, day_start_hour)
    staff, excluded = _staff(data, hours, days, day_start_hour)
    crossings = [c for c in data.crossings if is_open(c.ts)]
    totals: dict[tuple[str, str], list[int]] = {}
    entrance: dict[tuple[str, str], bool] = {}
    for c in crossings:
        key = (c.camera_id, c.line_id)
        entrance[key] = entrance.get(key, False) or c.entrance
        cell = totals.setdefault(key, [0, 0])
        if not (c.person_id is not None and excluded(c.person_id, c.ts)):
            cell[0 if c.direction == "in" else 1] += 1
    leaves = [x for x in data.leaves if is_open(x.entered_ts)]
    entries = [e for e in data.entries if is_open(e.ts) and not (e.person_id and excluded(e.person_id, e.ts))]
    kinds: dict[ZoneKey, ZoneKind] = {(e.camera_id, e.zone_id): e.kind for e in data.entries}
    kinds.update({(x.camera_id, x.zone_id): x.kind for x in data.leaves})
    entry_counts: dict[ZoneKey, int] = {}
    for e in entries:
        entry_counts[(e.camera_id, e.zone_id)] = entry_counts.get((e.camera_id, e.zone_id), 0) + 1
    dwell = zone_dwell_stats(leaves, excluded=excluded)
    zone_keys = sorted(set(dwell) | set(entry_counts))
    visitors = {
        v.person_id
        for v in data.visits
        if any(v.started_at < b and v.ended_at >= a for a, b in intervals)
        and not excluded(v.person_id, max(v.started_at, since))
    }
    return FootfallReport(
        since=since,
        until=until,
        open_s=sum(b - a for a, b in intervals),
        entered=site_footfall(crossings, direction="in", excluded=excluded),
        exited=site_footfall(crossings, direction="out", excluded=excluded),
        visitors=len(visitors),
        lines=tuple(
            LineTotal(cam, line, entrance[(cam, line)], v[0], v[1]) for (cam, line), v in sorted(totals.items())
        ),
        hourly=tuple(hourly_line_counts(crossings, hours.hour_start, excluded=excluded)),
        zones=tuple(
            ZoneDwell(
                cam, zone, kinds.get((cam, zone), "area"), entry_counts.get((cam, zone), 0), _dwell(dwell, cam, zone)
            )
            for cam, zone in zone_keys
        ),
        staff=tuple(StaffDay(d, tuple(sorted(staff.get(d, frozenset())))) for d in days),
    )


def _dwell(dwell: dict[ZoneKey, DwellStats], cam: str, zone: str) -> DwellStats:
    return dwell.get((cam, zone)) or DwellStats(0, None, None, None, None)


def funnel_report(
    data: FootfallData,
    hours: OpeningHours,
    zones: Sequence[ZoneKey],
    since: float,
    until: float,
    *,
    day_start_hour: int = 0,
) -> Funnel:
    """Entered the shop → ``zones[0]`` → ``zones[1]`` ... over the window's open hours, staff left out."""
    is_open = _OpenTest(hours.intervals_between(since, until))
    _, excluded = _staff(data, hours, local_days(hours, since, until, day_start_hour), day_start_hour)
    crossings: list[LineCrossing] = [c for c in data.crossings if is_open(c.ts)]
    entries: list[ZoneEntered] = [e for e in data.entries if is_open(e.ts)]
    return funnel(crossings, entries, zones, since, until, excluded=excluded)
