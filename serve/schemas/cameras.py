"""Cameras (status and counters), their counting lines and zones."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pictag.serve.schemas.common import ApiModel, LatencyPercentiles, Percentiles


class CameraCounters(ApiModel):
    """Frames through each stage since the camera started (ints)."""

    decoded: int = 0
    sent: int = 0
    skipped: int = 0
    idle: int = 0
    stage_down: int = 0
    closed: int = 0
    dropped: int = Field(default=0, description="Dropped at the detector (queue full).")
    detected: int = 0
    processed: int = Field(default=0, description="Frames the identity stage finished.")
    reconnects: int = 0
    restarts: int = Field(default=0, description="Times the controller re-created the capture.")


class Camera(ApiModel):
    """A camera: configuration (secret-free), live status and counters."""

    id: str
    name: str
    url: str = Field(description="The stream URL with credentials redacted.")
    enabled: bool
    analysis_fps: float
    transport: str = Field(description="RTSP transport: tcp or udp.")
    node: str | None = Field(description="Node label it runs on (null: the head node).")
    status: str = Field(description="connecting, live, reconnecting, offline or error.")
    reason: str | None = Field(description="Why it is not live, in words.")
    reason_code: str | None = Field(description="Why it is not live, machine-readable.")
    since: str | None = Field(description="When the status last changed (ISO-8601 UTC).")
    counters: CameraCounters
    skip_rate: float = Field(description="Share of offered frames skipped or dropped.")
    decode_fps: float | None
    frame_age_ms: Percentiles = Field(description="Age of frames when the detector takes them.")
    latency_ms: LatencyPercentiles = Field(description="Capture to identity decision.")
    stages_ms: dict[str, Percentiles] = Field(description="Per pipeline stage.")
    occupancy: int = Field(description="People in view now.")
    node_id: str | None = Field(description="Ray node id of the capture actor.")
    frame_size: list[int] | None = Field(description="[width, height] delivered (null: not known yet).")


class CameraList(ApiModel):
    """Every configured camera."""

    items: list[Camera]


class Line(ApiModel):
    """A counting line as stored."""

    id: str
    name: str
    points: list[list[float]]
    entrance: bool


class Zone(ApiModel):
    """A zone as stored."""

    id: str
    name: str
    points: list[list[float]]
    kind: Literal["area", "queue", "staff"]


class LineList(ApiModel):
    """A camera's lines and the frame size their pixels refer to (null: not delivered yet)."""

    camera_id: str
    frame_size: list[int] | None
    items: list[Line]


class ZoneList(ApiModel):
    """A camera's zones and the frame size their pixels refer to (null: not delivered yet)."""

    camera_id: str
    frame_size: list[int] | None
    items: list[Zone]
