"""The integration hub end to end: a scripted occupancy series raises and clears an alert once, which
reaches a real mosquitto (binary sensor + events) and a real webhook receiver; pipeline events flow too."""

from __future__ import annotations

import json

from pictag.alerts import Snapshot
from pictag.config import parse_config
from pictag.integrations.hub import IntegrationHub
from pictag.integrations.webhooks import SIGNATURE_HEADER, verify
from tests.integrations.mqtt_broker import MosquittoBroker, Recorder, wait_until
from tests.integrations.webhook_receiver import Receiver

SECRET = "hub-secret-0123456789abcdef"


def test_alert_series_reaches_mqtt_and_webhook_once(broker: MosquittoBroker) -> None:
    receiver = Receiver()
    config = parse_config(
        {
            "cameras": [{"id": "entrance", "url": "x.mp4"}],
            "mqtt": {"host": "127.0.0.1", "port": broker.port},
            "webhooks": [{"url": receiver.url("/hook"), "events": ["alert.*", "camera.status"], "secret": SECRET}],
            "alerts": [
                {
                    "id": "crowded",
                    "when": "occupancy_above",
                    "value": 3,
                    "for_s": 10,
                    "clear_for_s": 5,
                    "notify": ["dashboard", "mqtt", "webhook"],
                }
            ],
        }
    )
    hub = IntegrationHub(config)
    hub.start()
    sub = Recorder(broker.port, ("pictag/#",)).start()
    try:
        hub.publish([{"type": "camera.status", "camera_id": "entrance", "status": "live", "ts_unix": 0.0}])
        series = [3, 4, 5, 3, 4, 4, 5, 6, 5, 4, 4, 3, 2, 3, 2, 2, 2, 2, 2, 3, 4]  # one snapshot per 2 s
        made = []
        for k, occ in enumerate(series):
            made += hub.tick(Snapshot(ts=2.0 * k, site_occupancy=occ, camera_occupancy={"entrance": occ}))
            if k == 10:
                assert [a["rule_id"] for a in hub.open_alerts()] == ["crowded"]
                sub.wait_for("pictag/alerts/crowded", b"ON")  # retained states are latest-wins: look while open
        assert [(e["type"], e["ts_unix"]) for e in made] == [("alert.raised", 18.0), ("alert.cleared", 34.0)]
        sub.wait_for("pictag/alerts/crowded", b"OFF")
        sub.wait_for("pictag/entrance/status", b"live")
        sub.wait_for("pictag/site/occupancy", b"4")
        wait_until(lambda: len(sub.on("pictag/events")) == 3, 10, "status + two alert events on MQTT")
        types = [json.loads(p)["type"] for p in sub.on("pictag/events")]
        assert types == ["camera.status", "alert.raised", "alert.cleared"]
        wait_until(lambda: len(receiver.on("/hook")) == 3, 10, "three webhook deliveries")
        bodies = [json.loads(r.body) for r in receiver.on("/hook")]
        assert [b["type"] for b in bodies] == ["camera.status", "alert.raised", "alert.cleared"]
        assert all(verify(SECRET, r.body, r.headers[SIGNATURE_HEADER]) for r in receiver.on("/hook"))
        assert bodies[1]["alert_id"] == bodies[2]["alert_id"] and hub.open_alerts() == []
    finally:
        sub.stop()
        hub.stop(timeout_s=2)
        receiver.close()
