"""A bounded, sequence-numbered event buffer that readers long-poll.

Readers remember the last sequence number they saw; a reader that falls more
than the buffer size behind is told how many events it missed instead of the
buffer growing without bound.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from typing import Any

from pictag.events import Event

RING_SIZE = 4096


class EventRing:
    """Bounded, sequence-numbered event buffer with async waiting for new items."""

    def __init__(self, size: int = RING_SIZE) -> None:
        self._items: deque[tuple[int, Event]] = deque(maxlen=size)
        self._seq = 0
        self._cond = asyncio.Condition()
        self.published = 0
        #: Changes when the ring is new (its actor restarted): readers holding an older epoch
        #: restart from sequence 0 instead of waiting for a number the new ring may never reach.
        self.epoch = secrets.token_hex(4)

    @property
    def seq(self) -> int:
        """Sequence number of the newest event (0 before the first)."""
        return self._seq

    async def publish(self, events: list[Event]) -> int:
        """Append events; returns the newest sequence number."""
        async with self._cond:
            for event in events:
                self._seq += 1
                self._items.append((self._seq, event))
            self.published += len(events)
            self._cond.notify_all()
        return self._seq

    async def poll(self, after: int, timeout: float, epoch: str | None = None) -> dict[str, Any]:
        """Events newer than ``after``, waiting up to ``timeout`` s: ``{seq, events, missed, epoch}``.

        A reader whose ``epoch`` is not this ring's saw another ring (before a restart): it gets
        everything this ring holds.
        """
        if epoch is not None and epoch != self.epoch:
            after = 0
        out = await self._poll(after, timeout)
        out["epoch"] = self.epoch
        return out

    async def _poll(self, after: int, timeout: float) -> dict[str, Any]:
        async with self._cond:
            if self._seq <= after:
                try:
                    await asyncio.wait_for(self._cond.wait_for(lambda: self._seq > after), timeout)
                except TimeoutError:
                    return {"seq": self._seq, "events": [], "missed": 0}
            oldest = self._items[0][0] if self._items else self._seq + 1
            missed = max(0, oldest - after - 1)
            events = [e for s, e in self._items if s > after]
            return {"seq": self._seq, "events": events, "missed": missed}
