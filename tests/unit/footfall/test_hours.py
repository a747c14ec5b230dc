"""Opening hours: weekdays, overnight ranges, holidays, special days, DST, closings and resets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pictag.config.site import SiteConfig
from pictag.footfall.hours import OpeningHours

BERLIN = ZoneInfo("Europe/Berlin")


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> float:
    return dt.datetime(y, m, d, h, mi, tzinfo=BERLIN).timestamp()


def hours(**site) -> OpeningHours:
    return OpeningHours.from_config(SiteConfig(timezone="Europe/Berlin", **site))


WEEK = {
    "monday": ["09:00-18:00"],
    "tuesday": ["09:00-12:30", "14:00-18:00"],
    "wednesday": [],
    "thursday": ["09:00-18:00"],
    "friday": ["18:00-02:00"],  # a bar: overnight into Saturday
    "saturday": ["10:00-14:00"],
    "sunday": [],
}


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (at(2026, 11, 23, 8, 59), False),  # Monday before opening
        (at(2026, 11, 23, 9, 0), True),
        (at(2026, 11, 23, 18, 0), False),  # the end is exclusive
        (at(2026, 11, 24, 13, 0), False),  # Tuesday lunch break
        (at(2026, 11, 25, 12, 0), False),  # Wednesday closed
        (at(2026, 11, 27, 23, 30), True),  # Friday night
        (at(2026, 11, 28, 1, 30), True),  # after midnight: still Friday's range
        (at(2026, 11, 28, 2, 0), False),
        (at(2026, 11, 28, 10, 30), True),  # Saturday's own hours
    ],
)
def test_is_open(when: float, open_: bool) -> None:
    assert hours(hours=WEEK).is_open(when) is open_


def test_open_intervals_of_a_day_and_overnight() -> None:
    h = hours(hours=WEEK)
    assert h.open_intervals(dt.date(2026, 11, 24)) == [
        (at(2026, 11, 24, 9), at(2026, 11, 24, 12, 30)),
        (at(2026, 11, 24, 14), at(2026, 11, 24, 18)),
    ]
    assert h.open_intervals(dt.date(2026, 11, 27)) == [(at(2026, 11, 27, 18), at(2026, 11, 28, 2))]
    assert h.intervals_between(at(2026, 11, 28, 0), at(2026, 11, 28, 12)) == [
        (at(2026, 11, 28, 0), at(2026, 11, 28, 2)),
        (at(2026, 11, 28, 10), at(2026, 11, 28, 12)),
    ]


def test_holidays_and_special_days() -> None:
    h = hours(
        hours=WEEK,
        holidays=["2026-11-23"],
        special_days=[{"date": "2026-11-25", "hours": ["10:00-12:00"], "name": "market day"}],
    )
    assert not h.is_open(at(2026, 11, 23, 12))
    assert h.is_open(at(2026, 11, 25, 11))
    assert h.open_intervals(dt.date(2026, 11, 25)) == [(at(2026, 11, 25, 10), at(2026, 11, 25, 12))]


def test_next_closing_and_resets() -> None:
    h = hours(hours=WEEK)
    assert h.next_closing(at(2026, 11, 23, 10)) == at(2026, 11, 23, 18)
    assert h.next_closing(at(2026, 11, 24, 11)) == at(2026, 11, 24, 12, 30)
    assert h.next_closing(at(2026, 11, 27, 20)) == at(2026, 11, 28, 2)  # across midnight
    assert h.next_reset(at(2026, 11, 24, 19)) == at(2026, 11, 26, 0)  # Wednesday has no closing: the midnight ending it
    assert h.next_reset(at(2026, 11, 26, 10)) == at(2026, 11, 26, 18)


def test_always_open_resets_at_midnight() -> None:
    h = hours()
    assert h.is_open(at(2026, 11, 23, 3))
    assert h.next_closing(at(2026, 11, 23, 3)) is None
    assert h.next_reset(at(2026, 11, 23, 3)) == at(2026, 11, 24, 0)


def test_open_till_midnight_then_from_midnight_is_one_interval() -> None:
    h = hours(hours={"monday": ["08:00-24:00"], "tuesday": ["00:00-03:00"]})
    assert h.next_closing(at(2026, 11, 23, 9)) == at(2026, 11, 24, 3)


def test_dst_spring_forward() -> None:
    # Europe/Berlin: 2026-03-29 02:00 -> 03:00. A 23-hour day.
    h = hours(hours={"saturday": ["22:00-02:00"], "sunday": ["00:00-24:00"]})
    (night,) = h.open_intervals(dt.date(2026, 3, 28))
    # 02:00 does not exist that night: it maps to the jump itself (01:00 UTC = 03:00 CEST).
    assert night[1] == dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC).timestamp()
    assert night[1] - night[0] == 4 * 3600
    (sunday,) = h.open_intervals(dt.date(2026, 3, 29))
    assert sunday[1] - sunday[0] == 23 * 3600
    nine = hours(hours={"sunday": ["09:00-18:00"]}).open_intervals(dt.date(2026, 3, 29))
    assert nine == [(at(2026, 3, 29, 9), at(2026, 3, 29, 18))] and nine[0][1] - nine[0][0] == 9 * 3600
    assert dt.datetime.fromtimestamp(nine[0][0], BERLIN).utcoffset() == dt.timedelta(hours=2)


def test_dst_fall_back() -> None:
    # 2026-10-25 03:00 CEST -> 02:00 CET. A 25-hour day; 02:30 is ambiguous: its first occurrence.
    h = hours(hours={"sunday": ["00:00-24:00"]})
    (day,) = h.open_intervals(dt.date(2026, 10, 25))
    assert day[1] - day[0] == 25 * 3600
    h2 = hours(hours={"sunday": ["02:30-04:00"]})
    (iv,) = h2.open_intervals(dt.date(2026, 10, 25))
    assert iv[1] - iv[0] == 2.5 * 3600
    assert h2.next_reset(at(2026, 10, 25, 1)) == iv[1]


def test_local_date_with_a_day_start_hour() -> None:
    h = hours()
    late = at(2026, 11, 28, 2)  # Saturday 02:00
    assert h.local_date(late) == dt.date(2026, 11, 28)
    assert h.local_date(late, day_start_hour=4) == dt.date(2026, 11, 27)
    assert h.day_start(dt.date(2026, 11, 27), 4) == at(2026, 11, 27, 4)


def test_machine_zone_is_used_without_a_time_zone() -> None:
    h = OpeningHours.from_config(SiteConfig())
    assert h.zone.key  # some IANA zone (UTC at worst)


def test_hour_start_in_a_half_hour_zone() -> None:
    h = OpeningHours.always(ZoneInfo("Asia/Kolkata"))  # UTC+05:30
    ts = dt.datetime(2026, 11, 23, 10, 45, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()
    assert h.hour_start(ts) == dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()
    assert h.hour_start(ts) != ts - ts % 3600
