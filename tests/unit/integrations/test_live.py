"""LiveFigures: events and per-second figures → the alert engine's Snapshot, MQTT layout and counters."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pictag.alerts import AlertEngine
from pictag.config import parse_config
from pictag.footfall.engine import FootfallSnapshot, LineCount, ZoneCount
from pictag.integrations.hub import IntegrationHub
from pictag.integrations.live import CameraView, LiveFigures

TZ = ZoneInfo("Europe/Berlin")
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=TZ).timestamp()


def cam(camera_id: str, *, status: str = "live", occupancy: int = 0, enabled: bool = True) -> CameraView:
    return CameraView.from_api(
        {"id": camera_id, "name": camera_id.title(), "status": status, "occupancy": occupancy, "enabled": enabled}
    )


def ev(event_type: str, ts: float, **fields: object) -> dict[str, object]:
    return {"type": event_type, "ts_unix": ts, **fields}


def test_cameras_give_occupancy_and_online_disabled_cameras_are_not_online_measures() -> None:
    live = LiveFigures(TZ)
    state = live.state(NOON, [cam("door", occupancy=3), cam("till", status="stalled"), cam("old", enabled=False)], None)
    snap = state.snapshot
    assert snap.site_occupancy is None  # no footfall: unknown, never invented
    assert dict(snap.camera_occupancy) == {"door": 3, "till": 0, "old": 0}
    assert dict(snap.camera_online) == {"door": True, "till": False}
    assert state.disabled == {"old"} and state.camera_status["till"] == "stalled"
    assert [c.camera_id for c in state.layout.cameras] == ["door", "till", "old"] and not state.layout.footfall


def test_line_counters_from_events_reset_at_local_midnight() -> None:
    live = LiveFigures(TZ)
    live.observe(
        [
            ev("line.crossed", NOON, camera_id="door", line_id="entry", direction="in"),
            ev("line.crossed", NOON + 1, camera_id="door", line_id="entry", direction="in"),
            ev("line.crossed", NOON + 2, camera_id="door", line_id="entry", direction="out"),
            ev("line.crossed", NOON + 3, camera_id="door", line_id="entry", direction="sideways"),  # ignored
            ev("track.updated", NOON + 4, camera_id="door", track_id=1),
        ]
    )
    (line,) = live.state(NOON + 5, [cam("door")], None).lines
    assert (line.camera_id, line.line_id, line.ins, line.outs) == ("door", "entry", 2, 1)
    tomorrow = datetime(2026, 11, 25, 0, 0, 1, tzinfo=TZ).timestamp()
    (line,) = live.state(tomorrow, [cam("door")], None).lines
    assert (line.ins, line.outs) == (0, 0)  # the entity stays, its counters restart


def test_zone_presences_give_counts_and_longest_stay_until_left_or_track_ended() -> None:
    live = LiveFigures(TZ)
    live.observe(
        [
            ev("zone.entered", NOON, camera_id="till", zone_id="queue", kind="queue", track_id=1),
            ev("zone.entered", NOON + 30, camera_id="till", zone_id="queue", kind="queue", track_id=2),
            ev("zone.entered", NOON + 40, camera_id="till", zone_id="shelf", kind="area", track_id=3),
        ]
    )
    zones = {z.key: z for z in live.state(NOON + 60, [cam("till")], None).snapshot.zones}
    assert (zones["till/queue"].count, zones["till/queue"].longest_dwell_s, zones["till/queue"].kind) == (
        2,
        60,
        "queue",
    )
    assert (zones["till/shelf"].count, zones["till/shelf"].longest_dwell_s) == (1, 20)
    live.observe([ev("zone.left", NOON + 61, camera_id="till", zone_id="queue", track_id=1)])
    live.observe([ev("track.ended", NOON + 62, camera_id="till", track_id=3)])
    zones = {z.key: z for z in live.state(NOON + 70, [cam("till")], None).snapshot.zones}
    assert (zones["till/queue"].count, zones["till/queue"].longest_dwell_s) == (1, 40)
    assert (zones["till/shelf"].count, zones["till/shelf"].longest_dwell_s) == (0, 0)


def test_footfall_snapshot_gives_site_occupancy_zone_counts_and_line_entities() -> None:
    live = LiveFigures(TZ)
    live.observe([ev("zone.entered", NOON, camera_id="till", zone_id="queue", kind="queue", track_id=1)])
    footfall = FootfallSnapshot(
        ts=NOON + 10,
        occupancy=7,
        entered=12,
        exited=5,
        since=NOON - 3600,
        in_view=4,
        lines=(LineCount("door", "entry", True, 12, 5),),
        zones=(ZoneCount("till", "queue", "queue", 3), ZoneCount("till", "staff", "staff", 1)),
    )
    state = live.state(NOON + 10, [cam("door"), cam("till")], footfall)
    assert state.snapshot.site_occupancy == 7 and state.site_footfall == 12
    zones = {z.key: (z.count, z.longest_dwell_s) for z in state.snapshot.zones}
    assert zones == {"till/queue": (3, 10), "till/staff": (1, 0)}  # counts: the engine's (staff excluded)
    assert [(ln.line_id, ln.ins) for ln in state.lines] == [("entry", 0)]  # an entity before its first crossing
    assert state.layout.footfall and [z.zone_id for z in state.layout.zones] == ["queue", "staff"]


def test_reserved_or_unsafe_names_get_no_mqtt_entity_but_are_measured() -> None:
    state = LiveFigures(TZ).state(NOON, [cam("site", occupancy=2), cam("door")], None)
    assert [c.camera_id for c in state.layout.cameras] == ["door"] and "site" not in state.camera_status
    assert state.snapshot.camera_occupancy["site"] == 2


def test_hub_update_clears_alerts_of_removed_and_disabled_cameras_once() -> None:
    config = parse_config(
        {
            "alerts": [
                {"id": "down", "when": "camera_offline", "for_s": 0, "clear_for_s": 0},
                {"id": "busy", "when": "occupancy_above", "value": 1, "cameras": ["door", "till"], "clear_for_s": 0},
            ]
        }
    )
    hub, live = IntegrationHub(config), LiveFigures(TZ, config.alerts)
    made = hub.update(live.state(NOON, [cam("door", status="error", occupancy=3), cam("till", occupancy=2)], None))
    assert sorted((e["type"], e["rule_id"], e["subject"]) for e in made) == [
        ("alert.raised", "busy", "door"),
        ("alert.raised", "busy", "till"),
        ("alert.raised", "down", "door"),
    ]
    # door switched off: its camera_offline alert clears (disabled), its occupancy alert stays measured (3)
    made = hub.update(
        live.state(
            NOON + 1, [cam("door", status="offline", occupancy=3, enabled=False), cam("till", occupancy=2)], None
        )
    )
    assert [(e["type"], e["rule_id"], e["reason"]) for e in made] == [("alert.cleared", "down", "disabled")]
    # till removed: its alert clears (removed); nothing is raised or cleared twice
    made = hub.update(live.state(NOON + 2, [cam("door", status="offline", occupancy=0, enabled=False)], None))
    assert sorted((e["rule_id"], e["subject"], e["reason"]) for e in made) == [
        ("busy", "door", "recovered"),
        ("busy", "till", "removed"),
    ]
    assert hub.open_alerts() == [] and isinstance(hub.alerts, AlertEngine)
