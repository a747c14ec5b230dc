"""Closed-hours gating: the cached answer equals `OpeningHours.is_open` at every instant."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pictag.config.site import SiteConfig
from pictag.footfall.gate import OpenHoursGate
from pictag.footfall.hours import OpeningHours

ZONE = ZoneInfo("Europe/Berlin")


def test_gate_agrees_with_the_hours_across_days_midnight_and_a_dst_change() -> None:
    site = SiteConfig(
        timezone="Europe/Berlin",
        hours={"saturday": ["09:00-12:00", "20:00-02:00"], "sunday": []},
        holidays=[dt.date(2026, 10, 26)],
    )
    hours = OpeningHours.from_config(site)
    gate = OpenHoursGate(hours)
    start = dt.datetime(2026, 10, 23, 0, 0, tzinfo=ZONE).timestamp()  # clocks go back on the 25th
    changes = 0
    previous = None
    for k in range(0, 5 * 86400, 97):  # every 97 s over five days
        ts = start + k
        assert gate.is_open(ts) == hours.is_open(ts), dt.datetime.fromtimestamp(ts, ZONE)
        changes += previous is not None and previous != gate.is_open(ts)
        previous = gate.is_open(ts)
    # Fri open → Sat 00:00 closed, 09-12 open, 20-02 open, Sun closed, Mon holiday, Tue 00:00 open
    assert changes == 6


def test_gate_survives_time_going_backwards() -> None:
    hours = OpeningHours.from_config(SiteConfig(timezone="UTC", hours={"monday": ["09:00-17:00"]}))
    gate = OpenHoursGate(hours)
    monday_10 = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC).timestamp()
    assert gate.is_open(monday_10) and not gate.is_open(monday_10 - 2 * 3600)
    assert gate.is_open(monday_10)
