"""Local time for reports: the site's time zone, day and hour boundaries, and the daily run time.

Everything is computed on the wall clock of the site's IANA zone, so a day has 23 or
25 hours across a DST change, an hour bucket starts at a local ``:00`` (zones with
``:30`` / ``:45`` offsets included), and the daily report runs at the same local time
every day. Times in and out are epoch seconds (UTC), as in the store.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pictag.errors import ConfigError

#: Every real UTC offset is a multiple of 15 minutes: local hour starts are found on this grid.
_GRID_S = 900


def site_timezone(name: str | None = None) -> ZoneInfo:
    """The site's zone: ``name``, else ``$TZ``, else the machine's ``/etc/localtime``, else UTC.

    Raises:
        ConfigError: ``name`` is not a known IANA zone.
    """
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"timezone={name!r} reason=unknown_zone; use an IANA name (Europe/Berlin)") from None
    for candidate in (os.environ.get("TZ", "").lstrip(":"), _localtime_name()):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _localtime_name() -> str | None:
    try:
        target = Path("/etc/localtime").resolve()
    except OSError:
        return None
    parts = target.parts
    return "/".join(parts[parts.index("zoneinfo") + 1 :]) if "zoneinfo" in parts else None


def _local_midnight(day: date, tz: ZoneInfo) -> float:
    return _wall_to_epoch(day, time(0, 0), tz)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[float, float]:
    """``[start, end)`` of a local calendar day (23, 24 or 25 hours long)."""
    return _local_midnight(day, tz), _local_midnight(day + timedelta(days=1), tz)


def hour_buckets(since: float, until: float, tz: ZoneInfo) -> list[tuple[float, float]]:
    """Consecutive ``[start, end)`` local hours covering ``[since, until)`` (the first and last may be partial)."""
    if until <= since:
        return []
    first = int(since // _GRID_S) * _GRID_S
    grid = range(first + _GRID_S, int(until) + _GRID_S, _GRID_S)
    starts = [since] + [float(t) for t in grid if since < t < until and _at_local_hour(t, tz)]
    return list(zip(starts, [*starts[1:], until], strict=True))


def _at_local_hour(t: int, tz: ZoneInfo) -> bool:
    local = datetime.fromtimestamp(t, tz)
    return local.minute == 0 and local.second == 0


def local_iso(ts: float, tz: ZoneInfo) -> str:
    """``2026-11-24T10:00:00+01:00``: the offset tells the two 02:00 hours of a DST fall-back apart."""
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")


def parse_hhmm(text: str) -> time:
    """``"00:30"`` → ``time(0, 30)``; ``"00:30:15"`` → ``time(0, 30, 15)``."""
    parts = [int(p) for p in text.split(":")]
    return time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)


def next_run(now: float, at: time, tz: ZoneInfo) -> float:
    """The first instant after ``now`` whose local time is ``at``.

    A local time skipped by a DST jump runs as much later as the jump (02:30 → 03:30);
    one repeated by a fall-back runs once, at its first occurrence.
    """
    today = datetime.fromtimestamp(now, tz).date()
    for offset in range(0, 3):
        day = today + timedelta(days=offset)
        candidate = _wall_to_epoch(day, at, tz)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a local time occurs within three days")  # pragma: no cover


def _wall_to_epoch(day: date, at: time, tz: ZoneInfo) -> float:
    # fold=0: a repeated wall time (fall-back) means its first occurrence; a skipped one
    # (spring-forward gap) is read with the offset before the jump, i.e. as much later as the jump.
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).timestamp()


def report_day(run_at: float, tz: ZoneInfo) -> date:
    """The day a run at ``run_at`` reports on: the local day before."""
    return datetime.fromtimestamp(run_at, tz).date() - timedelta(days=1)


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` → date.

    Raises:
        ConfigError: not a date in that form.
    """
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"day={text!r} reason=not_a_date; use YYYY-MM-DD") from None


def parse_instant(text: str, tz: ZoneInfo) -> float:
    """An API bound: epoch seconds, ``YYYY-MM-DD`` (local midnight) or ISO-8601 (naive = local time).

    Raises:
        ConfigError: none of these forms.
    """
    try:
        return float(text)
    except ValueError:
        pass
    try:
        if len(text) == 10:
            return _local_midnight(date.fromisoformat(text), tz)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"time={text!r} reason=unreadable; use epoch seconds, YYYY-MM-DD or ISO-8601") from None
    return (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(UTC).timestamp()
