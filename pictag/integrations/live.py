"""Live figures for the integration hub, gathered from the running runtime's own parts.

Once a second the integrations actor asks the controller for its cameras (status, people in
view) and the identity stage for its footfall snapshot (site occupancy, zones), and feeds
`LiveFigures` every event it reads from the event hub. `LiveFigures.state` turns that into
a `LiveState`: the alert engine's `Snapshot`, the MQTT layout (cameras, lines, zones that get
Home Assistant entities), camera states and today's per-line counters.

Where each figure comes from:

- people in view per camera, camera online: the controller (``status == "live"``); a
  disabled camera is not measured (its camera_offline alerts are cleared, not raised);
- site occupancy and zone counts: the footfall snapshot (issue 17); without one, site
  occupancy is unknown and zone counts come from ``zone.entered`` / ``zone.left`` events;
- longest current stay per zone (zone_dwell_above): ``zone.entered`` / ``zone.left``
  events (a ``track.ended`` ends every presence of that track);
- per-line ``in`` / ``out`` today (MQTT counters): ``line.crossed`` events since local
  midnight; site footfall (entrance ``in``) from the footfall snapshot when there is one.

Counters from events start at zero when the actor starts (a restart mid-day restarts them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

from pictag.alerts.snapshot import Snapshot, ZoneKind, ZoneMeasure
from pictag.config.alerts import AlertRuleConfig
from pictag.footfall.engine import FootfallSnapshot
from pictag.integrations.topics import (
    RESERVED_CAMERA_IDS,
    AlertInfo,
    CameraInfo,
    LineInfo,
    MqttError,
    SiteLayout,
    check_segment,
)
from pictag.integrations.topics import ZoneInfo as ZoneEntity

LINE_CROSSED = "line.crossed"
ZONE_ENTERED = "zone.entered"
ZONE_LEFT = "zone.left"
TRACK_ENDED = "track.ended"
LIVE = "live"
_ZONE_KINDS = frozenset(get_args(ZoneKind))


@dataclass(frozen=True)
class CameraView:
    """What the integrations need of one camera of ``ControllerActor.list_cameras``."""

    camera_id: str
    name: str
    enabled: bool
    status: str
    occupancy: int

    @classmethod
    def from_api(cls, cam: Mapping[str, Any]) -> CameraView:
        """From one item of the controller's camera list."""
        return cls(
            camera_id=str(cam["id"]),
            name=str(cam.get("name") or cam["id"]),
            enabled=bool(cam.get("enabled", True)),
            status=str(cam.get("status") or "offline"),
            occupancy=int(cam.get("occupancy") or 0),
        )


@dataclass(frozen=True)
class LineTotal:
    """Crossings of one line today, per direction."""

    camera_id: str
    line_id: str
    ins: int
    outs: int


@dataclass(frozen=True)
class LiveState:
    """Everything the hub publishes and evaluates at one instant.

    Attributes:
        snapshot: the alert engine's input.
        layout: entities for Home Assistant discovery.
        camera_status: state per camera (retained ``<prefix>/<camera>/status``).
        lines: today's counters per line.
        site_footfall: entrance ``in`` crossings since the last reset (None: no footfall).
        disabled: cameras switched off (their camera_offline alerts are cleared).
    """

    snapshot: Snapshot
    layout: SiteLayout
    camera_status: Mapping[str, str] = field(default_factory=dict)
    lines: tuple[LineTotal, ...] = ()
    site_footfall: int | None = None
    disabled: frozenset[str] = frozenset()


class LiveFigures:
    """Event-derived counters plus the per-second assembly of a `LiveState` (pure: no I/O, no clock)."""

    def __init__(self, tz: ZoneInfo, alerts: Sequence[AlertRuleConfig] = ()) -> None:
        self._tz = tz
        self._alerts = tuple(AlertInfo(a.id) for a in alerts if "mqtt" in a.notify)
        self._day: str | None = None
        self._lines: dict[tuple[str, str], list[int]] = {}
        self._zones: dict[tuple[str, str], str] = {}  # (camera, zone) -> kind, as seen in events
        self._inside: dict[tuple[str, str, int], float] = {}  # (camera, zone, track) -> entered at
        self._last_now = 0.0

    # ---- events --------------------------------------------------------------------------
    def observe(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Fold pipeline events (others are ignored)."""
        for e in events:
            kind = e.get("type")
            if kind == LINE_CROSSED:
                self._crossed(e)
            elif kind == ZONE_ENTERED:
                key = _zone_key(e)
                if key is not None:
                    self._zones[key[:2]] = str(e.get("kind") or self._zones.get(key[:2], "area"))
                    self._inside.setdefault(key, _ts(e) or self._last_now)
            elif kind == ZONE_LEFT:
                key = _zone_key(e)
                if key is not None:
                    self._inside.pop(key, None)
            elif kind == TRACK_ENDED and e.get("camera_id") is not None and e.get("track_id") is not None:
                cam, track = str(e["camera_id"]), int(e["track_id"])
                for k in [k for k in self._inside if k[0] == cam and k[2] == track]:
                    del self._inside[k]

    def _crossed(self, e: Mapping[str, Any]) -> None:
        if e.get("camera_id") is None or e.get("line_id") is None or e.get("direction") not in ("in", "out"):
            return
        ts = _ts(e)
        if ts is not None:
            self._roll_day(ts)
        pair = self._lines.setdefault((str(e["camera_id"]), str(e["line_id"])), [0, 0])
        pair[0 if e["direction"] == "in" else 1] += 1

    def _roll_day(self, ts: float) -> None:
        day = datetime.fromtimestamp(ts, self._tz).date().isoformat()
        if day != self._day:
            self._day = day
            self._lines = {k: [0, 0] for k in self._lines}

    # ---- per tick ------------------------------------------------------------------------
    def state(self, now: float, cameras: Sequence[CameraView], footfall: FootfallSnapshot | None) -> LiveState:
        """The figures at ``now`` from the controller's cameras and the footfall snapshot (None: none)."""
        self._roll_day(now)
        self._last_now = now
        enabled = [c for c in cameras if c.enabled]
        zones = self._zone_measures(now, footfall)
        line_keys = set(self._lines)
        if footfall is not None:
            line_keys |= {(ln.camera_id, ln.line_id) for ln in footfall.lines}
        lines = tuple(LineTotal(cam, line, *self._lines.get((cam, line), (0, 0))) for cam, line in sorted(line_keys))
        snapshot = Snapshot(
            ts=now,
            site_occupancy=footfall.occupancy if footfall is not None else None,
            camera_occupancy={c.camera_id: c.occupancy for c in cameras},
            camera_online={c.camera_id: c.status == LIVE for c in enabled},
            zones=zones,
        )
        # Only names that can be topics (a camera added at run time may be called "site").
        named = [c for c in cameras if _topic_safe(c.camera_id) and c.camera_id not in RESERVED_CAMERA_IDS]
        known = {c.camera_id for c in named}
        lines = tuple(ln for ln in lines if ln.camera_id in known and _topic_safe(ln.line_id))
        layout = SiteLayout(
            cameras=tuple(CameraInfo(c.camera_id, c.name) for c in named),
            lines=tuple(LineInfo(ln.camera_id, ln.line_id) for ln in lines),
            zones=tuple(
                ZoneEntity(z.camera_id, z.zone_id, kind=z.kind)
                for z in zones
                if z.camera_id in known and _topic_safe(z.zone_id)
            ),
            alerts=self._alerts,
            footfall=footfall is not None,
        )
        return LiveState(
            snapshot=snapshot,
            layout=layout,
            camera_status={c.camera_id: c.status for c in named},
            lines=lines,
            site_footfall=footfall.entered if footfall is not None else None,
            disabled=frozenset(c.camera_id for c in cameras if not c.enabled),
        )

    def _zone_measures(self, now: float, footfall: FootfallSnapshot | None) -> tuple[ZoneMeasure, ...]:
        longest: dict[tuple[str, str], float] = {}
        count: dict[tuple[str, str], int] = {}
        for (cam, zone, _), since in self._inside.items():
            key = (cam, zone)
            longest[key] = max(longest.get(key, 0.0), now - since, 0.0)
            count[key] = count.get(key, 0) + 1
        figures: list[tuple[str, str, str, int]]
        if footfall is not None:
            figures = [(z.camera_id, z.zone_id, z.kind, z.count) for z in footfall.zones]
        else:
            figures = [(cam, zone, kind, count.get((cam, zone), 0)) for (cam, zone), kind in self._zones.items()]
        return tuple(
            ZoneMeasure(cam, zone, _kind(kind), int(people), round(longest.get((cam, zone), 0.0), 3))
            for cam, zone, kind, people in sorted(figures)
        )


def _topic_safe(name: str) -> bool:
    try:
        check_segment(name, "name")
    except MqttError:
        return False
    return True


def _kind(kind: str) -> ZoneKind:
    return kind if kind in _ZONE_KINDS else "area"  # type: ignore[return-value]


def _ts(e: Mapping[str, Any]) -> float | None:
    value = e.get("ts_unix")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _zone_key(e: Mapping[str, Any]) -> tuple[str, str, int] | None:
    if e.get("camera_id") is None or e.get("zone_id") is None or e.get("track_id") is None:
        return None
    return str(e["camera_id"]), str(e["zone_id"]), int(e["track_id"])
