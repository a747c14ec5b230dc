"""`MqttPublisher`: PicTag's live figures and events on an MQTT broker, for Home Assistant and others.

Callers (the runtime's actors) only touch in-memory state under a short lock:

- retained *states* (occupancy, camera status, counters, alert flags) are latest-wins
  values per topic: a burst of updates costs one publish, and nothing is lost while
  the broker is away — the newest value goes out after the reconnect;
- *events* go to a bounded queue; when it is full the oldest is dropped and counted.

A worker thread publishes; paho-mqtt's network thread connects and reconnects with a
doubling delay capped at ``reconnect_max_s`` (first connect included). On every
(re)connect — and whenever Home Assistant announces itself on
``<discovery_prefix>/status`` — the worker republishes the discovery configs, every
retained state, then ``online`` on the availability topic. The broker publishes the
last will ``offline`` there if PicTag vanishes; `stop` publishes it cleanly. The broker
password lives only inside the paho client; nothing here logs it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from pictag import __version__
from pictag.config.mqtt import MqttConfig
from pictag.integrations.topics import (
    OFFLINE,
    ONLINE,
    Discovery,
    SiteLayout,
    Topics,
    check_segment,
    encode,
    slug,
)

log = logging.getLogger(__name__)

STATE_QOS = 1
EVENT_QOS = 0


@dataclass(frozen=True)
class MqttStats:
    """Counters for the runtime's stats / metrics (no secrets)."""

    connected: bool
    connects: int
    disconnects: int
    states_published: int
    events_published: int
    events_dropped: int
    events_queued: int
    last_error: str | None


class MqttPublisher:
    """Publishes retained states, events and Home Assistant discovery; never blocks its caller.

    Thread-safe: every public method may be called from any thread (actor methods,
    asyncio tasks). Build, `start`, feed, `stop`.
    """

    def __init__(self, config: MqttConfig, layout: SiteLayout | None = None, *, sw_version: str = __version__) -> None:
        self._cfg = config
        self._topics = Topics(config.prefix)
        self._discovery = Discovery(config.prefix, config.discovery_prefix, sw_version)
        self._cond = threading.Condition()
        self._states: dict[str, str] = {}
        self._dirty: dict[str, None] = {}  # ordered set of topics to publish
        self._events: deque[str] = deque()
        self._configs: dict[str, str] = {}
        self._removed_configs: dict[str, None] = {}  # config and state topics to empty (retained)
        self._resync = False
        self._connected = False
        self._stopping = False
        self._counts = {"connects": 0, "disconnects": 0, "states": 0, "events": 0, "dropped": 0}
        self._last_error: str | None = None
        self._worker: threading.Thread | None = None
        self._client = self._build_client()
        self.set_layout(layout or SiteLayout())

    # ------------------------------------------------------------------ lifecycle

    def _build_client(self) -> paho.Client:
        cfg = self._cfg
        client_id = cfg.client_id or f"pictag-{slug(cfg.prefix)}-{secrets.token_hex(3)}"
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if cfg.username is not None:
            password = cfg.password.get_secret_value() if cfg.password is not None else None
            client.username_pw_set(cfg.username, password)
        if cfg.tls:
            client.tls_set(ca_certs=cfg.tls_ca_file)
        client.will_set(self._topics.availability, OFFLINE, qos=STATE_QOS, retain=True)
        client.reconnect_delay_set(
            min_delay=max(1, round(cfg.reconnect_min_s)), max_delay=max(1, round(cfg.reconnect_max_s))
        )
        client.max_queued_messages_set(cfg.queue_size)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        """Start connecting (in the background) and the publishing thread; returns at once."""
        if self._worker is not None:
            return
        self._client.connect_async(self._cfg.host, self._cfg.port, keepalive=self._cfg.keepalive_s)
        self._client.loop_start()
        self._worker = threading.Thread(target=self._run, name="pictag-mqtt", daemon=True)
        self._worker.start()
        log.info("mqtt publisher started broker=%s:%d prefix=%s", self._cfg.host, self._cfg.port, self._cfg.prefix)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Publish ``offline``, disconnect and stop the threads (waits at most ~``timeout_s``)."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout_s)
        try:
            if self._client.is_connected():
                info = self._client.publish(self._topics.availability, OFFLINE, qos=STATE_QOS, retain=True)
                info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError) as err:
            log.debug("offline message not sent: %s", err)
        self._client.disconnect()
        self._client.loop_stop()

    # ------------------------------------------------------------------ what callers feed

    def set_layout(self, layout: SiteLayout) -> None:
        """Cameras, lines, zones and alert rules that get Home Assistant entities.

        Entities that disappeared get an empty retained config (Home Assistant removes
        them) and their retained state is cleared.
        """
        configs = (
            {topic: encode(payload) for topic, payload in self._discovery.messages(layout).items()}
            if self._cfg.discovery
            else {}
        )
        with self._cond:
            gone = set(self._configs) - set(configs)
            for topic in gone:
                self._removed_configs[topic] = None
            self._configs = configs
            keep = _state_topics(layout, self._topics)
            for topic in [t for t in self._states if t not in keep]:
                del self._states[topic]
                self._dirty.pop(topic, None)
                self._removed_configs[topic] = None  # an empty retained payload: the broker forgets it
            self._resync = True
            self._cond.notify_all()

    def _set(self, topic: str, value: str) -> None:
        with self._cond:
            if self._states.get(topic) == value:
                return
            self._states[topic] = value
            self._dirty[topic] = None
            self._cond.notify_all()

    def set_site_occupancy(self, people: int) -> None:
        """People inside the site."""
        self._set(self._topics.site_occupancy, str(int(people)))

    def set_site_footfall(self, entered_today: int) -> None:
        """Entrance ``in`` crossings since the start of the local day."""
        self._set(self._topics.site_footfall, str(int(entered_today)))

    def set_camera_occupancy(self, camera_id: str, people: int) -> None:
        """People in view of one camera."""
        self._set(self._topics.camera_occupancy(check_segment(camera_id, "camera_id")), str(int(people)))

    def set_camera_status(self, camera_id: str, state: str) -> None:
        """A camera's state (``live`` counts as online in Home Assistant)."""
        self._set(self._topics.camera_status(check_segment(camera_id, "camera_id")), state)

    def set_line_counts(self, camera_id: str, line_id: str, entered: int, left: int) -> None:
        """Today's ``in`` and ``out`` crossings of one line."""
        check_segment(camera_id, "camera_id")
        check_segment(line_id, "line_id")
        self._set(self._topics.line(camera_id, line_id, "in"), str(int(entered)))
        self._set(self._topics.line(camera_id, line_id, "out"), str(int(left)))

    def set_zone_count(self, camera_id: str, zone_id: str, people: int) -> None:
        """People in a zone now."""
        check_segment(camera_id, "camera_id")
        self._set(self._topics.zone_count(camera_id, check_segment(zone_id, "zone_id")), str(int(people)))

    def set_alert(self, rule_id: str, open_: bool) -> None:
        """``ON`` while at least one alert of the rule is open."""
        self._set(self._topics.alert(check_segment(rule_id, "rule_id")), "ON" if open_ else "OFF")

    def publish_event(self, event: Mapping[str, Any]) -> bool:
        """Queue one event for ``<prefix>/events``; False when the queue was full (oldest dropped)."""
        payload = encode(dict(event))
        with self._cond:
            dropped = len(self._events) >= self._cfg.queue_size
            if dropped:
                self._events.popleft()
                self._counts["dropped"] += 1
            self._events.append(payload)
            self._cond.notify_all()
        return not dropped

    def stats(self) -> MqttStats:
        """Connection and queue counters."""
        with self._cond:
            return MqttStats(
                connected=self._connected,
                connects=self._counts["connects"],
                disconnects=self._counts["disconnects"],
                states_published=self._counts["states"],
                events_published=self._counts["events"],
                events_dropped=self._counts["dropped"],
                events_queued=len(self._events),
                last_error=self._last_error,
            )

    # ------------------------------------------------------------------ paho callbacks (network thread)

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            with self._cond:
                self._last_error = f"connect refused: {reason}"
            log.warning("mqtt broker=%s:%d refused the connection: %s", self._cfg.host, self._cfg.port, reason)
            return
        client.subscribe(f"{self._cfg.discovery_prefix}/status", qos=1)
        with self._cond:
            self._connected = True
            self._counts["connects"] += 1
            self._resync = True
            self._cond.notify_all()
        log.info("mqtt connected broker=%s:%d", self._cfg.host, self._cfg.port)

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        with self._cond:
            was = self._connected
            self._connected = False
            if was:
                self._counts["disconnects"] += 1
            if was and not self._stopping:  # a refused connect keeps its more telling error
                self._last_error = f"disconnected: {reason}"
        if was and not self._stopping:
            log.warning("mqtt link lost broker=%s:%d (%s); reconnecting", self._cfg.host, self._cfg.port, reason)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        # Home Assistant's birth message: it restarted and forgot non-retained state.
        if message.payload == b"online":
            with self._cond:
                self._resync = True
                self._cond.notify_all()

    # ------------------------------------------------------------------ worker thread

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not (self._connected and self._has_work()):
                    self._cond.wait(1.0)
                if self._stopping:
                    return
                batch = self._take_batch()
            if not self._send(batch):
                time.sleep(0.05)  # the link dropped mid-batch; paho is reconnecting

    def _has_work(self) -> bool:
        return bool(self._resync or self._dirty or self._events or self._removed_configs)

    def _take_batch(self) -> _Batch:
        if self._resync:
            states = dict(self._states)
            configs = dict(self._configs)
        else:
            states = {t: self._states[t] for t in self._dirty}
            configs = {}
        batch = _Batch(
            resync=self._resync,
            removed=list(self._removed_configs),
            configs=configs,
            states=states,
            events=list(self._events),
        )
        self._resync = False
        self._dirty.clear()
        self._removed_configs.clear()
        self._events.clear()
        return batch

    def _send(self, batch: _Batch) -> bool:
        """Publish a batch; False when the link failed (unsent events are put back first in line)."""
        pub = self._client.publish
        sent = 0
        try:
            for topic in batch.removed:
                _ok(pub(topic, "", qos=STATE_QOS, retain=True))
            for topic, payload in (*batch.configs.items(), *batch.states.items()):
                _ok(pub(topic, payload, qos=STATE_QOS, retain=True))
            if batch.resync:
                _ok(pub(self._topics.availability, ONLINE, qos=STATE_QOS, retain=True))
            for payload in batch.events:
                _ok(pub(self._topics.events, payload, qos=EVENT_QOS, retain=False))
                sent += 1
        except _PublishFailed as err:
            with self._cond:
                self._last_error = f"publish failed: {err}"
                self._counts["events"] += sent
                self._resync = True  # states and configs go out again after the reconnect
                self._events.extendleft(reversed(batch.events[sent:]))
            return False
        with self._cond:
            self._counts["states"] += len(batch.states)
            self._counts["events"] += sent
        return True


@dataclass
class _Batch:
    resync: bool
    removed: list[str]
    configs: dict[str, str]
    states: dict[str, str]
    events: list[str]


class _PublishFailed(Exception):
    pass


def _ok(info: paho.MQTTMessageInfo) -> None:
    if info.rc != paho.MQTT_ERR_SUCCESS:
        raise _PublishFailed(paho.error_string(info.rc))


def _state_topics(layout: SiteLayout, t: Topics) -> set[str]:
    """Retained state topics that belong to the layout (others are cleared when it changes)."""
    topics: set[str] = {t.site_occupancy, t.site_footfall}
    for cam in layout.cameras:
        topics |= {t.camera_occupancy(cam.camera_id), t.camera_status(cam.camera_id)}
    for line in layout.lines:
        topics |= {t.line(line.camera_id, line.line_id, d) for d in ("in", "out")}
    topics |= {t.zone_count(z.camera_id, z.zone_id) for z in layout.zones}
    topics |= {t.alert(a.rule_id) for a in layout.alerts}
    return topics
