"""Helpers for camera tests against the real RTSP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from pictag.capture import CameraSource, CameraState, CameraStatus

# Short timeouts keep the suite fast; the defaults (5 s) behave the same, only slower.
FAST = {"open_timeout_s": 3.0, "read_timeout_s": 3.0, "stall_timeout_s": 3.0}


class StatusLog:
    """Every status a source reported (the on_status callback), with waits on it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.statuses: list[CameraStatus] = []

    def __call__(self, status: CameraStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def states(self) -> list[CameraState]:
        with self._cond:
            return [s.state for s in self.statuses]

    def wait_for(self, state: CameraState, timeout: float, *, after: int = 0) -> CameraStatus:
        """First reported status in ``state`` at index >= ``after``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for status in self.statuses[after:]:
                    if status.state is state:
                        return status
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(s.state.value, s.reason_code) for s in self.statuses]
                    pytest.fail(f"no {state.value!r} within {timeout} s; saw {seen}")
                self._cond.wait(remaining)

    def __len__(self) -> int:
        with self._cond:
            return len(self.statuses)


CameraFactory = Callable[..., tuple[CameraSource, StatusLog]]
