"""Alert rules: thresholds on live measurements, raised once and cleared once (hysteresis)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pictag.config.base import ConfigModel

ALERT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
AlertKind = Literal["occupancy_above", "queue_above", "zone_dwell_above", "camera_offline"]
NotifyTarget = Literal["dashboard", "mqtt", "webhook"]
#: Kinds compared against ``value`` (the others are a yes/no condition).
THRESHOLD_KINDS = frozenset({"occupancy_above", "queue_above", "zone_dwell_above"})
ZONE_KINDS = frozenset({"queue_above", "zone_dwell_above"})
DEFAULT_CLEAR_FOR_S = 5.0


class AlertRuleConfig(ConfigModel):
    """One rule; see docs/integrations.md for what each kind measures."""

    id: str = Field(pattern=ALERT_ID_PATTERN, description="Stable rule id (alert events and the API name it).")
    when: AlertKind = Field(
        description=(
            "occupancy_above: people in view per listed camera (site total when cameras is empty); "
            "queue_above: people in a queue zone; zone_dwell_above: longest current stay in a zone (s); "
            "camera_offline: a camera not delivering frames."
        )
    )
    value: float | None = Field(
        default=None, ge=0, le=1_000_000, description="Threshold (people, or seconds for zone_dwell_above)."
    )
    for_s: float = Field(default=0.0, ge=0, le=86_400, description="The condition must hold this long to raise.")
    cameras: list[str] = Field(default_factory=list, description="Cameras watched (empty: all; site for occupancy).")
    zones: list[str] = Field(
        default_factory=list, description="Zone ids watched, or camera_id/zone_id (empty: all of the right kind)."
    )
    notify: list[NotifyTarget] = Field(
        default_factory=lambda: list[NotifyTarget](["dashboard"]), description="Where raised/cleared alerts go."
    )
    clear_margin: float | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="Clears once the value is at or below value - clear_margin (default: 10 % of value, at least 1).",
    )
    clear_for_s: float = Field(
        default=DEFAULT_CLEAR_FOR_S, ge=0, le=86_400, description="The clear condition must hold this long to clear."
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> AlertRuleConfig:
        check_value_matches_kind(self)
        check_zones_match_kind(self)
        return self

    @property
    def clear_level(self) -> float:
        """The value at or below which a raised threshold alert clears (hysteresis band under ``value``)."""
        value = self.value or 0.0
        margin = self.clear_margin if self.clear_margin is not None else max(0.1 * value, 1.0)
        return max(value - margin, 0.0)


def check_value_matches_kind(rule: AlertRuleConfig) -> None:
    """Threshold kinds need a value; camera_offline has none (its duration is for_s)."""
    if rule.when in THRESHOLD_KINDS and rule.value is None:
        raise ValueError(f"alert {rule.id}: when={rule.when} needs a value")
    if rule.when not in THRESHOLD_KINDS and (rule.value is not None or rule.clear_margin is not None):
        raise ValueError(f"alert {rule.id}: when={rule.when} takes no value/clear_margin; set for_s for the duration")


def check_zones_match_kind(rule: AlertRuleConfig) -> None:
    """Zones only mean something for zone kinds."""
    if rule.zones and rule.when not in ZONE_KINDS:
        raise ValueError(f"alert {rule.id}: zones apply to queue_above and zone_dwell_above only")
