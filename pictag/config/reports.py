"""Reports: the daily CSV + PNG summary, its schedule and e-mail delivery, and heatmaps."""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator

from pictag.config.base import ConfigModel

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


class SmtpConfig(ConfigModel):
    """An SMTP server that mails the daily report (stdlib smtplib)."""

    host: str = Field(min_length=1, max_length=253, description="SMTP server.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS, 25 plain).")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls upgrades the connection, ssl connects over TLS, none is plain."
    )
    username: str | None = Field(default=None, max_length=256, description="Login name, if the server wants one.")
    password: SecretStr | None = Field(default=None, description="Login password (never logged or shown).")
    sender: str = Field(max_length=320, description="From: address.")
    recipients: list[str] = Field(min_length=1, max_length=50, description="To: addresses.")
    timeout_s: float = Field(default=30.0, gt=0, le=300, description="Give up on a silent server after this long.")

    @field_validator("sender")
    @classmethod
    def _sender_address(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    @field_validator("recipients")
    @classmethod
    def _recipient_addresses(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _EMAIL.match(v)]
        if bad:
            raise ValueError(f"not e-mail addresses: {bad}")
        return value


class HeatmapConfig(ConfigModel):
    """Where people stood, per camera and day, over a person-free background."""

    enabled: bool = Field(default=True, description="Accumulate heatmaps on each camera's node.")
    persist_every_s: float = Field(
        default=60.0, ge=1, le=3600, description="How often each camera's heatmap is written to the store."
    )
    cell_px: int = Field(default=8, ge=2, le=64, description="Grid cell size in frame pixels.")
    background_samples: int = Field(
        default=32, ge=3, le=256, description="Frames kept per camera and day for the background median."
    )
    sample_every_s: float = Field(
        default=60.0, gt=0, le=3600, description="At most one background sample per camera this often."
    )
    fill_every_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description=(
            "While a day's reservoir is not yet full, a sample this often: the background is there within"
            " minutes of the day's first frame, and the reservoir's memory is taken at once, not over its"
            " first half hour."
        ),
    )
    min_clean_samples: int = Field(
        default=3,
        ge=1,
        le=256,
        description="A pixel needs this many samples without a person box; fewer: filled from its surroundings.",
    )
    background_every_s: float = Field(
        default=1800.0,
        ge=60,
        le=86400,
        description=(
            "A new background is written when its samples doubled, else at most this often "
            "(and at the day's end or when the camera stops)."
        ),
    )
    background_width: int = Field(
        default=640, ge=64, le=3840, description="Background samples are kept at this width (memory)."
    )


class ReportsConfig(ConfigModel):
    """Daily report: hourly CSV + one-page PNG, produced by the runtime after each day."""

    timezone: str | None = Field(
        default=None, max_length=64, description="IANA time zone of the site (Europe/Berlin); default: the machine's."
    )
    daily: bool = Field(default=False, description="The runtime writes yesterday's report every day at time.")
    time: str = Field(
        default="00:30", description="Local HH:MM (or HH:MM:SS) at which the previous day's report is made."
    )
    out_dir: str = Field(
        default="reports", min_length=1, description="Report folder (relative paths start at the config file's folder)."
    )
    email: SmtpConfig | None = Field(default=None, description="Mail each daily report (absent: no mail).")
    heatmap: HeatmapConfig = Field(default_factory=HeatmapConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value

    @field_validator("time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"time must be HH:MM or HH:MM:SS (24 h), got {value!r}")
        return value
