"""The identity stage's footfall work: person ids from the identity engine's events, held records,
staff flags, camera edits and stops, erasure, events with the issue's exact keys."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pictag import events as ev
from pictag.config.geometry import LineConfig, ZoneConfig
from pictag.config.site import SiteConfig
from pictag.detections import Detections
from pictag.footfall.live import MAX_HOLD_S, FootfallStage
from pictag.footfall.outputs import ZoneEntered
from pictag.footfall.staff import StaffMark
from pictag.messages import FrameTracks

# Vertical door at x=100: walking from x>100 to x<100 is "in" (side −1 → +1, docs/footfall.md).
DOOR = LineConfig(id="door", points=((100.0, 0.0), (100.0, 400.0)), entrance=True)
BACKROOM = ZoneConfig(id="backroom", points=[(300, 0), (400, 0), (400, 400), (300, 400)], kind="staff")
AISLE = ZoneConfig(id="aisle", points=[(0, 0), (80, 0), (80, 400), (0, 400)], kind="area")
T0 = 1_800_000_000.0
CROSSED_KEYS = {"type", "ts", "ts_unix", "camera_id", "line_id", "direction", "track_id", "person_id"}


def frame(t: float, tracks: dict[int, float], ended: tuple[int, ...] = (), cam: str = "door-cam") -> FrameTracks:
    ids = list(tracks)
    xyxy = np.asarray([[x - 20, 100, x + 20, 300] for x in tracks.values()], np.float32).reshape(-1, 4)
    det = Detections(xyxy, np.full(len(ids), 0.9, np.float32), np.zeros(len(ids), np.int64), np.asarray(ids, np.int64))
    return FrameTracks(cam, t, det, ended=ended)


def started(tid: int, person: str, cam: str = "door-cam") -> dict[str, Any]:
    return ev.make_event(ev.TRACK_STARTED, T0, camera_id=cam, track_id=tid, person_id=person)


def ended_event(tid: int, person: str, cam: str = "door-cam") -> dict[str, Any]:
    return ev.make_event(ev.TRACK_ENDED, T0, camera_id=cam, track_id=tid, person_id=person)


class Drive:
    """Feeds a stage at 10 fps and collects its output."""

    def __init__(self, stage: FootfallStage) -> None:
        self.stage, self.t = stage, T0
        self.events: list[dict[str, Any]] = []
        self.rows: list[Any] = []

    def step(self, tracks: dict[int, float], identity: list[dict[str, Any]] | None = None, ended=(), cam="door-cam"):
        out = self.stage.observe(frame(self.t, tracks, tuple(ended), cam), identity or [])
        self.t += 0.1
        self.events += out.events
        self.rows += [*out.crossings, *out.entries, *out.leaves]
        return out

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


def stage(**site: Any) -> FootfallStage:
    s = FootfallStage(SiteConfig(**site), day_start_hour=0, now=T0 - 10)
    s.set_camera("door-cam", [DOOR], [BACKROOM, AISLE])
    return s


def test_crossing_waits_for_the_decision_then_names_the_person() -> None:
    d = Drive(stage())
    for x in (150, 130, 90, 70, 60, 50):  # in; confirmed after 3 frames on the new side
        d.step({1: x})
    assert ev.LINE_CROSSED not in d.types()  # the track is not decided yet: held
    assert d.types() == [ev.OCCUPANCY_CHANGED]  # occupancy is not held (no person in it)
    d.step({1: 50}, [started(1, "p_ann")])
    crossed = next(e for e in d.events if e["type"] == ev.LINE_CROSSED)
    assert CROSSED_KEYS <= set(crossed)
    assert (crossed["camera_id"], crossed["line_id"], crossed["direction"], crossed["track_id"]) == (
        "door-cam",
        "door",
        "in",
        1,
    )
    assert crossed["person_id"] == "p_ann" and crossed["entrance"] is True and crossed["staff"] is False
    assert crossed["ts_unix"] == pytest.approx(T0 + 0.2)  # the first frame on the new side
    assert d.rows[0].person_id == "p_ann"


def test_a_decided_track_is_attributed_at_once_and_an_undecided_one_at_its_end() -> None:
    d = Drive(stage())
    d.step({1: 150, 2: 150}, [started(1, "p_ann")])
    for x in (130, 90, 70, 60):
        d.step({1: x, 2: x})
    people = {e["track_id"]: e["person_id"] for e in d.events if e["type"] == ev.LINE_CROSSED}
    assert people == {1: "p_ann"}  # track 2 waits
    d.step({}, ended=(2,))  # track 2 ends undecided (its session was dropped): counted, no person
    people = {e["track_id"]: e["person_id"] for e in d.events if e["type"] == ev.LINE_CROSSED}
    assert people == {1: "p_ann", 2: None}


def test_held_records_go_without_a_person_after_the_hold_limit() -> None:
    d = Drive(stage())
    for x in (150, 130, 90, 70, 60):
        d.step({1: x})
    assert ev.LINE_CROSSED not in d.types()
    out = d.stage.tick(d.t + MAX_HOLD_S + 1)
    assert [(e["type"], e["person_id"]) for e in out.events] == [(ev.LINE_CROSSED, None)]


def test_staff_zone_makes_a_person_staff_and_their_crossings_say_so() -> None:
    d = Drive(stage())
    d.step({1: 350}, [started(1, "p_bob")])
    for _ in range(4):
        d.step({1: 350})  # inside the staff zone for 3+ frames
    entered = next(e for e in d.events if e["type"] == ev.ZONE_ENTERED)
    assert entered["zone_id"] == "backroom" and entered["kind"] == "staff" and entered["staff"] is True
    assert d.stage.staff_today(d.t) == (d.stage.staff.day(d.t), frozenset({"p_bob"}))
    for x in (250, 150, 130, 90, 70, 60, 50):  # Bob walks out through the door (an "in" here)
        d.step({1: x})
    crossed = next(e for e in d.events if e["type"] == ev.LINE_CROSSED)
    assert crossed["staff"] is True
    snap = d.stage.snapshot(d.t)
    assert snap.entered == 0 and snap.occupancy == 1  # staff are in the building, not footfall
    assert [(ln.line_id, ln.ins) for ln in snap.lines] == [("door", 0)]


def test_manual_marks_flag_live_tracks_and_unmarks_undo_them() -> None:
    d = Drive(stage())
    d.step({1: 60}, [started(1, "p_cat")])
    for _ in range(4):
        d.step({1: 60})
    assert [z.count for z in d.stage.snapshot(d.t).zones if z.zone_id == "aisle"] == [1]
    assert d.stage.mark(StaffMark("p_cat", True), d.t) is True
    assert [z.count for z in d.stage.snapshot(d.t).zones if z.zone_id == "aisle"] == [0]
    today = d.stage.staff.day(d.t)
    assert d.stage.mark(StaffMark("p_cat", False, today), d.t) is False  # a day mark beats every day
    assert [z.count for z in d.stage.snapshot(d.t).zones if z.zone_id == "aisle"] == [1]
    assert d.stage.clear_mark("p_cat", today, d.t) is True
    assert d.stage.staff.marks() == [StaffMark("p_cat", True, None)]


def test_camera_stop_closes_presences_and_releases_held_records() -> None:
    d = Drive(stage())
    for _ in range(4):
        d.step({7: 60})  # undecided, inside the aisle
    assert ev.ZONE_ENTERED not in d.types()
    out = d.stage.forget_camera("door-cam")
    assert [(e["type"], e.get("reason")) for e in out.events] == [
        (ev.ZONE_ENTERED, None),
        (ev.ZONE_LEFT, "camera_stopped"),
    ]
    left = out.leaves[0]
    assert left.dwell_s == pytest.approx(0.3) and left.person_id is None


def test_editing_a_zone_away_closes_presences_with_zone_changed() -> None:
    d = Drive(stage())
    d.step({1: 60}, [started(1, "p_dan")])
    for _ in range(4):
        d.step({1: 60})
    out = d.stage.set_camera("door-cam", [DOOR], [BACKROOM])
    assert [(e["type"], e["zone_id"], e["reason"], e["person_id"]) for e in out.events] == [
        (ev.ZONE_LEFT, "aisle", "zone_changed", "p_dan")
    ]


def test_a_split_session_waits_for_the_new_decision() -> None:
    d = Drive(stage())
    d.step({1: 150}, [started(1, "p_eve")])
    d.step({1: 150}, [ended_event(1, "p_eve")])  # the embedder saw another person under track 1
    for x in (130, 90, 70, 60):
        d.step({1: x})
    assert ev.LINE_CROSSED not in d.types()
    d.step({1: 60}, [started(1, "p_fay")])
    assert [e["person_id"] for e in d.events if e["type"] == ev.LINE_CROSSED] == ["p_fay"]


def test_erasure_makes_live_tracks_anonymous_and_forgets_staff() -> None:
    d = Drive(stage())
    d.step({1: 150}, [started(1, "p_gus")])
    d.stage.mark(StaffMark("p_gus", True), d.t)
    d.stage.erase("p_gus")
    for x in (130, 90, 70, 60):
        d.step({1: x})
    crossed = [e for e in d.events if e["type"] == ev.LINE_CROSSED]
    assert [(e["person_id"], e["staff"]) for e in crossed] == [(None, False)]
    assert d.stage.staff.marks() == []


def test_load_staff_restores_marks_and_todays_staff_zone_entries() -> None:
    s = stage()
    s.load_staff([StaffMark("p_h", True)], [ZoneEntered("door-cam", "backroom", "staff", 3, T0, "p_i")])
    assert s.staff_today(T0)[1] == {"p_h", "p_i"}


def test_output_forget_person_keeps_counts_drops_events() -> None:
    d = Drive(stage())
    d.step({1: 150}, [started(1, "p_j")])
    outs = [d.step({1: x}) for x in (130, 90, 70, 60)]
    out = next(o for o in outs if o.crossings)
    out.forget_person("p_j")
    assert out.crossings[0].person_id is None
    assert all(e.get("person_id") != "p_j" for e in out.events)


def test_a_stopping_camera_decides_its_pending_tracks_first() -> None:
    d = Drive(stage())
    for x in (150, 130, 90, 70, 60):
        d.step({1: x})
    out = d.stage.forget_camera("door-cam", [started(1, "p_late")])  # end_camera decided it
    assert [(e["type"], e["person_id"]) for e in out.events if e["type"] == ev.LINE_CROSSED] == [
        (ev.LINE_CROSSED, "p_late")
    ]
    assert d.stage.snapshot(d.t).lines == ()  # the camera's lines went with it
