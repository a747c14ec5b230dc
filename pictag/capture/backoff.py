"""Reconnect timing: exponential back-off with jitter and a cap.

Jitter keeps many cameras behind one recorder/switch from reconnecting in lock
step after a power cut. The cap bounds recovery time: with the defaults a camera
whose server comes back is tried again at most ``max_delay_s * (1 + jitter)``
seconds later (plus one open).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a source retries after a failure.

    Attributes:
        initial_delay_s: First wait after a failure.
        max_delay_s: Cap of the exponential growth.
        factor: Growth per consecutive failure.
        jitter: Relative random spread, e.g. 0.2 → each wait is scaled by U(0.8, 1.2).
        offline_after_s: A lost stream stays ``reconnecting`` this long before it is
            reported ``offline``/``error`` (short outages are not worth an alarm).
        decode_threads: FFmpeg decoder threads for network streams (see `open_capture`).
    """

    initial_delay_s: float = 0.5
    max_delay_s: float = 4.0
    factor: float = 2.0
    jitter: float = 0.2
    offline_after_s: float = 15.0
    decode_threads: int = 1

    def __post_init__(self) -> None:
        if self.initial_delay_s <= 0 or self.max_delay_s < self.initial_delay_s:
            raise ValueError("need 0 < initial_delay_s <= max_delay_s")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("need factor >= 1 and 0 <= jitter < 1")


class Backoff:
    """The wait before the next attempt; `reset` after a success."""

    def __init__(self, policy: ReconnectPolicy, rng: random.Random | None = None) -> None:
        self._policy = policy
        self._rng = rng or random.Random()
        self._failures = 0

    @property
    def failures(self) -> int:
        """Consecutive failures since the last `reset`."""
        return self._failures

    def next_delay(self) -> float:
        """Record one failure and return how long to wait before retrying."""
        p = self._policy
        base = min(p.max_delay_s, p.initial_delay_s * p.factor**self._failures)
        self._failures += 1
        return base * self._rng.uniform(1 - p.jitter, 1 + p.jitter)

    def reset(self) -> None:
        """Forget past failures (the stream delivered frames again)."""
        self._failures = 0
