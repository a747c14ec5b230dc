"""Local-time arithmetic (DST days, half-hour zones, the daily run time) and the occupancy peak sweep."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pictag.errors import ConfigError
from pictag.reports.hourly import peak_concurrency
from pictag.reports.schedule import (
    day_bounds,
    hour_buckets,
    local_iso,
    next_run,
    parse_day,
    parse_instant,
    report_day,
    site_timezone,
)

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("Europe/Berlin", date(2026, 11, 24), 24),
        ("Asia/Kolkata", date(2026, 1, 1), 24),
        ("America/New_York", date(2026, 11, 1), 25),
        ("UTC", date(2026, 6, 1), 24),
    ],
)
def test_a_day_has_its_local_hours(zone: str, day: date, hours: int) -> None:
    tz = ZoneInfo(zone)
    since, until = day_bounds(day, tz)
    buckets = hour_buckets(since, until, tz)
    assert len(buckets) == hours and (until - since) == hours * 3600
    assert all(b1 - b0 == 3600 for b0, b1 in buckets)
    labels = [local_iso(b0, tz) for b0, _ in buckets]
    assert labels[0].startswith(f"{day.isoformat()}T00:00:00")
    assert all(datetime.fromisoformat(x).minute == 0 for x in labels)
    assert len(set(labels)) == hours  # the repeated 02:00 of a fall-back differs by its offset


def test_partial_window_keeps_partial_first_and_last_buckets() -> None:
    since, _ = day_bounds(date(2026, 11, 24), BERLIN)
    buckets = hour_buckets(since + 1800, since + 3 * 3600 + 600, BERLIN)
    expected = [(1800, 3600), (3600, 7200), (7200, 10800), (10800, 11400)]
    assert [(b0 - since, b1 - since) for b0, b1 in buckets] == expected


@pytest.mark.parametrize(
    ("now_local", "at", "expected_local"),
    [
        ("2026-11-24T00:10:00+01:00", "00:30", "2026-11-24T00:30:00+01:00"),
        ("2026-11-24T00:30:00+01:00", "00:30", "2026-11-25T00:30:00+01:00"),
        ("2026-03-28T12:00:00+01:00", "02:30", "2026-03-29T03:30:00+02:00"),  # skipped by DST: as much later
        ("2026-10-24T12:00:00+02:00", "02:30", "2026-10-25T02:30:00+02:00"),  # repeated: first occurrence
        ("2026-10-25T02:40:00+02:00", "02:30", "2026-10-26T02:30:00+01:00"),  # not again in the repeat
    ],
)
def test_next_run_in_local_time(now_local: str, at: str, expected_local: str) -> None:
    now = datetime.fromisoformat(now_local).timestamp()
    hh, mm = at.split(":")
    got = next_run(now, time(int(hh), int(mm)), BERLIN)
    assert local_iso(got, BERLIN) == expected_local
    assert report_day(got, BERLIN) == datetime.fromisoformat(expected_local).date().fromordinal(
        datetime.fromisoformat(expected_local).date().toordinal() - 1
    )


def test_parsing_days_and_instants() -> None:
    assert parse_day("2026-11-24") == date(2026, 11, 24)
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        parse_day("24.11.2026")
    midnight = day_bounds(date(2026, 11, 24), BERLIN)[0]
    assert parse_instant("2026-11-24", BERLIN) == midnight
    assert parse_instant("2026-11-24T01:00:00", BERLIN) == midnight + 3600
    assert parse_instant("2026-11-24T00:00:00Z", BERLIN) == midnight + 3600
    assert parse_instant(str(midnight), BERLIN) == midnight
    with pytest.raises(ConfigError, match="unreadable"):
        parse_instant("yesterday", BERLIN)
    with pytest.raises(ConfigError, match="unknown_zone"):
        site_timezone("Mars/Olympus")


def test_peak_concurrency_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    starts = rng.uniform(0, 10 * 3600, 300)
    ends = starts + rng.exponential(1200, 300)
    buckets = [(h * 3600.0, (h + 1) * 3600.0) for h in range(12)]
    got = peak_concurrency(starts, ends, buckets)
    for (b0, b1), peak in zip(buckets, got, strict=True):
        probes = np.concatenate([[b0], starts[(starts >= b0) & (starts < b1)]])
        brute = max(int(((starts <= t) & (ends > t)).sum()) for t in probes)
        assert peak == brute


def test_peak_concurrency_edges() -> None:
    # touching intervals never overlap; an interval open across the bucket counts from its start
    starts, ends = np.array([0.0, 10.0, -100.0]), np.array([10.0, 20.0, 5000.0])
    assert peak_concurrency(starts, ends, [(0.0, 3600.0), (3600.0, 7200.0)]) == [2, 1]
    assert peak_concurrency(np.array([]), np.array([]), [(0.0, 1.0)]) == [0]
    assert peak_concurrency(starts, ends, []) == []
