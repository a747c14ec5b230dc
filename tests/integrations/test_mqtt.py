"""MQTT publisher against a real mosquitto: discovery as Home Assistant requires it, retained states,
events, broker outage and restart, last will, authentication, a caller that never waits."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pictag.config.mqtt import MqttConfig
from pictag.integrations.mqtt import MqttPublisher
from pictag.integrations.topics import AlertInfo, CameraInfo, LineInfo, MqttError, SiteLayout, ZoneInfo
from tests.helpers import free_port
from tests.integrations.mqtt_broker import MosquittoBroker, Recorder, wait_until

#: Home Assistant's discovery topic grammar (homeassistant/components/mqtt/discovery.py, TOPIC_MATCHER).
HA_TOPIC = re.compile(
    r"^homeassistant/(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)?(?P<object_id>[a-zA-Z0-9_-]+)/config$"
)
LAYOUT = SiteLayout(
    cameras=(CameraInfo("entrance", "Entrance"), CameraInfo("till.2", "Till")),
    lines=(LineInfo("entrance", "door", "Door"),),
    zones=(ZoneInfo("till.2", "queue", "Queue", "queue"),),
    alerts=(AlertInfo("crowded"),),
    footfall=True,
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def cfg(port: int, **kw: object) -> MqttConfig:
    return MqttConfig.model_validate({"host": "127.0.0.1", "port": port, "reconnect_max_s": 2, **kw})


@pytest.fixture
def publisher_factory():
    made: list[MqttPublisher] = []

    def make(config: MqttConfig, layout: SiteLayout = LAYOUT) -> MqttPublisher:
        pub = MqttPublisher(config, layout)
        pub.start()
        made.append(pub)
        return pub

    yield make
    for pub in made:
        pub.stop(timeout_s=2)


def check_ha_discovery(topic: str, payload: dict, availability: str) -> None:
    """What Home Assistant needs to create an entity tied to a device, with availability."""
    m = HA_TOPIC.match(topic)
    assert m, topic
    assert m["component"] in ("sensor", "binary_sensor")
    assert m["object_id"].startswith("pictag_")
    assert payload["unique_id"] == m["object_id"]
    assert payload["state_topic"].startswith(availability.rsplit("/", 1)[0] + "/") and not set("#+") & set(
        payload["state_topic"]
    )
    device = payload["device"]
    assert device["identifiers"] and all(isinstance(i, str) for i in device["identifiers"]) and device["name"]
    assert payload["availability"] == [
        {"topic": availability, "payload_available": "online", "payload_not_available": "offline"}
    ]
    assert payload["origin"]["name"] == "PicTag"
    if m["component"] == "binary_sensor":
        assert payload["payload_on"] == "ON" and payload["payload_off"] == "OFF"


def test_discovery_retained_states_and_events(broker: MosquittoBroker, publisher_factory) -> None:
    pub = publisher_factory(cfg(broker.port))
    pub.set_site_occupancy(3)
    pub.set_site_footfall(41)
    pub.set_camera_occupancy("entrance", 2)
    pub.set_camera_occupancy("till.2", 0)
    pub.set_camera_status("entrance", "live")
    pub.set_camera_status("till.2", "reconnecting")
    pub.set_line_counts("entrance", "door", 41, 38)
    pub.set_zone_count("till.2", "queue", 4)
    pub.set_alert("crowded", True)
    wait_until(lambda: pub.stats().connected and pub.stats().states_published >= 10, 10, "states published")

    # a client connecting later (Home Assistant after a restart) gets everything from retained messages
    late = Recorder(broker.port, ("homeassistant/#", "pictag/#")).start()
    try:
        late.wait_for("pictag/availability", b"online")
        late.wait_for("pictag/alerts/crowded", b"ON")
        got = late.latest()
        assert all(retain for _, _, retain in late.messages)
        assert got["pictag/site/occupancy"] == b"3"
        assert got["pictag/site/footfall"] == b"41"
        assert got["pictag/entrance/occupancy"] == b"2"
        assert got["pictag/entrance/status"] == b"live"
        assert got["pictag/till.2/status"] == b"reconnecting"
        assert got["pictag/entrance/lines/door/in"] == b"41"
        assert got["pictag/entrance/lines/door/out"] == b"38"
        assert got["pictag/till.2/zones/queue/count"] == b"4"
        configs = {t: json.loads(p) for t, p in got.items() if t.startswith("homeassistant/")}
        assert set(configs) == {
            "homeassistant/sensor/pictag_site_occupancy/config",
            "homeassistant/sensor/pictag_site_footfall/config",
            "homeassistant/sensor/pictag_entrance_occupancy/config",
            "homeassistant/binary_sensor/pictag_entrance_online/config",
            "homeassistant/sensor/pictag_till_2_occupancy/config",
            "homeassistant/binary_sensor/pictag_till_2_online/config",
            "homeassistant/sensor/pictag_entrance_line_door_in/config",
            "homeassistant/sensor/pictag_entrance_line_door_out/config",
            "homeassistant/sensor/pictag_till_2_zone_queue_count/config",
            "homeassistant/binary_sensor/pictag_alert_crowded/config",
        }
        for topic, payload in configs.items():
            check_ha_discovery(topic, payload, "pictag/availability")
            assert payload["state_topic"] in got, f"{topic} points at a topic with no state"
        online = configs["homeassistant/binary_sensor/pictag_entrance_online/config"]
        assert online["state_topic"] == "pictag/entrance/status" and "live" in online["value_template"]
        assert len({p["unique_id"] for p in configs.values()}) == len(configs)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "ha_discovery_entrance_occupancy.json").write_text(
            json.dumps(configs["homeassistant/sensor/pictag_entrance_occupancy/config"], indent=2)
        )

        events = [
            {"type": "line.crossed", "camera_id": "entrance", "line_id": "door", "direction": "in", "n": i}
            for i in range(5)
        ]
        for event in events:
            assert pub.publish_event(event)
        wait_until(lambda: len(late.on("pictag/events")) == 5, 10, "5 events")
        assert [json.loads(p) for p in late.on("pictag/events")] == events
        assert not any(r for t, _, r in late.messages if t == "pictag/events")
    finally:
        late.stop()

    # a second subscriber sees no retained event (events are a stream, not a state)
    again = Recorder(broker.port, ("pictag/events",)).start()
    time.sleep(0.3)  # negative check: nothing retained may arrive within a short window
    assert again.on("pictag/events") == []
    again.stop()


def test_broker_outage_reconnects_and_republishes(broker: MosquittoBroker, publisher_factory) -> None:
    pub = publisher_factory(cfg(broker.port))
    pub.set_site_occupancy(5)
    wait_until(lambda: pub.stats().states_published >= 1, 10, "first publish")

    broker.kill()  # no persistence: every retained message and discovery config is gone
    wait_until(lambda: not pub.stats().connected, 10, "publisher sees the outage")
    t0 = time.perf_counter()
    pub.set_site_occupancy(7)  # changed during the outage
    pub.set_camera_occupancy("entrance", 1)
    for i in range(50):
        pub.publish_event({"type": "track.started", "i": i})
    assert time.perf_counter() - t0 < 0.5, "callers must never wait on the broker"
    assert pub.stats().events_queued == 50

    broker.start()  # same port
    wait_until(lambda: pub.stats().connected, 15, "reconnect after the broker restart")
    wait_until(lambda: pub.stats().events_queued == 0, 10, "queued events sent")
    late = Recorder(broker.port, ("homeassistant/#", "pictag/#")).start()
    try:
        late.wait_for("pictag/site/occupancy", b"7")
        late.wait_for("pictag/availability", b"online")
        late.wait_for("pictag/entrance/occupancy", b"1")
        late.wait_for("homeassistant/sensor/pictag_site_occupancy/config")
        assert pub.stats().connects == 2 and pub.stats().disconnects == 1
        assert pub.stats().events_published == 50
    finally:
        late.stop()


def test_events_queued_during_restart_reach_a_persistent_subscriber(broker_factory, publisher_factory) -> None:
    # persistence + a persistent session: the broker holds events for the subscriber across its restart
    broker = broker_factory(persistence=True, extra=("queue_qos0_messages true",))
    sub = Recorder(broker.port, ("pictag/events",), client_id="ha-like", clean_session=False).start()
    pub = publisher_factory(cfg(broker.port))
    pub.publish_event({"type": "a", "i": 0})
    wait_until(lambda: len(sub.on("pictag/events")) == 1, 10, "event before the restart")
    sub.stop()
    broker.stop()
    wait_until(lambda: not pub.stats().connected, 10, "outage seen")
    for i in range(1, 4):
        pub.publish_event({"type": "a", "i": i})
    broker.start()
    wait_until(lambda: pub.stats().connected and pub.stats().events_queued == 0, 15, "events flushed after restart")
    sub2 = Recorder(broker.port, ("pictag/events",), client_id="ha-like", clean_session=False).start()
    try:
        wait_until(lambda: len(sub2.on("pictag/events")) >= 3, 10, "events queued for the session")
        assert [json.loads(p)["i"] for p in sub2.on("pictag/events")] == [1, 2, 3]
    finally:
        sub2.stop()


def test_home_assistant_birth_message_triggers_rediscovery(broker: MosquittoBroker, publisher_factory) -> None:
    pub = publisher_factory(cfg(broker.port))
    sub = Recorder(broker.port, ("homeassistant/sensor/pictag_site_occupancy/config",)).start()
    try:
        wait_until(lambda: len(sub.messages) == 1, 10, "discovery")
        ha = Recorder(broker.port, ("unused/x",)).start()
        ha.client.publish("homeassistant/status", "online")
        wait_until(lambda: len(sub.messages) == 2, 10, "discovery again after HA's birth message")
        ha.stop()
        assert pub.stats().connects == 1
    finally:
        sub.stop()


def test_layout_change_removes_entities_and_states(broker: MosquittoBroker, publisher_factory) -> None:
    pub = publisher_factory(cfg(broker.port))
    pub.set_zone_count("till.2", "queue", 2)
    watch = Recorder(broker.port, ("homeassistant/#", "pictag/#")).start()
    try:
        watch.wait_for("pictag/till.2/zones/queue/count", b"2")
        pub.set_layout(SiteLayout(cameras=LAYOUT.cameras))  # zone, line and alert deleted
        # an empty retained payload deletes a config (Home Assistant drops the entity) and a state
        watch.wait_for("homeassistant/sensor/pictag_till_2_zone_queue_count/config", b"")
        watch.wait_for("pictag/till.2/zones/queue/count", b"")
        watch.wait_for("homeassistant/binary_sensor/pictag_alert_crowded/config", b"")
    finally:
        watch.stop()
    late = Recorder(broker.port, ("homeassistant/#", "pictag/#")).start()
    try:
        late.wait_for("homeassistant/binary_sensor/pictag_till_2_online/config")
        late.wait_for("pictag/availability", b"online")
        gone = [t for t in late.latest() if "zone" in t or "_line_" in t or "/lines/" in t or "alert" in t]
        assert gone == []
    finally:
        late.stop()


def test_last_will_marks_pictag_offline_when_its_process_dies(broker: MosquittoBroker, tmp_path: Path) -> None:
    script = tmp_path / "pub.py"
    script.write_text(
        "import sys, time\n"
        "from pictag.config.mqtt import MqttConfig\n"
        "from pictag.integrations.mqtt import MqttPublisher\n"
        f"p = MqttPublisher(MqttConfig(host='127.0.0.1', port={broker.port}, keepalive_s=5))\n"
        "p.start()\n"
        "while not p.stats().connected: time.sleep(0.02)\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    sub = Recorder(broker.port, ("pictag/availability",)).start()
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"up"
        sub.wait_for("pictag/availability", b"online")
        proc.kill()  # no clean disconnect: the broker sends the will once the socket closes
        sub.wait_for("pictag/availability", b"offline", timeout=15)
    finally:
        proc.kill()
        proc.wait()
        sub.stop()


def test_clean_stop_publishes_offline(broker: MosquittoBroker) -> None:
    pub = MqttPublisher(cfg(broker.port))
    pub.start()
    sub = Recorder(broker.port, ("pictag/availability",)).start()
    try:
        sub.wait_for("pictag/availability", b"online")
        pub.stop()
        sub.wait_for("pictag/availability", b"offline")
    finally:
        sub.stop()


def test_password_auth_and_secret_never_logged(broker_factory, publisher_factory, caplog) -> None:
    password = "broker-pa55word-xyz"
    broker = broker_factory(users={"pictag": password})
    caplog.set_level(logging.DEBUG)
    good = publisher_factory(cfg(broker.port, username="pictag", password=password))
    bad = publisher_factory(cfg(broker.port, username="pictag", password="wrong-password-123"))
    wait_until(lambda: good.stats().connected, 10, "authenticated connect")
    wait_until(lambda: bad.stats().last_error is not None, 10, "refusal reported")
    assert not bad.stats().connected
    assert "refused" in (bad.stats().last_error or "")
    sub = Recorder(broker.port, ("pictag/#",), username="pictag", password=password).start()
    sub.wait_for("pictag/availability", b"online")
    sub.stop()
    text = caplog.text + repr(good.stats()) + repr(bad.stats()) + repr(cfg(1, password=password))
    assert password not in text and "wrong-password-123" not in text


def test_callers_never_wait_on_a_dead_broker_and_drops_are_counted() -> None:
    pub = MqttPublisher(cfg(free_port(), queue_size=100))  # nothing listens there
    pub.start()
    try:
        t0 = time.perf_counter()
        accepted = sum(pub.publish_event({"type": "x", "i": i}) for i in range(10_000))
        for i in range(10_000):
            pub.set_site_occupancy(i)
        elapsed = time.perf_counter() - t0
        stats = pub.stats()
        assert accepted == 100 and stats.events_dropped == 9_900 and stats.events_queued == 100
        assert not stats.connected
        assert elapsed < 2.0, f"20000 calls took {elapsed:.2f} s"
    finally:
        pub.stop(timeout_s=1)


@pytest.mark.parametrize("camera_id", ["site", "events", "alerts"])
def test_camera_ids_that_collide_with_topics_are_refused(camera_id: str) -> None:
    with pytest.raises(MqttError, match="reserved_for_mqtt"):
        SiteLayout(cameras=(CameraInfo(camera_id),))


def test_non_default_prefix_namespaces_unique_ids(broker: MosquittoBroker, publisher_factory) -> None:
    publisher_factory(cfg(broker.port, prefix="shop2/pictag", discovery_prefix="homeassistant"), SiteLayout())
    late = Recorder(broker.port, ("homeassistant/#",)).start()
    try:
        payload = json.loads(late.wait_for("homeassistant/sensor/pictag_shop2_pictag_site_occupancy/config"))
        check_ha_discovery(
            "homeassistant/sensor/pictag_shop2_pictag_site_occupancy/config", payload, "shop2/pictag/availability"
        )
        assert payload["state_topic"] == "shop2/pictag/site/occupancy"
    finally:
        late.stop()


def test_reserved_ids_agree_with_config_check() -> None:
    from pictag.config.root import MQTT_RESERVED_CAMERA_IDS
    from pictag.integrations.topics import RESERVED_CAMERA_IDS

    assert MQTT_RESERVED_CAMERA_IDS == RESERVED_CAMERA_IDS
