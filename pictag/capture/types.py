"""Values a camera source hands out: decoded frames and status snapshots.

Both are immutable snapshots, safe to pass between threads (and to pickle
across processes): the reader thread builds them, consumers only read them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Frame:
    """One decoded frame with the facts needed to judge its freshness.

    Attributes:
        image: ``(H, W, 3)`` uint8 BGR, owned by the frame (never reused by the reader).
        seq: 1, 2, 3, ... per `CameraSource` instance, continuing across reconnects and
            file loops; a gap between two frames a consumer sees = frames it skipped.
        captured_at: ``time.time()`` right after the frame was decoded (wall clock, so
            it can be compared across processes on one machine).
    """

    image: NDArray[np.uint8]
    seq: int
    captured_at: float


class CameraState(str, Enum):
    """Where a camera is in its life cycle (see `pictag.capture.source` for the transitions)."""

    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
    ERROR = "error"


@dataclass(frozen=True)
class CameraStatus:
    """A snapshot of one camera's health, free of secrets (safe for logs, events and the API).

    Attributes:
        camera_id: The configured camera id.
        url: The source URL with credentials replaced by ``***``.
        state: Current `CameraState`.
        reason_code: Short machine code for the last problem (``auth_failed``,
            ``not_found``, ``refused``, ...; see `pictag.capture.reasons`) or None when live.
        reason: Human sentence for ``reason_code`` saying what to check next, or None.
        since: ``time.time()`` when ``state``/``reason_code`` last changed.
        frames_decoded: Frames decoded since the source was created.
        disconnects: Times a live stream was lost (server gone, stalled, file error).
        reconnects: Times the stream came back after a loss.
        failed_attempts: Opens that failed (first connect and reconnects).
        last_frame_at: ``captured_at`` of the newest frame, or None before the first one.
        fps: Measured decode rate over the last few seconds (0 when no frames flow).
        source_fps: Frame rate the source announces (0 when unknown).
        width: Frame width in pixels (0 before the first frame).
        height: Frame height in pixels (0 before the first frame).
    """

    camera_id: str
    url: str
    state: CameraState
    reason_code: str | None
    reason: str | None
    since: float
    frames_decoded: int
    disconnects: int
    reconnects: int
    failed_attempts: int
    last_frame_at: float | None
    fps: float
    source_fps: float
    width: int
    height: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``state`` as its string value)."""
        data = asdict(self)
        data["state"] = self.state.value
        return data
