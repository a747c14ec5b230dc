"""`IntegrationHub`: the one object a runtime actor holds to drive MQTT, webhooks and alert rules.

Per event batch (`publish`): every event goes to ``<prefix>/events`` and to the webhooks
subscribed to its type; ``camera.status`` also updates the camera's retained status.
Per tick (`tick`, about once a second, with a `Snapshot` of live figures): retained
occupancy and zone counts are updated, alert rules are evaluated, and each raise/clear
becomes an ``alert.raised`` / ``alert.cleared`` event (the transition's own ``to_json``) that is routed by the rule's
``notify``: ``mqtt`` → ``<prefix>/events`` and the rule's binary sensor, ``webhook`` →
the webhooks subscribed to it. The events are returned: the caller stores them and,
for ``dashboard``, broadcasts them. Nothing here blocks on the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pictag.alerts import AlertEngine, AlertTransition, Snapshot
from pictag.config.root import PictagConfig
from pictag.events import CAMERA_STATUS
from pictag.integrations.live import LiveState
from pictag.integrations.mqtt import MqttPublisher
from pictag.integrations.topics import AlertInfo, CameraInfo, SiteLayout
from pictag.integrations.webhooks import DeliverySink, WebhookDispatcher


def layout_from_config(config: PictagConfig, *, footfall: bool = False) -> SiteLayout:
    """Cameras of the config and the alert rules that notify MQTT (lines and zones: add issue 17's)."""
    return SiteLayout(
        cameras=tuple(CameraInfo(c.id, c.display_name) for c in config.cameras),
        alerts=tuple(AlertInfo(a.id) for a in config.alerts if "mqtt" in a.notify),
        footfall=footfall,
    )


class IntegrationHub:
    """MQTT publisher + webhook dispatcher + alert engine behind two calls: `publish` and `tick`."""

    def __init__(
        self,
        config: PictagConfig,
        *,
        delivery_sink: DeliverySink | None = None,
        layout: SiteLayout | None = None,
    ) -> None:
        self.alerts = AlertEngine(config.alerts)
        self.mqtt = MqttPublisher(config.mqtt, layout or layout_from_config(config)) if config.mqtt else None
        self.webhooks = WebhookDispatcher(config.webhooks, delivery_sink) if config.webhooks else None
        self._layout = layout or layout_from_config(config)
        self._disabled: frozenset[str] = frozenset()
        self._cameras: frozenset[str] | None = None

    def start(self) -> None:
        """Start the network threads (returns at once)."""
        if self.mqtt is not None:
            self.mqtt.start()
        if self.webhooks is not None:
            self.webhooks.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Publish ``offline``, stop the threads (queued webhook deliveries are abandoned)."""
        if self.mqtt is not None:
            self.mqtt.stop(timeout_s)
        if self.webhooks is not None:
            self.webhooks.stop(timeout_s)

    def publish(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Forward pipeline events (not alert events: `tick` routes those by their rule's notify)."""
        for event in events:
            if str(event.get("type", "")).startswith("alert."):
                continue
            if self.mqtt is not None:
                self.mqtt.publish_event(event)
                if event.get("type") == CAMERA_STATUS and event.get("camera_id") and event.get("status"):
                    self.mqtt.set_camera_status(str(event["camera_id"]), str(event["status"]))
            if self.webhooks is not None:
                self.webhooks.submit(event)

    def tick(self, snap: Snapshot) -> list[dict[str, Any]]:
        """Update retained figures, evaluate alert rules; return the alert events made (for store + dashboard)."""
        if self.mqtt is not None:
            if snap.site_occupancy is not None:
                self.mqtt.set_site_occupancy(snap.site_occupancy)
            for camera_id, people in snap.camera_occupancy.items():
                self.mqtt.set_camera_occupancy(camera_id, people)
            for zone in snap.zones:
                self.mqtt.set_zone_count(zone.camera_id, zone.zone_id, zone.count)
        return self._route(self.alerts.evaluate(snap))

    def update(self, state: LiveState) -> list[dict[str, Any]]:
        """One live tick: MQTT layout, states and counters, then the alert rules (see `tick`).

        Cameras that disappeared get their open alerts cleared (reason ``removed``); cameras
        switched off get their ``camera_offline`` alerts cleared (reason ``disabled``).
        """
        ts = state.snapshot.ts
        changes: list[AlertTransition] = []
        present = frozenset(state.snapshot.camera_occupancy)
        for camera_id in sorted((self._cameras or frozenset()) - present):
            changes += self.alerts.remove_subjects(camera_id=camera_id, ts=ts)
        for camera_id in sorted(state.disabled - self._disabled):
            changes += self.alerts.remove_subjects(
                camera_id=camera_id, ts=ts, kinds=frozenset({"camera_offline"}), reason="disabled"
            )
        self._cameras, self._disabled = present, state.disabled
        if self.mqtt is not None:
            if state.layout != self._layout:
                self._layout = state.layout
                self.mqtt.set_layout(state.layout)
            for camera_id, status in state.camera_status.items():
                self.mqtt.set_camera_status(camera_id, status)
            for line in state.lines:
                self.mqtt.set_line_counts(line.camera_id, line.line_id, line.ins, line.outs)
            if state.site_footfall is not None:
                self.mqtt.set_site_footfall(state.site_footfall)
        return self._route(changes) + self.tick(state.snapshot)

    def _route(self, transitions: Iterable[AlertTransition]) -> list[dict[str, Any]]:
        out = []
        for change in transitions:
            event = change.to_json()
            if "mqtt" in change.notify and self.mqtt is not None:
                self.mqtt.publish_event(event)
                still_open = any(a.rule_id == change.rule_id for a in self.alerts.open_alerts())
                self.mqtt.set_alert(change.rule_id, still_open)
            if "webhook" in change.notify and self.webhooks is not None:
                self.webhooks.submit(event)
            out.append(event)
        return out

    def open_alerts(self) -> list[dict[str, Any]]:
        """Open alerts as JSON-ready dicts (``GET /api/v1/alerts``)."""
        return [{**a.payload(), "raised_at": a.ts} for a in self.alerts.open_alerts()]
