"""EventHub: the broadcast point between the pipeline and every WebSocket client.

Stages publish events here; each Serve replica long-polls with the last
sequence number it saw and fans out to its own clients. The hub keeps a
bounded ring buffer, so a replica that falls behind loses old events (and is
told how many) instead of growing memory.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ray

from pictag.event_ring import RING_SIZE, EventRing
from pictag.events import Event


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class EventHub:
    """Async actor wrapping an `EventRing`; also keeps small named channels (previews)."""

    def __init__(self, size: int = RING_SIZE) -> None:
        self._ring = EventRing(size)
        self._channels: dict[str, tuple[int, Any]] = {}
        self._channel_cond: asyncio.Condition | None = None

    async def publish(self, events: list[Event]) -> int:
        """Append events; returns the newest sequence number."""
        return await self._ring.publish(events)

    async def poll(self, after: int, timeout: float = 10.0, epoch: str | None = None) -> dict[str, Any]:
        """Events newer than ``after`` (waits up to ``timeout`` s): {seq, events, missed, epoch}."""
        return await self._ring.poll(after, timeout, epoch)

    async def head(self) -> int:
        """Newest sequence number, for a client that wants only future events."""
        return self._ring.seq

    async def where(self) -> tuple[str, int]:
        """This hub's epoch and newest sequence number (a new epoch: the hub restarted)."""
        return self._ring.epoch, self._ring.seq

    def _cond(self) -> asyncio.Condition:
        if self._channel_cond is None:
            self._channel_cond = asyncio.Condition()
        return self._channel_cond

    async def put_latest(self, channel: str, value: Any) -> None:
        """Latest-wins value of a channel (e.g. a camera's preview JPEG)."""
        async with self._cond():
            seq = self._channels.get(channel, (0, None))[0] + 1
            self._channels[channel] = (seq, value)
            self._cond().notify_all()

    async def get_latest(self, channel: str, after: int, timeout: float = 5.0) -> tuple[int, Any]:
        """The channel's value once its sequence passes ``after`` (or the current one on timeout)."""
        async with self._cond():
            try:
                await asyncio.wait_for(
                    self._cond().wait_for(lambda: self._channels.get(channel, (0, None))[0] > after), timeout
                )
            except TimeoutError:
                pass
            return self._channels.get(channel, (0, None))

    async def stats(self) -> dict[str, int]:
        """Counters for /metrics."""
        return {"seq": self._ring.seq, "published": self._ring.published, "channels": len(self._channels)}
