"""The whole configuration tree and its cross-field checks."""

from __future__ import annotations

import ipaddress

from pydantic import Field, model_validator

from pictag.config.alerts import AlertRuleConfig
from pictag.config.base import ConfigModel
from pictag.config.cameras import CameraConfig
from pictag.config.detector import DetectorConfig
from pictag.config.identity import IdentityConfig
from pictag.config.mqtt import MqttConfig
from pictag.config.privacy import PrivacyConfig
from pictag.config.reid import ReidConfig
from pictag.config.reports import ReportsConfig
from pictag.config.runtime import RuntimeConfig
from pictag.config.server import ServerConfig
from pictag.config.site import SiteConfig
from pictag.config.storage import StorageConfig
from pictag.config.tracking import TrackingConfig
from pictag.config.webhooks import WebhookConfig

MAX_CAMERAS = 64
MAX_WEBHOOKS = 20
MAX_ALERTS = 200


def is_loopback_host(host: str) -> bool:
    """True for localhost / 127.0.0.0/8 / ::1 — the only binds allowed without a token."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_unique_camera_ids(cameras: list[CameraConfig]) -> None:
    """Two cameras with one id would share counters, tracks and events."""
    seen: set[str] = set()
    for cam in cameras:
        if cam.id in seen:
            raise ValueError(f"duplicate camera id {cam.id!r}")
        seen.add(cam.id)


def check_bind_needs_token(server: ServerConfig) -> None:
    """A non-loopback bind without a token would publish the dashboard to the network."""
    if not is_loopback_host(server.host) and server.auth_token is None:
        raise ValueError(
            f"server.host={server.host} is reachable from the network: set server.auth_token or bind 127.0.0.1"
        )


def check_anonymisation_off_is_explicit(privacy: PrivacyConfig) -> None:
    """Raw previews must be a deliberate choice."""
    if privacy.anonymize == "off" and not privacy.allow_unanonymized:
        raise ValueError("privacy.anonymize=off needs privacy.allow_unanonymized: true")


def check_tracking_thresholds(tracking: TrackingConfig) -> None:
    """The low band must sit under the high band."""
    if tracking.low_threshold > tracking.high_threshold:
        raise ValueError(
            f"tracking.low_threshold ({tracking.low_threshold}) must not exceed "
            f"tracking.high_threshold ({tracking.high_threshold})"
        )


def check_unique_alert_ids(alerts: list[AlertRuleConfig]) -> None:
    """Alert events and the API name a rule by its id."""
    seen: set[str] = set()
    for rule in alerts:
        if rule.id in seen:
            raise ValueError(f"duplicate alert id {rule.id!r}")
        seen.add(rule.id)


def check_alert_targets_exist(
    alerts: list[AlertRuleConfig], mqtt: MqttConfig | None, webhooks: list[WebhookConfig]
) -> None:
    """An alert notifying MQTT or a webhook that is not configured would be silently lost."""
    for rule in alerts:
        if "mqtt" in rule.notify and mqtt is None:
            raise ValueError(f"alert {rule.id} notifies mqtt but there is no mqtt section")
        if "webhook" in rule.notify and not any(w.wants("alert.raised") for w in webhooks):
            raise ValueError(f"alert {rule.id} notifies webhook but no webhook subscribes to alert.raised (or alert.*)")


#: Camera ids that name PicTag's own MQTT topics (pictag.integrations.topics.RESERVED_CAMERA_IDS).
MQTT_RESERVED_CAMERA_IDS = frozenset({"site", "events", "availability", "alerts"})


def check_camera_ids_fit_mqtt(cameras: list[CameraConfig], mqtt: MqttConfig | None) -> None:
    """``<prefix>/site/occupancy`` is the site's: a camera called ``site`` would overwrite it."""
    if mqtt is None:
        return
    for cam in cameras:
        if cam.id in MQTT_RESERVED_CAMERA_IDS:
            raise ValueError(f"camera id {cam.id!r} is reserved when mqtt is on ({sorted(MQTT_RESERVED_CAMERA_IDS)})")


class PictagConfig(ConfigModel):
    """Everything PicTag needs to run, from one YAML file."""

    cameras: list[CameraConfig] = Field(default_factory=list, max_length=MAX_CAMERAS, description="Cameras to analyse.")
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    reid: ReidConfig = Field(default_factory=ReidConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    site: SiteConfig = Field(default_factory=SiteConfig)
    mqtt: MqttConfig | None = Field(default=None, description="MQTT broker and Home Assistant discovery (absent: off).")
    webhooks: list[WebhookConfig] = Field(
        default_factory=list, max_length=MAX_WEBHOOKS, description="HTTP endpoints receiving signed events."
    )
    alerts: list[AlertRuleConfig] = Field(
        default_factory=list, max_length=MAX_ALERTS, description="Alert rules on live measurements."
    )
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    assets_dir: str | None = Field(
        default=None, description="Assets directory (else $PICTAG_ASSETS, then ~/.cache/pictag)."
    )

    @model_validator(mode="after")
    def _cross_field_checks(self) -> PictagConfig:
        check_unique_camera_ids(self.cameras)
        check_bind_needs_token(self.server)
        check_anonymisation_off_is_explicit(self.privacy)
        check_tracking_thresholds(self.tracking)
        check_unique_alert_ids(self.alerts)
        check_alert_targets_exist(self.alerts, self.mqtt, self.webhooks)
        check_camera_ids_fit_mqtt(self.cameras, self.mqtt)
        return self

    def camera(self, camera_id: str) -> CameraConfig | None:
        """The camera with this id, if configured."""
        return next((c for c in self.cameras if c.id == camera_id), None)
