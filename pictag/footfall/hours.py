"""Opening hours in the site's local time: is it open, the open intervals, when it closes.

All instants are Unix seconds; local wall times are turned into instants with `zoneinfo`
(PEP 495): a wall time that does not exist (the hour skipped when clocks go forward) maps
to the instant the same offset as before the change would give — ``02:30`` on a spring-forward
night is 03:30 summer time — and an ambiguous one (the hour repeated when clocks go back) to
its first occurrence. A day's hours keep their wall-clock meaning across a change:
``09:00-18:00`` is 9 hours on the day clocks change too, ``00:00-24:00`` is then 23 or 25.

Resets: occupancy is reset at every *closing* — the end of an open interval after
intervals that touch or overlap (also across midnight) are merged — and, on a local date
that has no closing (open around the clock), at the midnight that ends it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pictag.config.site import SiteConfig, parse_time_range

Interval = tuple[float, float]
_DAY = dt.timedelta(days=1)
#: How far `next_closing` looks ahead before it says "never" (a site closed for a year is odd).
SEARCH_DAYS = 400
#: Open intervals remembered per `OpeningHours` (a few years of days).
CACHE_DAYS = 2048


def machine_zone() -> ZoneInfo:
    """The machine's own time zone as an IANA zone (``$TZ``, ``/etc/localtime``, ``/etc/timezone``; UTC)."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@dataclass(frozen=True)
class OpeningHours:
    """A site's opening hours (build with `from_config`); all methods take and give Unix seconds.

    Attributes:
        zone: the site's time zone.
        weekly: per weekday (0 = Monday) the ranges as minutes after that day's midnight;
            an end past 1440 runs into the next day.
        holidays: dates closed all day.
        special: dates with their own ranges (empty: closed).
    """

    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[dt.date] = frozenset()
    special: tuple[tuple[dt.date, tuple[tuple[int, int], ...]], ...] = ()
    _cache: dict[dt.date, list[Interval]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_config(cls, site: SiteConfig) -> OpeningHours:
        """The hours a `SiteConfig` describes (its time zone, else the machine's)."""
        zone = ZoneInfo(site.timezone) if site.timezone else machine_zone()
        weekly = tuple(tuple(parse_time_range(r) for r in site.hours.for_weekday(d)) for d in range(7))
        special = tuple((s.date, tuple(parse_time_range(r) for r in s.hours)) for s in site.special_days)
        return cls(zone, weekly, frozenset(site.holidays), special)

    @classmethod
    def always(cls, zone: ZoneInfo | None = None) -> OpeningHours:
        """Open around the clock (the default when nothing is configured)."""
        return cls(zone or ZoneInfo("UTC"), tuple(((0, 1440),) for _ in range(7)))

    # ---- local dates --------------------------------------------------------------------
    def local(self, ts: float) -> dt.datetime:
        """The local (aware) date and time of an instant."""
        return dt.datetime.fromtimestamp(ts, tz=self.zone)

    def local_date(self, ts: float, day_start_hour: int = 0) -> dt.date:
        """The local date an instant belongs to when days start at ``day_start_hour`` (0-23).

        With ``day_start_hour=4``, 02:00 on a Saturday belongs to Friday: a late shift and
        its staff stay on one day.
        """
        return (self.local(ts).replace(tzinfo=None) - dt.timedelta(hours=day_start_hour)).date()

    def hour_start(self, ts: float) -> float:
        """Start of the local hour an instant lies in (for per-hour statistics; zones with
        half-hour offsets make this differ from ``ts - ts % 3600``)."""
        return self.local(ts).replace(minute=0, second=0, microsecond=0).timestamp()

    def day_start(self, day: dt.date, day_start_hour: int = 0) -> float:
        """The instant the local ``day`` starts (its ``day_start_hour``:00)."""
        return self._instant(day, day_start_hour * 60)

    def _instant(self, day: dt.date, minutes: int) -> float:
        wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
        return wall.replace(tzinfo=self.zone).timestamp()

    # ---- intervals ----------------------------------------------------------------------
    def ranges(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """The ranges that start on a local date, in minutes after its midnight."""
        if day in self.holidays:
            return ()
        for d, ranges in self.special:
            if d == day:
                return ranges
        return self.weekly[day.weekday()]

    def open_intervals(self, day: dt.date) -> list[Interval]:
        """Open intervals ``(start, end)`` that *start* on a local date (an overnight one ends the next day)."""
        found = self._cache.get(day)
        if found is None:
            if len(self._cache) > CACHE_DAYS:
                self._cache.clear()
            found = self._cache[day] = [(self._instant(day, a), self._instant(day, b)) for a, b in self.ranges(day)]
        return list(found)

    def intervals_between(self, start: float, end: float) -> list[Interval]:
        """Merged open intervals clipped to ``[start, end)``: what visitor statistics cover."""
        if end <= start:
            return []
        first, last = self.local(start).date() - _DAY, self.local(end).date()
        found: list[Interval] = []
        day = first
        while day <= last:
            found.extend(self.open_intervals(day))
            day += _DAY
        return [(max(a, start), min(b, end)) for a, b in _merge(found) if b > start and a < end]

    def is_open(self, ts: float) -> bool:
        """True while the site is open (start inclusive, end exclusive)."""
        day = self.local(ts).date()
        return any(a <= ts < b for d in (day - _DAY, day) for a, b in self.open_intervals(d))

    def _merged_around(self, day: dt.date) -> list[Interval]:
        """Merged intervals of the days around ``day`` (enough to see every closing on it)."""
        found: list[Interval] = []
        for d in (day - 2 * _DAY, day - _DAY, day, day + _DAY, day + 2 * _DAY):
            found.extend(self.open_intervals(d))
        return _merge(found)

    def closings(self, day: dt.date) -> list[float]:
        """Closing instants on a local date: ends of merged intervals in ``(midnight, next midnight]``."""
        lo, hi = self._instant(day, 0), self._instant(day + _DAY, 0)
        return [b for _, b in self._merged_around(day) if lo < b <= hi]

    def next_closing(self, ts: float) -> float | None:
        """The first closing after ``ts``; None if the site never closes within `SEARCH_DAYS`."""
        day = self.local(ts).date()
        for k in range(SEARCH_DAYS):
            later = [c for c in self.closings(day + k * _DAY) if c > ts]
            if later:
                return min(later)
        return None

    def next_reset(self, ts: float) -> float:
        """The next occupancy reset after ``ts``: a closing, or the midnight ending a day without one."""
        day = self.local(ts).date()
        for k in range(SEARCH_DAYS):
            d = day + k * _DAY
            closings = self.closings(d)
            later = [c for c in closings if c > ts]
            if later:
                return min(later)
            midnight = self._instant(d + _DAY, 0)
            if not closings and midnight > ts:
                return midnight
        raise AssertionError("unreachable: every day has a closing or a midnight reset")
