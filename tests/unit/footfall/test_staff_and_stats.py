"""Staff per day (zone rule, manual marks) and the figures computed from stored events."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pictag.footfall.hours import OpeningHours
from pictag.footfall.outputs import LineCrossing, ZoneEntered, ZoneLeft
from pictag.footfall.staff import StaffMark, StaffRegister, staff_by_day, staff_filter
from pictag.footfall.stats import (
    dwell_stats,
    estimate_wait,
    funnel,
    hourly_line_counts,
    site_footfall,
    zone_dwell_stats,
)

ZONE = ZoneInfo("Asia/Seoul")
HOURS = OpeningHours.always(ZONE)


def at(d: int, h: int, m: int = 0) -> float:
    return dt.datetime(2026, 11, d, h, m, tzinfo=ZONE).timestamp()


def staff_entry(person: str, ts: float) -> ZoneEntered:
    return ZoneEntered("cam", "backroom", "staff", 1, ts, person)


def test_seen_in_a_staff_zone_is_staff_for_that_day_only() -> None:
    reg = StaffRegister(HOURS, day_start_hour=4)
    assert reg.seen_in_staff_zone("p1", at(23, 15)) is True
    assert reg.seen_in_staff_zone("p1", at(23, 16)) is False  # already staff
    assert reg.is_staff("p1", at(23, 9))  # the whole day, also before being seen there
    assert reg.is_staff("p1", at(24, 2))  # 02:00 still belongs to the 23rd (day starts at 04:00)
    assert not reg.is_staff("p1", at(24, 5))
    assert reg.staff_on(dt.date(2026, 11, 23)) == frozenset({"p1"})


def test_manual_marks_override_the_zone_rule() -> None:
    reg = StaffRegister(HOURS)
    reg.seen_in_staff_zone("cleaner", at(23, 8))
    reg.mark(StaffMark("cleaner", staff=False, day=dt.date(2026, 11, 23)))  # a customer who took a wrong door
    assert not reg.is_staff("cleaner", at(23, 9))
    reg.mark(StaffMark("owner", staff=True))  # every day
    assert reg.is_staff("owner", at(25, 12))
    reg.mark(StaffMark("owner", staff=False, day=dt.date(2026, 11, 25)))  # a day mark beats an every-day mark
    assert not reg.is_staff("owner", at(25, 12)) and reg.is_staff("owner", at(26, 12))
    reg.clear_mark("cleaner", dt.date(2026, 11, 23))
    assert reg.is_staff("cleaner", at(23, 9))
    assert reg.staff_on(dt.date(2026, 11, 26)) == frozenset({"owner"})
    reg.forget_before(dt.date(2026, 11, 24))
    assert not reg.is_staff("cleaner", at(23, 9)) and reg.is_staff("owner", at(26, 12))


def test_staff_by_day_from_stored_entries() -> None:
    entries = [
        staff_entry("a", at(23, 10)),
        ZoneEntered("cam", "shelf", "area", 2, at(23, 11), "b"),
        staff_entry("c", at(24, 10)),
        staff_entry(None, at(24, 11)),
    ]  # type: ignore[arg-type]
    days = [dt.date(2026, 11, 23), dt.date(2026, 11, 24)]
    staff = staff_by_day(entries, [StaffMark("b", True, dt.date(2026, 11, 24))], HOURS, days)
    assert staff == {days[0]: frozenset({"a"}), days[1]: frozenset({"b", "c"})}
    is_staff = staff_filter(staff, HOURS)
    assert is_staff("a", at(23, 18)) and not is_staff("a", at(24, 9))


def crossing(person: str | None, ts: float, direction: str = "in", entrance: bool = True) -> LineCrossing:
    return LineCrossing("door", "main", direction, 1, ts, entrance, person)  # type: ignore[arg-type]


def test_footfall_and_hourly_counts_leave_staff_out() -> None:
    crossings = [
        crossing("a", at(23, 9, 5)),
        crossing("s", at(23, 9, 10)),
        crossing(None, at(23, 9, 20)),
        crossing("a", at(23, 10, 30), "out"),
        crossing("b", at(23, 10, 40), entrance=False),
    ]
    excluded = staff_filter({dt.date(2026, 11, 23): frozenset({"s"})}, HOURS)
    assert site_footfall(crossings, excluded=excluded) == 2  # a + the one without a person id
    assert site_footfall(crossings, direction="out", excluded=excluded) == 1
    hourly = hourly_line_counts(crossings, lambda ts: ts - ts % 3600, excluded=excluded)
    assert [(h.hour_start, h.ins, h.outs) for h in hourly] == [(at(23, 9), 2, 0), (at(23, 10), 1, 1)]


def test_dwell_stats() -> None:
    assert dwell_stats([]).count == 0 and dwell_stats([]).median_s is None
    s = dwell_stats([10, 20, 30, 40, 100])
    assert (s.count, s.mean_s, s.median_s, s.max_s) == (5, 40.0, 30.0, 100.0)
    assert s.p90_s == pytest.approx(76.0)
    leaves = [
        ZoneLeft("c", "q", "queue", 1, 100, 90, 10, person_id="a"),
        ZoneLeft("c", "q", "queue", 2, 200, 170, 30, person_id="s"),
        ZoneLeft("c", "q", "queue", 3, 300, 280, 20),
    ]
    stats = zone_dwell_stats(leaves, excluded=lambda p, ts: p == "s")
    assert stats[("c", "q")].count == 2 and stats[("c", "q")].mean_s == 15.0


def test_estimate_wait_uses_recent_leaves_only() -> None:
    leaves = [(100.0, 60.0), (500.0, 120.0), (900.0, 180.0), (950.0, 30.0)]
    assert estimate_wait(leaves, now=1000.0, window_s=600.0) == (120.0, 3)
    assert estimate_wait(leaves, now=5000.0, window_s=600.0) == (None, 0)


def test_funnel_follows_persons_in_order() -> None:
    crossings = [
        crossing("a", 100),
        crossing("b", 110),
        crossing("c", 120),
        crossing("s", 130),
        crossing(None, 140),
        crossing("a", 400),
    ]
    entries = [
        ZoneEntered("shop", "shelf", "area", 1, 150, "a"),
        ZoneEntered("shop", "shelf", "area", 2, 105, "b"),  # before b entered the shop: not this visit's step
        ZoneEntered("shop", "shelf", "area", 3, 160, "c"),
        ZoneEntered("shop", "shelf", "area", 4, 170, "s"),
        ZoneEntered("till", "queue", "queue", 5, 200, "a"),
        ZoneEntered("till", "queue", "queue", 6, 155, "c"),  # queue before the shelf
    ]
    f = funnel(crossings, entries, [("shop", "shelf"), ("till", "queue")], 0, 1000, excluded=lambda p, ts: p == "s")
    assert [(s.label, s.persons) for s in f.steps] == [("entered", 3), ("shop/shelf", 2), ("till/queue", 1)]
    assert f.unattributed_entries == 1
