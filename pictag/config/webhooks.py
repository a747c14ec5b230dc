"""Webhook settings: HTTP endpoints that receive signed JSON events."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from pictag.config.base import ConfigModel
from pictag.redaction import redact_url

#: An event type (``alert.raised``), a family (``alert.*``) or everything (``*``).
EVENT_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$"
MIN_SECRET_LENGTH = 16


class WebhookConfig(ConfigModel):
    """One endpoint: which events it gets, and the key that signs them."""

    url: str = Field(
        min_length=1,
        max_length=2048,
        repr=False,
        description="http(s) URL receiving a JSON POST per event (credentials in it are kept secret).",
    )
    events: list[str] = Field(
        min_length=1,
        description="Event types sent (alert.raised), families (alert.*) or * for all.",
    )
    secret: SecretStr = Field(
        description=("HMAC-SHA256 key (at least 16 characters): X-PicTag-Signature: sha256=<hex of HMAC(body)>."),
    )
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="One attempt waits this long for an answer.")
    max_attempts: int = Field(default=5, ge=1, le=20, description="Attempts per event before giving up.")
    backoff_s: float = Field(default=1.0, gt=0, le=60, description="Delay before the first retry; doubles each time.")
    backoff_max_s: float = Field(default=60.0, gt=0, le=3600, description="Cap on the delay between attempts.")
    queue_size: int = Field(
        default=1000, ge=1, le=1_000_000, description="Events waiting for this endpoint; more are dropped and counted."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook url must be http(s)://host/...: {redact_url(value)}")
        return value

    @field_validator("events")
    @classmethod
    def _event_patterns(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.match(EVENT_PATTERN, v)]
        if bad:
            raise ValueError(f"not an event type, family (alert.*) or '*': {bad}")
        return value

    @field_validator("secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret must have at least {MIN_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`)")
        return value

    @property
    def redacted_url(self) -> str:
        """The URL with credentials and secret query values replaced by ``***``."""
        return redact_url(self.url)

    def wants(self, event_type: str) -> bool:
        """True when this endpoint subscribed to ``event_type``."""
        for pattern in self.events:
            if pattern in ("*", event_type):
                return True
            if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
                return True
        return False
