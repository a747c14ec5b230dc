"""Fan-out of live events from the EventHub to this replica's WebSocket clients.

One long-poll loop per replica reads the hub; every client has a bounded
queue. A client that does not keep up loses its oldest messages (counted),
never slowing the hub or the other clients.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pictag.actors.handles import HubHandle

log = logging.getLogger(__name__)

CLIENT_QUEUE = 256


class Client:
    """One WebSocket client's bounded outbox."""

    def __init__(self, size: int = CLIENT_QUEUE) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def offer(self, event: dict[str, Any]) -> None:
        """Queue an event, dropping the oldest one when the client is behind."""
        if self.queue.full():
            try:
                self.queue.get_nowait()
                self.dropped += 1
            except asyncio.QueueEmpty:
                pass
        self.queue.put_nowait(event)


class Broadcaster:
    """Reads the hub while at least one client is connected."""

    def __init__(self, hub: HubHandle) -> None:
        self._hub = hub
        self._clients: set[Client] = set()
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0

    @property
    def client_count(self) -> int:
        """Connected WebSocket clients on this replica."""
        return len(self._clients)

    async def subscribe(self) -> Client:
        """Register a client that receives events published from now on."""
        client = Client()
        self._clients.add(client)
        if self._task is None or self._task.done():
            epoch, after = await self._hub.where.remote()
            self._task = asyncio.get_running_loop().create_task(self._pump(after, epoch))
        return client

    def unsubscribe(self, client: Client) -> None:
        """Forget a disconnected client; the pump stops with the last one."""
        self._clients.discard(client)
        if not self._clients and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _pump(self, after: int, epoch: str) -> None:
        while self._clients:
            try:
                got = await self._hub.poll.remote(after, 5.0, epoch)
            except asyncio.CancelledError:
                raise
            except Exception:  # hub restarting: retry shortly, clients stay connected
                log.warning("event hub poll failed; retrying")
                await asyncio.sleep(0.5)
                continue
            after, epoch = got["seq"], got["epoch"]
            for event in got["events"]:
                for client in list(self._clients):
                    client.offer(event)
                self.delivered += 1
