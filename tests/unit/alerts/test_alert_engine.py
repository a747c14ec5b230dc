"""Alert hysteresis on scripted series: raised once after for_s, cleared once below the band."""

from __future__ import annotations

import pytest

from pictag.alerts import AlertCleared, AlertEngine, AlertRaised, Snapshot, ZoneMeasure
from pictag.config.alerts import AlertRuleConfig


def rule(**kw: object) -> AlertRuleConfig:
    return AlertRuleConfig.model_validate({"id": "r", **kw})


def run_site(engine: AlertEngine, series: list[tuple[float, int | None]]) -> list[tuple[float, str]]:
    out = []
    for t, occ in series:
        for change in engine.evaluate(Snapshot(ts=t, site_occupancy=occ)):
            out.append((t, "raised" if isinstance(change, AlertRaised) else "cleared"))
    return out


def test_jitter_around_threshold_raises_once_and_clears_once() -> None:
    engine = AlertEngine([rule(when="occupancy_above", value=10, for_s=30, clear_for_s=10)])
    # 0-20 s below; 20 s jumps above and jitters 10/11/12 (10 is not above, but inside the band: no clear)
    series = [(t, 8) for t in range(0, 20, 5)]
    series += [(20, 11), (25, 12), (30, 10), (35, 11)]  # 10 at t=30 breaks the pending raise
    series += [(t, 11 + (t // 5) % 2) for t in range(40, 100, 5)]  # held from 35 on: raised at 65
    series += [(100, 10), (105, 9), (110, 10), (115, 9)]  # 9 <= 9 (band), 10 interrupts the clear timer
    series += [(t, 9) for t in range(120, 140, 5)]  # held at 9 from 115: cleared at 125
    series += [(140, 10), (145, 10)]  # inside band again, nothing
    events = run_site(engine, series)
    assert events == [(65, "raised"), (125, "cleared")]
    assert engine.open_alerts() == []


def test_for_s_zero_raises_on_first_holding_snapshot_and_payloads() -> None:
    engine = AlertEngine([rule(when="occupancy_above", value=2, clear_for_s=0, notify=["dashboard", "mqtt"])])
    assert engine.evaluate(Snapshot(ts=0, site_occupancy=2)) == []
    (raised,) = engine.evaluate(Snapshot(ts=1, site_occupancy=3))
    assert isinstance(raised, AlertRaised)
    assert raised.payload() == {
        "alert_id": "r/site@1.000",
        "rule_id": "r",
        "kind": "occupancy_above",
        "subject": "site",
        "camera_id": None,
        "zone_id": None,
        "value": 3.0,
        "threshold": 2.0,
        "since": 1,
        "notify": ["dashboard", "mqtt"],
    }
    assert engine.open_alerts() == [raised]
    assert engine.evaluate(Snapshot(ts=2, site_occupancy=2)) == []  # 2 > clear level 1
    (cleared,) = engine.evaluate(Snapshot(ts=3, site_occupancy=1))
    assert isinstance(cleared, AlertCleared)
    assert cleared.alert_id == raised.alert_id and cleared.reason == "recovered" and cleared.duration_s == 2


def test_missing_measurement_pauses_timers() -> None:
    engine = AlertEngine([rule(when="occupancy_above", value=5, for_s=10)])
    events = run_site(engine, [(0, 6), (5, None), (9, 6), (15, 6), (19, 6)])
    assert events == [(19, "raised")]  # the unknown at t=5 restarted the pending timer (9 + 10)


def test_clock_step_backwards_does_not_shorten_timer() -> None:
    engine = AlertEngine([rule(when="occupancy_above", value=5, for_s=10)])
    events = run_site(engine, [(100, 6), (50, 6), (105, 6), (110, 6)])
    assert events == [(110, "raised")]


def test_per_camera_subjects_are_independent() -> None:
    engine = AlertEngine([rule(when="occupancy_above", value=3, cameras=["a", "b"], clear_for_s=0)])
    out = engine.evaluate(Snapshot(ts=0, camera_occupancy={"a": 4, "b": 1}))
    assert [(c.subject, type(c).__name__) for c in out] == [("a", "AlertRaised")]
    out = engine.evaluate(Snapshot(ts=1, camera_occupancy={"a": 5, "b": 9}))
    assert [(c.subject, type(c).__name__) for c in out] == [("b", "AlertRaised")]
    out = engine.evaluate(Snapshot(ts=2, camera_occupancy={"a": 0, "b": 9}))
    assert [(c.subject, type(c).__name__) for c in out] == [("a", "AlertCleared")]
    assert [a.subject for a in engine.open_alerts()] == ["b"]


def test_camera_offline_for_s_and_recovery() -> None:
    engine = AlertEngine([rule(when="camera_offline", for_s=60, clear_for_s=5)])
    seq = [(0, True), (10, False), (40, False), (69, False), (70, False)]
    seq += [(71, True), (74, False), (80, True), (85, True)]
    got = []
    for t, online in seq:
        for c in engine.evaluate(Snapshot(ts=t, camera_online={"door": online, "till": True})):
            got.append((t, c.subject, type(c).__name__))
    assert got == [(70, "door", "AlertRaised"), (85, "door", "AlertCleared")]


def zone(cam: str, zid: str, kind: str, count: int, dwell: float = 0.0) -> ZoneMeasure:
    return ZoneMeasure(camera_id=cam, zone_id=zid, kind=kind, count=count, longest_dwell_s=dwell)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zones_filter", "cameras", "expected"),
    [([], [], ["a/q1", "b/q1"]), (["q1"], ["a"], ["a/q1"]), (["b/q1"], [], ["b/q1"]), (["nope"], [], [])],
)
def test_queue_rule_selects_queue_zones(zones_filter: list[str], cameras: list[str], expected: list[str]) -> None:
    engine = AlertEngine([rule(when="queue_above", value=3, zones=zones_filter, cameras=cameras)])
    snap = Snapshot(
        ts=0, zones=(zone("a", "q1", "queue", 5), zone("b", "q1", "queue", 4), zone("a", "shelf", "area", 9))
    )
    assert sorted(c.subject for c in engine.evaluate(snap)) == expected


def test_zone_dwell_rule_uses_longest_current_stay() -> None:
    engine = AlertEngine([rule(when="zone_dwell_above", value=300, clear_for_s=0)])
    assert engine.evaluate(Snapshot(ts=0, zones=(zone("a", "z", "area", 2, 299.0),))) == []
    (raised,) = engine.evaluate(Snapshot(ts=1, zones=(zone("a", "z", "area", 2, 301.0),)))
    assert raised.zone_id == "z" and raised.camera_id == "a"
    assert engine.evaluate(Snapshot(ts=2, zones=(zone("a", "z", "area", 1, 280.0),))) == []  # band: > 270
    (cleared,) = engine.evaluate(Snapshot(ts=3, zones=(zone("a", "z", "area", 0, 0.0),)))
    assert isinstance(cleared, AlertCleared)


def test_removed_subject_and_changed_rule_clear_once() -> None:
    r1 = rule(when="occupancy_above", value=1, cameras=["a"])
    engine = AlertEngine([r1, AlertRuleConfig(id="site", when="occupancy_above", value=1)])
    engine.evaluate(Snapshot(ts=0, site_occupancy=5, camera_occupancy={"a": 5}))
    assert len(engine.open_alerts()) == 2
    (gone,) = engine.remove_subjects(camera_id="a", ts=1)
    assert gone.reason == "removed" and gone.subject == "a"
    (changed,) = engine.update_rules([AlertRuleConfig(id="site", when="occupancy_above", value=10)], ts=2)
    assert changed.reason == "rule_changed" and changed.rule_id == "site"
    assert engine.open_alerts() == []
    # the new rule starts from scratch: 5 is not above 10
    assert engine.evaluate(Snapshot(ts=3, site_occupancy=5)) == []
