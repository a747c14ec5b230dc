"""Camera configuration: where frames come from and how often we analyse them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pictag.config.base import ConfigModel
from pictag.config.geometry import (
    MAX_LINES,
    MAX_ZONES,
    GeometryError,
    LineConfig,
    ZoneConfig,
    check_unique_ids,
    validate_geometry,
)
from pictag.redaction import redact_url

CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MAX_FRAME_SIDE = 16384


class CameraConfig(ConfigModel):
    """One camera (or video file / USB device) feeding the pipeline."""

    id: str = Field(description="Stable short id used in the API, events and the store.", pattern=CAMERA_ID_PATTERN)
    name: str = Field(default="", max_length=120, description="Human name shown on the dashboard; defaults to the id.")
    url: str = Field(
        min_length=1,
        max_length=2048,
        repr=False,
        description=(
            "Source: rtsp://, rtsps://, http(s):// (MJPEG), file:///path or a plain path, "
            "or device:N for a USB camera. Credentials in the URL are kept secret."
        ),
    )
    analysis_fps: float = Field(default=10.0, gt=0, le=60, description="Frames per second sent to detection (a cap).")
    enabled: bool = Field(default=True, description="Disabled cameras are configured but not opened.")
    transport: Literal["tcp", "udp"] = Field(default="tcp", description="RTSP transport.")
    loop: bool = Field(default=False, description="Restart a file source at its end (demo, benchmarks).")
    realtime: bool = Field(
        default=True, description="Pace file sources at their native frame rate, like a live camera."
    )
    node: str | None = Field(
        default=None,
        max_length=64,
        description="Ray custom resource naming the machine near this camera (e.g. entrance-pc).",
    )
    resources: dict[str, float] = Field(
        default_factory=dict, description="Extra Ray resources required by this camera's capture actor."
    )
    open_timeout_s: float = Field(default=5.0, gt=0, le=120, description="Give up opening a stream after this long.")
    read_timeout_s: float = Field(default=5.0, gt=0, le=120, description="A read that waits longer fails.")
    stall_timeout_s: float = Field(default=5.0, gt=0, le=600, description="No frame for this long: status 'stalled'.")
    frame_size: tuple[int, int] | None = Field(
        default=None,
        description=(
            "The camera's frame [width, height] in pixels, if known in advance: lines and zones are "
            "then checked to lie inside it when the configuration loads (else once frames arrive)."
        ),
    )
    lines: list[LineConfig] = Field(
        default_factory=list, max_length=MAX_LINES, description="Counting lines (doors, aisles) in frame pixels."
    )
    zones: list[ZoneConfig] = Field(
        default_factory=list, max_length=MAX_ZONES, description="Zones (areas, queues, staff areas) in frame pixels."
    )

    @field_validator("url")
    @classmethod
    def _strip_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("camera url is empty")
        return value

    @field_validator("frame_size")
    @classmethod
    def _frame_size(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (0 < value[0] <= MAX_FRAME_SIDE and 0 < value[1] <= MAX_FRAME_SIDE):
            raise ValueError(f"frame_size must be [width, height] with sides 1..{MAX_FRAME_SIDE}, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _geometry(self) -> CameraConfig:
        check_unique_ids(self.lines, "lines")
        check_unique_ids(self.zones, "zones")
        if self.frame_size is not None:
            try:
                validate_geometry(self.lines, self.zones, *self.frame_size)
            except GeometryError as err:
                raise ValueError(str(err)) from None
        return self

    @property
    def display_name(self) -> str:
        """Name for people: the configured name, else the id."""
        return self.name or self.id

    @property
    def redacted_url(self) -> str:
        """The URL with credentials replaced by ``***``: the only form that may be shown."""
        return redact_url(self.url)
