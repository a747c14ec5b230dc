"""A limit on wrong access tokens that slows guessing without ever locking out the right token.

Wrong tokens are counted per client address. Past `limit` wrong ones within `window_s`
the address is *limited* for as long as its recent failures stay above the limit:
each of its token checks then waits for a turn, one every `spacing_s` (they are
spaced, not refused), and a wrong token is answered 429. A right token is accepted
when its turn comes, so a shop whose staff share one public address (NAT, proxy)
with a guesser is slowed for a moment, never locked out, while the guesser gets
at most one answer per `spacing_s` from that address. Checks that would wait longer
than `max_wait_s` are refused at once (429): that bounds the waiting requests an
address can pile up.

Session cookies never pass through here: they are random 256-bit ids, not guessable.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10
FAILURE_WINDOW_S = 60.0
SPACING_S = 1.0
MAX_WAIT_S = 5.0
#: Addresses remembered at most (older, idle ones are forgotten first).
MAX_CLIENTS = 10_000


class LoginLimiter:
    """Counts wrong tokens per client address and spaces the checks of limited addresses."""

    def __init__(
        self,
        limit: int = MAX_FAILURES,
        window_s: float = FAILURE_WINDOW_S,
        spacing_s: float = SPACING_S,
        max_wait_s: float = MAX_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.spacing_s = spacing_s
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._next_turn: dict[str, float] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            return deque()
        while times and now - times[0] > self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
            self._next_turn.pop(client, None)
        return times

    def limited(self, client: str) -> bool:
        """True while the address has used up its wrong guesses for the window."""
        return len(self._recent(client, self._clock())) >= self.limit

    def failed(self, client: str) -> None:
        """Record one wrong token (memory is bounded: idle addresses are dropped)."""
        now = self._clock()
        self._recent(client, now)
        self._failures.setdefault(client, deque()).append(now)
        if len(self._failures) > MAX_CLIENTS:
            for key in [k for k, v in self._failures.items() if not v or now - v[-1] > self.window_s]:
                del self._failures[key]
                self._next_turn.pop(key, None)

    def reserve(self, client: str) -> float | None:
        """Seconds to wait before checking a token from ``client`` (0 when not limited).

        Returns None when the address already has `max_wait_s` of checks waiting: refuse
        this one without checking it.
        """
        now = self._clock()
        if len(self._recent(client, now)) < self.limit:
            return 0.0
        turn = max(now, self._next_turn.get(client, now))
        if turn - now > self.max_wait_s:
            return None
        self._next_turn[client] = turn + self.spacing_s
        return turn - now

    def retry_after(self, client: str) -> int:
        """Whole seconds until the address is no longer limited."""
        now = self._clock()
        times = self._recent(client, now)
        if len(times) < self.limit:
            return 1
        # The oldest failure that keeps the count at the limit must leave the window.
        pivot = times[len(times) - self.limit]
        return max(1, int(self.window_s - (now - pivot)) + 1)
