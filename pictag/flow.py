"""Backpressure primitives: a latest-wins mailbox and an in-flight window.

A live camera wants the newest frame: when a stage is busy, an older frame
waiting for it is worth less than the one just captured. The mailbox keeps one
slot per key (camera); a new item replaces the waiting one, and the replaced
item is handed back so the caller can count the drop and release it. Memory
stays bounded by the number of keys, never by how far behind a stage is.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass
class MailboxStats:
    """Counters of one mailbox key."""

    received: int = 0
    replaced: int = 0
    delivered: int = 0


@dataclass
class LatestWinsMailbox(Generic[K, T]):
    """One waiting item per key; `get` serves keys round-robin (oldest waiting first).

    Not thread-safe: use it from one asyncio loop (an async actor's loop).
    """

    on_replaced: Callable[[K, T], None] | None = None
    _slots: OrderedDict[K, T] = field(default_factory=OrderedDict)
    _stats: dict[K, MailboxStats] = field(default_factory=dict)
    _event: asyncio.Event | None = None

    def _signal(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def put(self, key: K, item: T) -> T | None:
        """Store ``item`` for ``key``; return the item it replaced (a drop), if any."""
        stats = self._stats.setdefault(key, MailboxStats())
        stats.received += 1
        old = self._slots.get(key)
        if old is not None:
            stats.replaced += 1
            if self.on_replaced is not None:
                self.on_replaced(key, old)
        # Assigning to an existing key keeps its place in the queue: a camera
        # whose waiting frame is replaced by a newer one has still waited longest.
        self._slots[key] = item
        self._signal().set()
        return old

    def pop_nowait(self) -> tuple[K, T] | None:
        """The oldest waiting (key, item), or None."""
        if not self._slots:
            return None
        key, item = self._slots.popitem(last=False)
        self._stats[key].delivered += 1
        if not self._slots:
            self._signal().clear()
        return key, item

    async def get(self) -> tuple[K, T]:
        """Wait for and remove the oldest waiting (key, item)."""
        while True:
            got = self.pop_nowait()
            if got is not None:
                return got
            await self._signal().wait()

    def discard(self, key: K) -> T | None:
        """Remove the waiting item of ``key`` (camera removed); return it."""
        item = self._slots.pop(key, None)
        if not self._slots:
            self._signal().clear()
        return item

    def depth(self) -> int:
        """Items waiting (at most one per key)."""
        return len(self._slots)

    def stats(self, key: K) -> MailboxStats:
        """Counters for ``key`` (zeros if never seen)."""
        return self._stats.get(key, MailboxStats())


class InFlightWindow(Generic[T]):
    """At most ``size`` outstanding items; the source skips (never queues) when full.

    ``is_done`` tells whether an outstanding item has finished (e.g. a non-blocking
    ``ray.wait``); it is injected so this stays free of Ray.
    """

    def __init__(self, size: int, is_done: Callable[[list[T]], list[T]]) -> None:
        if size < 1:
            raise ValueError("in-flight window size must be >= 1")
        self.size = size
        self._is_done = is_done
        self._pending: list[T] = []

    def prune(self) -> None:
        """Forget finished items."""
        if self._pending:
            done = self._is_done(self._pending)
            if done:
                self._pending = [p for p in self._pending if p not in done]

    def has_room(self) -> bool:
        """True when another item may be sent now."""
        self.prune()
        return len(self._pending) < self.size

    def add(self, item: T) -> None:
        """Record an item just sent."""
        self._pending.append(item)

    @property
    def pending(self) -> int:
        """Outstanding items (after the last prune)."""
        return len(self._pending)
