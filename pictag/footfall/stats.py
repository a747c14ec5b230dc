"""Figures from stored footfall events: dwell statistics, queue wait, funnel, hourly line counts.

Pure functions over frozen records, so the store (which keeps the events) and the live
engine compute the same numbers the same way. Staff are left out by the caller passing the
day's staff set (`pictag.footfall.staff`), opening hours by `OpeningHours.intervals_between`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pictag.footfall.outputs import Direction, LineCrossing, ZoneEntered, ZoneLeft


@dataclass(frozen=True)
class DwellStats:
    """Dwell times of the people who left a zone (seconds)."""

    count: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None
    max_s: float | None


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile (numpy's default method) of sorted values."""
    pos = q * (len(sorted_values) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def dwell_stats(dwells: Iterable[float]) -> DwellStats:
    """Count, mean, median, 90th percentile and maximum of dwell times (None when empty)."""
    values = sorted(float(v) for v in dwells)
    if not values:
        return DwellStats(0, None, None, None, None)
    return DwellStats(
        len(values), sum(values) / len(values), _quantile(values, 0.5), _quantile(values, 0.9), values[-1]
    )


def estimate_wait(leaves: Iterable[tuple[float, float]], now: float, window_s: float) -> tuple[float | None, int]:
    """Median dwell of ``(left_ts, dwell_s)`` leaves with ``now - window_s <= left_ts <= now``.

    Why the median of recent leavers: the time the last people actually waited is the best
    cheap predictor of the next wait (Little's law needs arrival rates that small shops
    do not have stably), and the median ignores the one person who stood there chatting.
    """
    recent = sorted(d for t, d in leaves if now - window_s <= t <= now)
    if not recent:
        return None, 0
    return _quantile(recent, 0.5), len(recent)


@dataclass(frozen=True)
class FunnelStep:
    """One step of a funnel: its label and how many distinct persons reached it."""

    label: str
    persons: int


@dataclass(frozen=True)
class Funnel:
    """Entered the shop → zone X → zone Y ...

    Attributes:
        steps: the shop's entrance first, then each zone in order.
        unattributed_entries: entrance ``in`` crossings without a person id (counted in
            footfall, but they cannot be followed through the funnel).
    """

    steps: tuple[FunnelStep, ...]
    unattributed_entries: int


ZoneKey = tuple[str, str]  # (camera_id, zone_id)


def funnel(
    crossings: Iterable[LineCrossing],
    entries: Iterable[ZoneEntered],
    zones: Sequence[ZoneKey],
    start: float,
    end: float,
    *,
    excluded: Callable[[str, float], bool] = lambda person, ts: False,
) -> Funnel:
    """Distinct persons who entered the shop, then zone ``zones[0]``, then ``zones[1]``...

    A person reaches step k+1 when they enter that zone *after* the time they reached step k
    (their first entrance ``in`` within ``[start, end)`` for step 0). Persons are re-id
    identities, so the zones may be on other cameras than the door.

    Args:
        crossings: stored line crossings (only ``in`` over entrance lines count).
        entries: stored zone entries.
        zones: ``(camera_id, zone_id)`` of each step after the entrance.
        start, end: the period.
        excluded: ``(person_id, ts) -> True`` for staff (see `pictag.footfall.staff`).
    """
    reached: dict[str, float] = {}
    unattributed = 0
    for c in sorted(crossings, key=lambda c: c.ts):
        if not (c.entrance and c.direction == "in" and start <= c.ts < end):
            continue
        if c.person_id is None:
            unattributed += 1
        elif c.person_id not in reached and not excluded(c.person_id, c.ts):
            reached[c.person_id] = c.ts
    steps = [FunnelStep("entered", len(reached))]
    by_zone: dict[ZoneKey, list[ZoneEntered]] = {}
    for e in entries:
        if e.person_id is not None and start <= e.ts < end:
            by_zone.setdefault((e.camera_id, e.zone_id), []).append(e)
    for key in zones:
        nxt: dict[str, float] = {}
        for e in sorted(by_zone.get(key, []), key=lambda e: e.ts):
            pid = e.person_id
            if pid is not None and pid in reached and pid not in nxt and e.ts >= reached[pid]:
                nxt[pid] = e.ts
        reached = nxt
        steps.append(FunnelStep(f"{key[0]}/{key[1]}", len(reached)))
    return Funnel(tuple(steps), unattributed)


@dataclass(frozen=True)
class HourlyLineCount:
    """In and out over one line in one local hour."""

    camera_id: str
    line_id: str
    hour_start: float
    ins: int
    outs: int


def hourly_line_counts(
    crossings: Iterable[LineCrossing],
    hour_of: Callable[[float], float],
    *,
    excluded: Callable[[str, float], bool] = lambda person, ts: False,
) -> list[HourlyLineCount]:
    """Per line and local hour, the number of ``in`` and ``out`` crossings (staff left out).

    Args:
        crossings: stored crossings.
        hour_of: instant → start of its local hour (``OpeningHours``' zone; whole-offset zones
            make it ``ts - ts % 3600`` but half-hour zones exist).
        excluded: ``(person_id, ts) -> True`` for staff; crossings without a person id count.
    """
    table: dict[tuple[str, str, float], list[int]] = {}
    for c in crossings:
        if c.person_id is not None and excluded(c.person_id, c.ts):
            continue
        cell = table.setdefault((c.camera_id, c.line_id, hour_of(c.ts)), [0, 0])
        cell[0 if c.direction == "in" else 1] += 1
    return [HourlyLineCount(cam, line, hour, v[0], v[1]) for (cam, line, hour), v in sorted(table.items())]


def site_footfall(
    crossings: Iterable[LineCrossing],
    *,
    direction: Direction = "in",
    excluded: Callable[[str, float], bool] = lambda person, ts: False,
) -> int:
    """Site footfall: crossings in ``direction`` over entrance lines of all cameras, staff left out."""
    return sum(
        1
        for c in crossings
        if c.entrance and c.direction == direction and not (c.person_id is not None and excluded(c.person_id, c.ts))
    )


def zone_dwell_stats(
    leaves: Iterable[ZoneLeft],
    *,
    excluded: Callable[[str, float], bool] = lambda person, ts: False,
) -> dict[ZoneKey, DwellStats]:
    """Per zone, the dwell statistics of its leaves (staff left out)."""
    by_zone: dict[ZoneKey, list[float]] = {}
    for left in leaves:
        if left.person_id is not None and excluded(left.person_id, left.entered_ts):
            continue
        by_zone.setdefault((left.camera_id, left.zone_id), []).append(left.dwell_s)
    return {key: dwell_stats(values) for key, values in sorted(by_zone.items())}
