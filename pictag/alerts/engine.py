"""`AlertEngine`: turns a stream of `Snapshot`s into raised / cleared transitions.

Each rule watches one or more *subjects* (the site, a camera, a zone). Per subject a
small state machine runs:

- idle → raised when the condition has held for ``for_s`` without a break (``value``
  strictly above the threshold; camera_offline: the camera reports offline);
- raised → cleared when the *clear* condition has held for ``clear_for_s``: the value is
  at or below ``clear_level`` (threshold minus ``clear_margin``, default 10 % of the
  threshold and at least 1), or the camera is online again.

Between the two levels nothing changes, so a value jittering around the threshold
raises once and clears once. A missing measurement pauses both timers (resets
them): unknown is not evidence. Alerts whose subject or rule disappears are cleared
with a reason (``removed``, ``rule_changed``) so every raise gets exactly one clear.
The engine is pure: time comes from the snapshots, nothing is printed or sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pictag.alerts.snapshot import Snapshot
from pictag.config.alerts import AlertRuleConfig
from pictag.events import ALERT_CLEARED, ALERT_RAISED, Event, make_event

ClearReason = Literal["recovered", "removed", "disabled", "rule_changed"]


@dataclass(frozen=True)
class AlertRaised:
    """An alert started (the lead publishes it as ``alert.raised``).

    Attributes:
        alert_id: unique id of this occurrence (``rule/subject@ts``).
        rule_id, kind: the rule and its ``when``.
        subject: ``site``, a camera id, or ``camera_id/zone_id``.
        camera_id, zone_id: set where the subject has them.
        value: the measured value when raised (camera_offline: None).
        threshold: the rule's value (camera_offline: None).
        since: when the condition started holding (epoch s).
        ts: when it was raised (``since + for_s`` or later).
        notify: the rule's targets.
    """

    alert_id: str
    rule_id: str
    kind: str
    subject: str
    camera_id: str | None
    zone_id: str | None
    value: float | None
    threshold: float | None
    since: float
    ts: float
    notify: tuple[str, ...]

    def to_json(self) -> Event:
        """The ``alert.raised`` event (the transition is the event: one type, serialised here once)."""
        return make_event(ALERT_RAISED, self.ts, **self.payload())

    def payload(self) -> dict[str, Any]:
        """JSON-ready fields for the ``alert.raised`` event (without type/ts, which the event adds)."""
        return {
            "alert_id": self.alert_id,
            "rule_id": self.rule_id,
            "kind": self.kind,
            "subject": self.subject,
            "camera_id": self.camera_id,
            "zone_id": self.zone_id,
            "value": self.value,
            "threshold": self.threshold,
            "since": self.since,
            "notify": list(self.notify),
        }


@dataclass(frozen=True)
class AlertCleared:
    """An alert ended (``alert.cleared``): exactly one per `AlertRaised`."""

    alert_id: str
    rule_id: str
    kind: str
    subject: str
    camera_id: str | None
    zone_id: str | None
    value: float | None
    raised_at: float
    ts: float
    reason: ClearReason
    notify: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        """How long the alert was open."""
        return max(self.ts - self.raised_at, 0.0)

    def to_json(self) -> Event:
        """The ``alert.cleared`` event."""
        return make_event(ALERT_CLEARED, self.ts, **self.payload())

    def payload(self) -> dict[str, Any]:
        """JSON-ready fields for the ``alert.cleared`` event."""
        return {
            "alert_id": self.alert_id,
            "rule_id": self.rule_id,
            "kind": self.kind,
            "subject": self.subject,
            "camera_id": self.camera_id,
            "zone_id": self.zone_id,
            "value": self.value,
            "raised_at": self.raised_at,
            "duration_s": round(self.duration_s, 3),
            "reason": self.reason,
            "notify": list(self.notify),
        }


AlertTransition = AlertRaised | AlertCleared


@dataclass(frozen=True)
class _Reading:
    """One subject's measurement: ``holds``/``clears`` are None when unknown."""

    subject: str
    camera_id: str | None
    zone_id: str | None
    value: float | None
    holds: bool | None
    clears: bool | None


@dataclass
class _State:
    pending_since: float | None = None
    clearing_since: float | None = None
    active: AlertRaised | None = None


def _zone_selected(rule: AlertRuleConfig, camera_id: str, zone_id: str) -> bool:
    if rule.cameras and camera_id not in rule.cameras:
        return False
    return not rule.zones or zone_id in rule.zones or f"{camera_id}/{zone_id}" in rule.zones


def _threshold_reading(
    rule: AlertRuleConfig, subject: str, camera_id: str | None, zone_id: str | None, value: float | None
) -> _Reading:
    if value is None:
        return _Reading(subject, camera_id, zone_id, None, None, None)
    threshold = rule.value if rule.value is not None else 0.0
    return _Reading(subject, camera_id, zone_id, float(value), value > threshold, value <= rule.clear_level)


def readings(rule: AlertRuleConfig, snap: Snapshot) -> list[_Reading]:
    """The subjects a rule watches in this snapshot, with their condition states."""
    if rule.when == "occupancy_above":
        if not rule.cameras:
            return [_threshold_reading(rule, "site", None, None, snap.site_occupancy)]
        return [_threshold_reading(rule, c, c, None, snap.camera_occupancy.get(c)) for c in rule.cameras]
    if rule.when == "camera_offline":
        cameras = rule.cameras or sorted(snap.camera_online)
        out = []
        for cam in cameras:
            online = snap.camera_online.get(cam)
            known = online is not None
            out.append(_Reading(cam, cam, None, None, (not online) if known else None, online if known else None))
        return out
    zones = [z for z in snap.zones if _zone_selected(rule, z.camera_id, z.zone_id)]
    if rule.when == "queue_above":
        return [_threshold_reading(rule, z.key, z.camera_id, z.zone_id, z.count) for z in zones if z.kind == "queue"]
    return [_threshold_reading(rule, z.key, z.camera_id, z.zone_id, z.longest_dwell_s) for z in zones]


_Selector = Callable[[tuple[str, str], _State], bool]


class AlertEngine:
    """Evaluates alert rules on snapshots; holds per (rule, subject) state and the open alerts."""

    def __init__(self, rules: Sequence[AlertRuleConfig]) -> None:
        self._rules: dict[str, AlertRuleConfig] = {r.id: r for r in rules}
        self._state: dict[tuple[str, str], _State] = {}
        self._last_ts: float | None = None

    @property
    def rules(self) -> tuple[AlertRuleConfig, ...]:
        """The rules in force."""
        return tuple(self._rules.values())

    def evaluate(self, snap: Snapshot) -> list[AlertTransition]:
        """Advance every rule to ``snap.ts``; return what was raised or cleared (in rule order).

        A snapshot older than the previous one is evaluated at the previous time
        (a clock step backwards never shortens or lengthens a timer).
        """
        now = snap.ts if self._last_ts is None else max(snap.ts, self._last_ts)
        self._last_ts = now
        out: list[AlertTransition] = []
        for rule in self._rules.values():
            for reading in readings(rule, snap):
                state = self._state.setdefault((rule.id, reading.subject), _State())
                change = self._step(rule, state, reading, now)
                if change is not None:
                    out.append(change)
        return out

    def _step(self, rule: AlertRuleConfig, state: _State, r: _Reading, now: float) -> AlertTransition | None:
        if state.active is None:
            if not r.holds:
                state.pending_since = None
                return None
            if state.pending_since is None:
                state.pending_since = now
            if now - state.pending_since < rule.for_s:
                return None
            state.active = AlertRaised(
                alert_id=f"{rule.id}/{r.subject}@{now:.3f}",
                rule_id=rule.id,
                kind=rule.when,
                subject=r.subject,
                camera_id=r.camera_id,
                zone_id=r.zone_id,
                value=r.value,
                threshold=rule.value,
                since=state.pending_since,
                ts=now,
                notify=tuple(rule.notify),
            )
            state.pending_since = state.clearing_since = None
            return state.active
        if not r.clears:
            state.clearing_since = None
            return None
        if state.clearing_since is None:
            state.clearing_since = now
        if now - state.clearing_since < rule.clear_for_s:
            return None
        cleared = _cleared(state.active, now, "recovered", r.value)
        state.active = None
        state.clearing_since = None
        return cleared

    def open_alerts(self) -> list[AlertRaised]:
        """Alerts raised and not yet cleared, oldest first (for ``GET /api/v1/alerts``)."""
        found = [s.active for s in self._state.values() if s.active is not None]
        return sorted(found, key=lambda a: (a.ts, a.alert_id))

    def remove_subjects(
        self,
        *,
        camera_id: str,
        zone_id: str | None = None,
        ts: float,
        kinds: frozenset[str] | None = None,
        reason: ClearReason = "removed",
    ) -> list[AlertCleared]:
        """A camera (or one of its zones) was deleted: clear its open alerts (reason ``removed``).

        ``kinds`` limits it to alerts of those rule kinds (a camera switched off clears its
        ``camera_offline`` alerts with reason ``disabled``; its occupancy is still measured).
        """

        def gone(a: AlertRaised) -> bool:
            return (
                a.camera_id == camera_id
                and (zone_id is None or a.zone_id == zone_id)
                and (kinds is None or a.kind in kinds)
            )

        return self._drop(lambda key, state: state.active is not None and gone(state.active), ts, reason)

    def update_rules(self, rules: Sequence[AlertRuleConfig], *, ts: float) -> list[AlertCleared]:
        """Replace the rules; alerts of removed or changed rules are cleared (reason ``rule_changed``)."""
        new = {r.id: r for r in rules}
        changed = {rid for rid, old in self._rules.items() if new.get(rid) != old}
        cleared = self._drop(lambda key, state: key[0] in changed, ts, "rule_changed")
        self._rules = new
        return cleared

    def _drop(self, select: _Selector, ts: float, reason: ClearReason) -> list[AlertCleared]:
        out: list[AlertCleared] = []
        for key in [k for k, s in self._state.items() if select(k, s)]:
            state = self._state.pop(key)
            if state.active is not None:
                out.append(_cleared(state.active, ts, reason, None))
        return sorted(out, key=lambda c: c.alert_id)


def _cleared(active: AlertRaised, ts: float, reason: ClearReason, value: float | None) -> AlertCleared:
    return AlertCleared(
        alert_id=active.alert_id,
        rule_id=active.rule_id,
        kind=active.kind,
        subject=active.subject,
        camera_id=active.camera_id,
        zone_id=active.zone_id,
        value=value,
        raised_at=active.ts,
        ts=max(ts, active.ts),
        reason=reason,
        notify=active.notify,
    )
