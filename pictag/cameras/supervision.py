"""One camera as the controller supervises it: its configuration, capture actor, status and restarts.

A capture actor that dies (a crash, its node lost) is started again after the same capped
backoff as a dead stage (`pictag.supervision.backoff_delay`), counted in restarts in a row:
a camera that keeps failing is retried every 30 s at most, not in a tight loop. The count
resets once the new capture actor answers.

Plain Python: the controller actor holds one `CameraState` per camera and the actor handle in it;
this module never calls the handle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pictag.config import CameraConfig
from pictag.supervision import backoff_delay


@dataclass(frozen=True)
class CameraStatus:
    """A camera's current status as the API shows it.

    Attributes:
        status: ``connecting``, ``live``, ``offline``, ``error`` ... (the capture actor's words).
        reason: why, in words an owner understands (None when all is well).
        since: when the status last changed (epoch seconds).
        reason_code: machine-readable cause from the capture actor (``auth_failed``), if any.
    """

    status: str
    reason: str | None
    since: float
    reason_code: str | None = None

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> CameraStatus:
        """The status a capture actor reported (a secret-free ``camera.status`` event)."""
        return cls(event["status"], event.get("reason"), event["ts_unix"], event.get("reason_code"))


@dataclass
class CameraState:
    """One camera under supervision.

    Attributes:
        config: the camera as it runs now (changes through the API replace it).
        actor: its capture actor handle (opaque here); None while stopped or lost.
        status: what the API shows.
        restarts: capture actors lost in a row; drives the restart backoff.
        next_restart_at: when a lost capture may be started again (epoch seconds).
        last_stats: the capture actor's latest counters (``frame_size``, ``node_id``, ...).
    """

    config: CameraConfig
    status: CameraStatus
    actor: Any | None = None
    restarts: int = 0
    next_restart_at: float = 0.0
    last_stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, config: CameraConfig, now: float) -> CameraState:
        """A camera not started yet."""
        return cls(config, CameraStatus("connecting", None, now))

    @property
    def running(self) -> bool:
        """It has a capture actor."""
        return self.actor is not None

    def started(self, actor: Any, now: float) -> None:
        """A capture actor was created for it.

        After a loss the status stays ``offline`` with its reason until the new capture actor
        reports (it may wait for its node to come back).
        """
        self.actor = actor
        if self.restarts == 0:
            self.status = CameraStatus("connecting", None, now)

    def stopped(self) -> Any | None:
        """Its capture actor is being stopped on purpose; returns the handle to retire."""
        actor, self.actor = self.actor, None
        return actor

    def answered(self, stats: dict[str, Any]) -> None:
        """The capture actor answered a stats call: it is alive, the restarts in a row end."""
        self.last_stats = stats
        self.restarts = 0

    def lost(self, now: float) -> float:
        """The capture actor died; schedules the restart and returns its delay in seconds."""
        self.actor = None
        self.restarts += 1
        delay = backoff_delay(self.restarts)
        self.next_restart_at = now + delay
        return delay

    def due_for_restart(self, now: float) -> bool:
        """Enabled, without a capture actor, and its backoff has passed."""
        return self.config.enabled and self.actor is None and now >= self.next_restart_at

    def set_status(self, status: str, reason: str | None, now: float) -> bool:
        """Set the status the controller decided; True when it changed (worth an event)."""
        if (self.status.status, self.status.reason) == (status, reason):
            return False
        self.status = CameraStatus(status, reason, now)
        return True

    def known_frame_size(self) -> tuple[int, int] | None:
        """The size its capture delivers (latest stats of a running camera), else the configured one."""
        size = self.last_stats.get("frame_size") if self.running else None
        return (int(size[0]), int(size[1])) if size else self.config.frame_size

    def delivered_frame_size(self) -> bool:
        """Whether the latest stats of a running camera carry the delivered frame size."""
        return self.running and bool(self.last_stats.get("frame_size"))


def lost_reason(config: CameraConfig, error: str, delay: float, node_alive: bool | None) -> str:
    """Why a capture actor is gone, in words an owner understands.

    Args:
        error: the exception type name of the lost call.
        delay: seconds until the restart.
        node_alive: whether the node it last ran on is alive (None: unknown).
    """
    if node_alive is False:
        where = f"node {config.node!r}" if config.node else "its machine"
        return f"{where} is down; the camera resumes when it is back"
    return f"capture process lost ({error}); retrying in {delay:.0f} s"
