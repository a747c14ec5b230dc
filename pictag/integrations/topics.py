"""PicTag's MQTT topics and Home Assistant discovery payloads (pure: no network).

Topics (``P`` = ``mqtt.prefix``; states retained unless noted):

==============================================  =====================================================
``P/availability``                              ``online`` / ``offline`` (last will)
``P/events``                                    every event as JSON (not retained)
``P/site/occupancy``                            people inside the site
``P/site/footfall``                             entrance ``in`` crossings today (site footfall)
``P/<camera_id>/occupancy``                     people in view of the camera
``P/<camera_id>/status``                        camera state (live, connecting, stalled, ...)
``P/<camera_id>/lines/<line_id>/in`` (``out``)  crossings of a line today, per direction
``P/<camera_id>/zones/<zone_id>/count``         people in a zone now
``P/alerts/<rule_id>``                          ``ON`` while an alert of the rule is open
==============================================  =====================================================

Discovery: ``<discovery_prefix>/<component>/<object_id>/config`` (Home Assistant's
topic grammar: object ids of ``[a-zA-Z0-9_-]``), retained JSON with ``unique_id``,
``state_topic``, ``device`` (identifiers + name), ``availability`` and ``origin``.
One Home Assistant device per camera plus one for the site; an entity whose camera,
line or zone went away gets an empty retained config (Home Assistant removes it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pictag import __version__
from pictag.errors import PictagError

#: Camera ids that would collide with PicTag's own topic names under the prefix.
RESERVED_CAMERA_IDS = frozenset({"site", "events", "availability", "alerts"})
ONLINE = "online"
OFFLINE = "offline"
#: Camera state that counts as "online" for the camera's binary sensor.
LIVE_STATE = "live"
DEFAULT_PREFIX = "pictag"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_TOPIC_SEGMENT = re.compile(r"^[^/#+\x00]+$")


class MqttError(PictagError):
    """An MQTT setting or a name cannot be turned into topics."""


def slug(text: str) -> str:
    """A Home Assistant object-id part: every character outside ``[A-Za-z0-9_-]`` becomes ``_``."""
    return _UNSAFE.sub("_", text)


def check_segment(name: str, what: str) -> str:
    """A topic segment must not hold ``/``, ``+``, ``#`` or NUL (they change what a topic means)."""
    if not name or not _TOPIC_SEGMENT.match(name):
        raise MqttError(f"{what}={name!r} reason=bad_topic_segment; use letters, digits, '_', '-', '.'")
    return name


@dataclass(frozen=True)
class CameraInfo:
    """A camera as MQTT shows it."""

    camera_id: str
    name: str = ""


@dataclass(frozen=True)
class LineInfo:
    """A counting line (issue 17) as MQTT shows it."""

    camera_id: str
    line_id: str
    name: str = ""


@dataclass(frozen=True)
class ZoneInfo:
    """A zone (issue 17) as MQTT shows it."""

    camera_id: str
    zone_id: str
    name: str = ""
    kind: str = "area"


@dataclass(frozen=True)
class AlertInfo:
    """An alert rule that notifies MQTT."""

    rule_id: str
    name: str = ""


@dataclass(frozen=True)
class SiteLayout:
    """Everything that gets a Home Assistant entity; rebuilt when cameras, lines or zones change."""

    cameras: tuple[CameraInfo, ...] = ()
    lines: tuple[LineInfo, ...] = ()
    zones: tuple[ZoneInfo, ...] = ()
    alerts: tuple[AlertInfo, ...] = ()
    site_name: str = "PicTag site"
    footfall: bool = field(default=False)

    def __post_init__(self) -> None:
        for cam in self.cameras:
            check_segment(cam.camera_id, "camera_id")
            if cam.camera_id in RESERVED_CAMERA_IDS:
                raise MqttError(
                    f"camera_id={cam.camera_id} reason=reserved_for_mqtt; rename the camera "
                    f"(reserved under the MQTT prefix: {sorted(RESERVED_CAMERA_IDS)})"
                )
        for line in self.lines:
            check_segment(line.line_id, "line_id")
        for zone in self.zones:
            check_segment(zone.zone_id, "zone_id")
        for alert in self.alerts:
            check_segment(alert.rule_id, "rule_id")


@dataclass(frozen=True)
class Topics:
    """Topic names under one prefix."""

    prefix: str = DEFAULT_PREFIX

    @property
    def availability(self) -> str:
        """Last will and birth: ``online`` / ``offline``."""
        return f"{self.prefix}/availability"

    @property
    def events(self) -> str:
        """Every event as JSON."""
        return f"{self.prefix}/events"

    @property
    def site_occupancy(self) -> str:
        """People inside the site."""
        return f"{self.prefix}/site/occupancy"

    @property
    def site_footfall(self) -> str:
        """Entrance ``in`` crossings today."""
        return f"{self.prefix}/site/footfall"

    def camera_occupancy(self, camera_id: str) -> str:
        """People in view of one camera."""
        return f"{self.prefix}/{camera_id}/occupancy"

    def camera_status(self, camera_id: str) -> str:
        """One camera's state."""
        return f"{self.prefix}/{camera_id}/status"

    def line(self, camera_id: str, line_id: str, direction: str) -> str:
        """Today's crossings of a line in one direction (``in`` / ``out``)."""
        return f"{self.prefix}/{camera_id}/lines/{line_id}/{direction}"

    def zone_count(self, camera_id: str, zone_id: str) -> str:
        """People in a zone now."""
        return f"{self.prefix}/{camera_id}/zones/{zone_id}/count"

    def alert(self, rule_id: str) -> str:
        """``ON`` while an alert of the rule is open."""
        return f"{self.prefix}/alerts/{rule_id}"


@dataclass(frozen=True)
class Discovery:
    """Builds Home Assistant discovery messages for one PicTag site."""

    prefix: str = DEFAULT_PREFIX
    discovery_prefix: str = "homeassistant"
    sw_version: str = __version__

    @property
    def topics(self) -> Topics:
        """The state topics the configs point at."""
        return Topics(self.prefix)

    def object_id(self, *parts: str) -> str:
        """``pictag_<parts>``; a non-default prefix is part of it, so two sites never share ids."""
        ns = [] if self.prefix == DEFAULT_PREFIX else [self.prefix]
        return "_".join(["pictag", *(slug(p) for p in (*ns, *parts))])

    def config_topic(self, component: str, object_id: str) -> str:
        """``<discovery_prefix>/<component>/<object_id>/config``."""
        return f"{self.discovery_prefix}/{component}/{object_id}/config"

    def _device(self, layout: SiteLayout, camera: CameraInfo | None) -> dict[str, Any]:
        site_id = self.object_id("site")
        if camera is None:
            return {
                "identifiers": [site_id],
                "name": layout.site_name,
                "manufacturer": "PicTag",
                "model": "Site",
                "sw_version": self.sw_version,
            }
        return {
            "identifiers": [self.object_id("camera", camera.camera_id)],
            "name": f"PicTag {camera.name or camera.camera_id}",
            "manufacturer": "PicTag",
            "model": "Camera analytics",
            "sw_version": self.sw_version,
            "via_device": site_id,
        }

    def _entity(
        self, layout: SiteLayout, camera: CameraInfo | None, object_id: str, name: str, state_topic: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            "name": name,
            "unique_id": object_id,
            "state_topic": state_topic,
            "availability": [
                {"topic": self.topics.availability, "payload_available": ONLINE, "payload_not_available": OFFLINE}
            ],
            "device": self._device(layout, camera),
            "origin": {"name": "PicTag", "sw_version": self.sw_version},
            **extra,
        }

    def messages(self, layout: SiteLayout) -> dict[str, dict[str, Any]]:
        """Every discovery config of the layout: ``{config topic: payload}``."""
        out: dict[str, dict[str, Any]] = {}
        for spec in _entity_specs(layout, self.topics):
            oid = self.object_id(*spec.parts)
            out[self.config_topic(spec.component, oid)] = self._entity(
                layout, spec.camera, oid, spec.name, spec.state_topic, **spec.extra
            )
        return out


@dataclass(frozen=True)
class _Spec:
    component: str
    camera: CameraInfo | None
    parts: tuple[str, ...]
    name: str
    state_topic: str
    extra: dict[str, Any]


_PEOPLE = {"unit_of_measurement": "people", "state_class": "measurement", "icon": "mdi:account-group"}
_COUNTER = {"unit_of_measurement": "people", "state_class": "total_increasing", "icon": "mdi:counter"}
_ONLINE = {
    "device_class": "connectivity",
    "value_template": f"{{{{ 'ON' if value == '{LIVE_STATE}' else 'OFF' }}}}",
    "payload_on": "ON",
    "payload_off": "OFF",
}
_PROBLEM = {"device_class": "problem", "payload_on": "ON", "payload_off": "OFF"}


def _entity_specs(layout: SiteLayout, t: Topics) -> list[_Spec]:
    """What gets an entity: site figures, per camera occupancy and online, lines, zones, alerts."""
    specs = [_Spec("sensor", None, ("site", "occupancy"), "Occupancy", t.site_occupancy, _PEOPLE)]
    if layout.footfall:
        specs.append(_Spec("sensor", None, ("site", "footfall"), "Footfall today", t.site_footfall, _COUNTER))
    cams = {c.camera_id: c for c in layout.cameras}
    for cam in layout.cameras:
        cid = cam.camera_id
        specs.append(_Spec("sensor", cam, (cid, "occupancy"), "People in view", t.camera_occupancy(cid), _PEOPLE))
        specs.append(_Spec("binary_sensor", cam, (cid, "online"), "Online", t.camera_status(cid), _ONLINE))
    for line in layout.lines:
        cam = cams.get(line.camera_id, CameraInfo(line.camera_id))
        for direction in ("in", "out"):
            specs.append(
                _Spec(
                    "sensor",
                    cam,
                    (line.camera_id, "line", line.line_id, direction),
                    f"{line.name or line.line_id} {direction} today",
                    t.line(line.camera_id, line.line_id, direction),
                    _COUNTER,
                )
            )
    for zone in layout.zones:
        specs.append(
            _Spec(
                "sensor",
                cams.get(zone.camera_id, CameraInfo(zone.camera_id)),
                (zone.camera_id, "zone", zone.zone_id, "count"),
                f"{zone.name or zone.zone_id} people",
                t.zone_count(zone.camera_id, zone.zone_id),
                _PEOPLE,
            )
        )
    for alert in layout.alerts:
        name = f"Alert {alert.name or alert.rule_id}"
        specs.append(_Spec("binary_sensor", None, ("alert", alert.rule_id), name, t.alert(alert.rule_id), _PROBLEM))
    return specs


def encode(payload: Any) -> str:
    """Compact JSON for MQTT payloads."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
