"""MQTT settings: a broker to publish occupancy, counters and events to (Home Assistant discovery)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from pictag.config.base import ConfigModel

#: MQTT topic segments may not hold wildcards; a prefix is one or more plain segments.
TOPIC_PREFIX_PATTERN = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"


class MqttConfig(ConfigModel):
    """One MQTT broker; the whole section absent means MQTT is off."""

    host: str = Field(min_length=1, max_length=253, description="Broker host name or address.")
    port: int = Field(default=1883, ge=1, le=65535, description="Broker port (8883 is the usual TLS port).")
    username: str | None = Field(default=None, max_length=256, description="User name, if the broker wants one.")
    password: SecretStr | None = Field(default=None, description="Password (never logged or shown).")
    tls: bool = Field(default=False, description="Connect over TLS, verifying the broker's certificate.")
    tls_ca_file: str | None = Field(
        default=None, description="CA bundle for tls (else the system's trusted certificates)."
    )
    prefix: str = Field(
        default="pictag",
        pattern=TOPIC_PREFIX_PATTERN,
        max_length=120,
        description="Root of PicTag's topics (<prefix>/site/occupancy...); two sites on one broker need two prefixes.",
    )
    discovery_prefix: str = Field(
        default="homeassistant",
        pattern=TOPIC_PREFIX_PATTERN,
        max_length=120,
        description="Home Assistant discovery prefix (Home Assistant's MQTT setting of the same name).",
    )
    discovery: bool = Field(default=True, description="Publish Home Assistant discovery configs.")
    client_id: str | None = Field(
        default=None, max_length=128, description="MQTT client id (default: pictag-<prefix>-<random>)."
    )
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="Keep-alive; a dead link shows after 1.5x this.")
    reconnect_min_s: float = Field(default=1.0, gt=0, le=60, description="First reconnect delay after a lost link.")
    reconnect_max_s: float = Field(default=60.0, gt=0, le=3600, description="Reconnect delays double up to this cap.")
    queue_size: int = Field(
        default=1000, ge=10, le=1_000_000, description="Events waiting for the broker; more are dropped and counted."
    )

    @field_validator("reconnect_max_s")
    @classmethod
    def _cap_not_below_start(cls, value: float, info: object) -> float:
        data = getattr(info, "data", {})
        start = data.get("reconnect_min_s")
        if start is not None and value < start:
            raise ValueError(f"reconnect_max_s ({value}) must not be below reconnect_min_s ({start})")
        return value

    @field_validator("password")
    @classmethod
    def _password_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            raise ValueError("password is empty: remove the key or give the password")
        return value
