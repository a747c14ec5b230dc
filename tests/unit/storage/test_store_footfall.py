"""Footfall rows in a real DuckDB store (migration 3) and the figures computed from them:
open hours only, staff left out and listed apart, erasure keeps counts, retention removes rows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pictag.config.site import SiteConfig
from pictag.footfall.hours import OpeningHours
from pictag.footfall.outputs import LineCrossing, ZoneEntered, ZoneLeft
from pictag.footfall.report import days_span, footfall_report, funnel_report
from pictag.footfall.staff import StaffMark
from pictag.storage import Store
from tests.rows import identity, visit

TZ = ZoneInfo("Europe/Berlin")
DAY = dt.date(2026, 11, 24)  # a Tuesday
HOURS = OpeningHours.from_config(SiteConfig(timezone="Europe/Berlin", hours={"tuesday": ["09:00-18:00"]}))


def at(hhmm: str, day: dt.date = DAY) -> float:
    return dt.datetime.fromisoformat(f"{day.isoformat()}T{hhmm}:00").replace(tzinfo=TZ).timestamp()


def door(hhmm: str, direction: str, person: str | None, track: int) -> LineCrossing:
    return LineCrossing("entrance", "door", direction, track, at(hhmm), True, person)


def leave(zone: str, kind: str, person: str | None, entered: str, left: str, *, track: int = 1) -> ZoneLeft:
    return ZoneLeft("shop", zone, kind, track, at(left), at(entered), at(left) - at(entered), "walked_out", person)


def _scripted_day(store: Store) -> None:
    crossings = [
        door("08:30", "in", "p_early", 1),  # before opening: not counted
        door("09:10", "in", "p_ann", 2),
        door("09:20", "in", "p_staff", 3),  # staff: seen in the back room at 15:00
        door("09:30", "in", None, 4),  # no person (undecided): counted, not followable
        door("10:05", "out", "p_ann", 5),
        door("10:40", "in", "p_bob", 6),
        LineCrossing("shop", "aisle", "in", 7, at("10:45"), False, "p_bob"),
    ]
    entries = [
        ZoneEntered("shop", "shelf", "area", 10, at("09:15"), "p_ann"),
        ZoneEntered("shop", "till", "queue", 11, at("09:50"), "p_ann"),
        ZoneEntered("shop", "shelf", "area", 12, at("10:50"), "p_bob"),
        ZoneEntered("shop", "back", "staff", 13, at("15:00"), "p_staff"),
    ]
    leaves = [
        leave("shelf", "area", "p_ann", "09:15", "09:25", track=10),
        leave("till", "queue", "p_ann", "09:50", "09:54", track=11),
        leave("shelf", "area", "p_staff", "09:30", "09:50", track=14),  # staff: no dwell figure
    ]
    assert store.add_footfall(crossings, entries, leaves) == len(crossings) + len(entries) + len(leaves)
    store.upsert_visits(
        [
            visit("v1", "p_ann", at("09:10"), ended_at=at("10:05"), cameras=("entrance",)),
            visit("v2", "p_bob", at("10:40"), ended_at=at("11:00"), cameras=("entrance",)),
            visit("v3", "p_staff", at("09:20"), ended_at=at("17:00"), cameras=("entrance",)),
            visit("v4", "p_early", at("08:30"), ended_at=at("08:50"), cameras=("entrance",)),
        ]
    )


def test_zone_visits_are_completed_by_their_leave_and_keep_a_late_person(store: Store) -> None:
    entered = ZoneEntered("shop", "till", "queue", 5, at("12:00"), None)
    store.add_footfall(entries=[entered])
    store.add_footfall(
        leaves=[ZoneLeft("shop", "till", "queue", 5, at("12:03"), at("12:00"), 180.0, "walked_out", "p_x")]
    )
    store.add_footfall(entries=[entered])  # a repeated entry changes nothing
    since, until = at("00:00"), at("23:59")
    assert store.footfall_data(since, until, (since, until)).entries == (
        ZoneEntered("shop", "till", "queue", 5, at("12:00"), "p_x"),
    )
    (left,) = store.footfall_data(since, until, (since, until)).leaves
    assert (left.dwell_s, left.person_id, left.reason) == (180.0, "p_x", "walked_out")


def test_report_counts_open_hours_and_leaves_staff_out(store: Store) -> None:
    _scripted_day(store)
    since, until = at("00:00"), at("23:59")
    data = store.footfall_data(since, until, days_span(HOURS, since, until))
    r = footfall_report(data, HOURS, since, until)
    assert r.open_s == 9 * 3600
    assert (r.entered, r.exited) == (3, 1)  # Ann, the undecided one, Bob; Ann out. Not early, not staff
    assert r.visitors == 2  # Ann and Bob; not the staff member, not the one before opening
    assert [(ln.line_id, ln.entrance, ln.ins, ln.outs) for ln in r.lines] == [
        ("door", True, 3, 1),
        ("aisle", False, 1, 0),
    ]
    nine = at("09:00")
    assert [(h.line_id, h.hour_start - nine, h.ins, h.outs) for h in r.hourly if h.line_id == "door"] == [
        ("door", 0.0, 2, 0),
        ("door", 3600.0, 1, 1),
    ]
    zones = {z.zone_id: z for z in r.zones}
    assert zones["shelf"].dwell.count == 1 and zones["shelf"].dwell.mean_s == 600.0  # staff's 20 min left out
    assert zones["shelf"].entries == 2 and zones["till"].kind == "queue" and zones["till"].dwell.median_s == 240.0
    assert [(s.day, s.persons) for s in r.staff] == [(DAY, ("p_staff",))]


def test_manual_marks_change_the_figures_and_are_stored(store: Store) -> None:
    _scripted_day(store)
    store.put_staff_mark(StaffMark("p_bob", True, DAY))
    store.put_staff_mark(StaffMark("p_staff", False))  # wrongly caught: every day
    store.put_staff_mark(StaffMark("p_staff", False))  # the same decision again replaces it
    assert store.list_staff_marks() == [StaffMark("p_bob", True, DAY), StaffMark("p_staff", False, None)]
    since, until = at("00:00"), at("23:59")
    r = footfall_report(store.footfall_data(since, until, days_span(HOURS, since, until)), HOURS, since, until)
    assert r.entered == 3 and r.visitors == 2  # Bob out, the unmarked staff member in
    assert [s.persons for s in r.staff] == [("p_bob",)]
    assert store.delete_staff_mark("p_bob", DAY) is True and store.delete_staff_mark("p_bob", DAY) is False


def test_funnel_follows_people_from_the_door_through_zones(store: Store) -> None:
    _scripted_day(store)
    since, until = at("00:00"), at("23:59")
    data = store.footfall_data(since, until, days_span(HOURS, since, until))
    f = funnel_report(data, HOURS, [("shop", "shelf"), ("shop", "till")], since, until)
    # Ann: door 09:10 → shelf 09:15 → till 09:50. Bob: door → shelf 10:50. Staff left out.
    assert [(s.label, s.persons) for s in f.steps] == [("entered", 2), ("shop/shelf", 2), ("shop/till", 1)]
    assert f.unattributed_entries == 1


def test_erasure_keeps_the_counts_and_removes_the_person(store: Store) -> None:
    _scripted_day(store)
    store.put_staff_mark(StaffMark("p_ann", False))
    removed = store.delete_identity("p_ann")
    assert (removed["line_crossings"], removed["zone_visits"], removed["staff_marks"]) == (2, 2, 1)
    since, until = at("00:00"), at("23:59")
    data = store.footfall_data(since, until, days_span(HOURS, since, until))
    assert len(data.crossings) == 7 and all(c.person_id != "p_ann" for c in data.crossings)
    assert all(e.person_id != "p_ann" for e in [*data.entries, *data.leaves]) and store.list_staff_marks() == []
    assert footfall_report(data, HOURS, since, until).entered == 3


def test_retention_removes_old_footfall_rows(store: Store) -> None:
    _scripted_day(store)
    store.put_staff_mark(StaffMark("p_old", True, DAY - dt.timedelta(days=40)))
    store.put_staff_mark(StaffMark("p_keep", True))  # every-day mark of a person still known
    store.upsert_identities([identity("p_keep", at("09:00"), last_seen_at=at("10:00"))])
    counts = store.purge_older_than(at("10:00"))
    assert (counts["line_crossings"], counts["zone_visits"], counts["staff_marks"]) == (4, 3, 1)
    since, until = at("00:00"), at("23:59")
    data = store.footfall_data(since, until, (since, until))
    assert all(c.ts >= at("10:00") for c in data.crossings) and len(data.leaves) == 0
    assert store.list_staff_marks() == [StaffMark("p_keep", True, None)]


@pytest.mark.parametrize("window", [("00:00", "09:00"), ("18:00", "23:00")])
def test_a_closed_window_has_empty_figures(store: Store, window: tuple[str, str]) -> None:
    _scripted_day(store)
    since, until = at(window[0]), at(window[1])
    r = footfall_report(store.footfall_data(since, until, days_span(HOURS, since, until)), HOURS, since, until)
    assert (r.open_s, r.entered, r.exited, r.visitors, r.lines, r.hourly) == (0, 0, 0, 0, (), ())
