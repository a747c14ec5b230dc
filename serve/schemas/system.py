"""Health, live settings and open alerts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pictag.serve.schemas.cameras import Camera
from pictag.serve.schemas.common import ApiModel


class StageView(ApiModel):
    """One pipeline stage's health."""

    kind: str = Field(description="detector, embedder, identity, store, event_hub or controller.")
    node: str | None = Field(default=None, description="Node label it serves (null: the head node).")
    status: Literal["starting", "up", "down"]
    reason: str | None = Field(default=None, description="Why it is down, in the stage's own words.")
    since: float | None = Field(default=None, description="When the status last changed (epoch seconds).")
    restarts: int = Field(default=0, description="Times the controller re-created it.")
    next_restart_at: float | None = Field(default=None, description="Next re-creation attempt (epoch seconds).")


class Health(ApiModel):
    """``ok`` when every stage answers; ``degraded`` (HTTP 503) when one is down."""

    status: Literal["ok", "degraded"]
    version: str
    stages: dict[str, StageView]
    cameras: dict[str, int] = Field(description="Cameras counted by status.")


class DetectorSettings(ApiModel):
    """Live detector settings."""

    confidence: float


class ReidSettings(ApiModel):
    """Live re-identification settings."""

    threshold: float | str = Field(description="Cosine similarity to match a known person.")


class PrivacySettings(ApiModel):
    """Live privacy settings (``allow_unanonymized`` is read-only: the configuration file decides)."""

    anonymize: str
    retention_days: float
    allow_unanonymized: bool


class Settings(ApiModel):
    """The settings that can change while PicTag runs."""

    detector: DetectorSettings
    reid: ReidSettings
    privacy: PrivacySettings


class ConfigView(Settings):
    """The live settings and the cameras."""

    cameras: list[Camera]


class AlertItem(ApiModel):
    """One open alert (the fields of its ``alert.raised`` event)."""

    alert_id: str = Field(description="Unique id of this occurrence; its alert.cleared event carries the same.")
    rule_id: str = Field(description="The rule (alerts[].id).")
    kind: str = Field(description="The rule's when: occupancy_above, queue_above, zone_dwell_above, camera_offline.")
    subject: str = Field(description="site, a camera id, or camera_id/zone_id.")
    camera_id: str | None = Field(default=None, description="The camera, where the subject has one.")
    zone_id: str | None = Field(default=None, description="The zone, for zone rules.")
    value: float | None = Field(default=None, description="The measured value when raised.")
    threshold: float | None = Field(default=None, description="The rule's value.")
    since: str = Field(description="When the condition started holding (ISO-8601 UTC).")
    raised_at: str = Field(description="When the alert was raised (ISO-8601 UTC).")
    notify: list[str] = Field(description="Where the rule's alerts go: dashboard, mqtt, webhook.")


class AlertList(ApiModel):
    """Open alerts, oldest first."""

    items: list[AlertItem]
    rules: int = Field(description="Alert rules the runtime evaluates (0: nothing can be open).")
