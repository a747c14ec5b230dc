"""The site engine: footfall over entrance lines, occupancy rule, resets, live figures, queues."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pictag.config.geometry import LineConfig, ZoneConfig
from pictag.config.site import SiteConfig
from pictag.footfall.engine import FootfallEngine, FootfallSettings
from pictag.footfall.hours import OpeningHours
from pictag.footfall.outputs import LineCrossing, OccupancyChanged, ZoneLeft

DOOR = LineConfig(id="door", points=((100.0, 0.0), (100.0, 400.0)), entrance=True)  # right -> left is "in"
AISLE = LineConfig(id="aisle", points=((300.0, 0.0), (300.0, 400.0)))
QUEUE = ZoneConfig(id="till", points=[(0, 0), (80, 0), (80, 400), (0, 400)], kind="queue")


def box(x: float, y: float = 200.0) -> list[float]:
    return [x - 20, y - 100, x + 20, y]


class Scene:
    """Drives an engine frame by frame at 10 fps from a start time."""

    def __init__(self, engine: FootfallEngine, t0: float = 1000.0) -> None:
        self.engine, self.t, self.out = engine, t0, []

    def frame(self, cam: str, tracks: dict[int, float], ended=()) -> list:
        ids = list(tracks)
        boxes = np.asarray([box(x) for x in tracks.values()], np.float32).reshape(-1, 4)
        found = self.engine.observe(cam, self.t, ids, boxes, ended)
        self.t += 0.1
        self.out += found
        return found

    def walk(self, cam: str, tid: int, xs: list[float]) -> None:
        for x in xs:
            self.frame(cam, {tid: x})


def occupancy_events(out: list) -> list[tuple[int, str]]:
    return [(e.occupancy, e.reason) for e in out if isinstance(e, OccupancyChanged)]


def test_entrance_crossings_move_occupancy_never_below_zero() -> None:
    engine = FootfallEngine(now=0.0)
    engine.set_camera("door-cam", [DOOR, AISLE])
    s = Scene(engine)
    s.walk("door-cam", 1, [150, 130, 80, 60, 40])  # in
    assert engine.occupancy == 1
    s.walk("door-cam", 1, [40, 60, 120, 140, 160, 180])  # out
    s.walk("door-cam", 2, [40, 60, 120, 140, 160, 180])  # out without having come in
    assert engine.occupancy == 0
    s.walk("door-cam", 3, [250, 280, 320, 340, 360])  # a non-entrance line: no occupancy change
    crossings = [(c.line_id, c.direction, c.entrance) for c in s.out if isinstance(c, LineCrossing)]
    assert crossings == [("door", "in", True), ("door", "out", True), ("door", "out", True), ("aisle", "out", False)]
    snap = engine.snapshot(s.t)
    assert (snap.entered, snap.exited, snap.occupancy) == (1, 2, 0)
    assert {(c.line_id, c.ins, c.outs) for c in snap.lines} == {("door", 1, 2), ("aisle", 0, 1)}


def test_reconciliation_raises_occupancy_to_the_people_in_view() -> None:
    engine = FootfallEngine(now=0.0)
    engine.set_camera("door-cam", [DOOR])
    engine.set_camera("shop-cam")  # an inside camera without lines
    s = Scene(engine)
    s.frame("shop-cam", {1: 200, 2: 250, 3: 300})  # three people inside nobody saw come in
    assert engine.occupancy == 3
    assert occupancy_events(s.out) == [(3, "reconciled")]
    # The door camera sees two people outside (right of the door line): they do not count.
    s.frame("door-cam", {7: 150, 8: 170})
    assert engine.occupancy == 3
    s.frame("shop-cam", {1: 200})  # people leave the view: occupancy is not lowered
    assert engine.occupancy == 3


def test_stale_cameras_do_not_bound_occupancy() -> None:
    engine = FootfallEngine(now=0.0)
    s = Scene(engine)
    s.frame("shop-cam", {1: 200, 2: 250})
    engine._occupancy = 0  # as after a reset
    s.t += 10.0
    s.frame("other", {})
    assert engine.occupancy == 0


def test_reset_at_closing_time() -> None:
    zone = ZoneInfo("Europe/Berlin")
    site = SiteConfig(timezone="Europe/Berlin", hours={"monday": ["09:00-18:00"]})
    t0 = dt.datetime(2026, 11, 23, 17, 59, 50, tzinfo=zone).timestamp()
    engine = FootfallEngine.from_config(site, now=t0 - 3600)
    engine.set_camera("door-cam", [DOOR])
    s = Scene(engine, t0)
    s.walk("door-cam", 1, [150, 130, 80, 60, 40])
    assert engine.occupancy == 1
    out = engine.tick(dt.datetime(2026, 11, 23, 18, 0, 1, tzinfo=zone).timestamp())
    assert [(e.occupancy, e.previous, e.reason) for e in out] == [(0, 1, "reset")]
    assert out[0].ts == dt.datetime(2026, 11, 23, 18, 0, tzinfo=zone).timestamp()
    assert engine.snapshot(out[0].ts).entered == 0
    assert engine.tick(out[0].ts + 60) == []  # next reset is the next closing, not every tick


def test_no_reset_when_disabled() -> None:
    engine = FootfallEngine(FootfallSettings(reset_occupancy_at_close=False), OpeningHours.always(), now=0.0)
    engine.set_camera("door-cam", [DOOR])
    s = Scene(engine, 100.0)
    s.walk("door-cam", 1, [150, 130, 80, 60, 40])
    assert engine.tick(100.0 + 10 * 86400) == [] and engine.occupancy == 1


def test_staff_tracks_are_left_out_of_live_counters_but_not_occupancy() -> None:
    engine = FootfallEngine(now=0.0)
    engine.set_camera("door-cam", [DOOR])
    s = Scene(engine)
    s.frame("door-cam", {1: 150})
    assert engine.mark_staff_track("door-cam", 1)
    assert not engine.mark_staff_track("door-cam", 99) and not engine.mark_staff_track("nope", 1)
    s.walk("door-cam", 1, [130, 80, 60, 40])
    snap = engine.snapshot(s.t)
    assert snap.occupancy == 1 and snap.entered == 0
    assert [(c.ins, c.outs) for c in snap.lines] == [(0, 0)]


def test_queue_length_and_wait() -> None:
    engine = FootfallEngine(FootfallSettings(queue_wait_window_s=600), now=0.0)
    engine.set_camera("till-cam", zones=[QUEUE])
    s = Scene(engine)
    # Two people queue 3 s and 5 s, one is still queuing.
    s.frame("till-cam", {1: 40, 2: 40, 3: 40})
    for _ in range(29):
        s.frame("till-cam", {1: 40, 2: 40, 3: 40})
    for _ in range(20):
        s.frame("till-cam", {1: 200, 2: 40, 3: 40})
    for _ in range(5):
        s.frame("till-cam", {1: 200, 2: 200, 3: 40})
    (zone,) = engine.snapshot(s.t).zones
    assert zone.count == 1 and zone.kind == "queue"
    assert zone.wait_sample == 2 and zone.wait_s == pytest.approx(4.0)
    assert [e.dwell_s for e in s.out if isinstance(e, ZoneLeft)] == [pytest.approx(3.0), pytest.approx(5.0)]
    (later,) = engine.snapshot(s.t + 3600).zones
    assert later.wait_s is None  # nobody left the queue within the window


def test_forget_camera_closes_presences_and_drops_counters() -> None:
    engine = FootfallEngine(now=0.0)
    engine.set_camera("till-cam", [DOOR], [QUEUE])
    s = Scene(engine)
    for _ in range(4):
        s.frame("till-cam", {1: 40})
    out = engine.forget_camera("till-cam")
    assert [(e.zone_id, e.reason) for e in out] == [("till", "camera_stopped")]
    assert engine.snapshot(s.t).zones == () and engine.forget_camera("till-cam") == []


def test_set_camera_replaces_geometry() -> None:
    engine = FootfallEngine(now=0.0)
    engine.set_camera("cam", zones=[QUEUE])
    s = Scene(engine)
    for _ in range(4):
        s.frame("cam", {1: 40})
    out = engine.set_camera("cam", zones=[])
    assert [e.reason for e in out] == ["zone_changed"]


def test_a_staff_track_ending_in_the_queue_is_left_out_of_the_wait() -> None:
    engine = FootfallEngine(now=0.0)
    engine.set_camera("till-cam", zones=[QUEUE])
    s = Scene(engine)
    for _ in range(40):
        s.frame("till-cam", {1: 40})
    engine.mark_staff_track("till-cam", 1)
    s.frame("till-cam", {}, ended=[1])
    assert [e.reason for e in s.out if isinstance(e, ZoneLeft)] == ["track_ended"]
    (zone,) = engine.snapshot(s.t).zones
    assert zone.wait_s is None and zone.wait_sample == 0
