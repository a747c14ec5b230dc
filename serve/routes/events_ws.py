"""``/ws/events``: live JSON events over a WebSocket."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect

from pictag.serve.services import Services, get_services

router = APIRouter()


@router.websocket("/ws/events")
async def events(websocket: WebSocket, services: Services = Depends(get_services)) -> None:
    """Send every event published from now on; a slow client loses messages, never blocks others."""
    await websocket.accept()
    client = await services.broadcaster.subscribe()

    async def send() -> None:
        while True:
            event = await client.queue.get()
            await websocket.send_json(event)

    async def receive() -> None:
        # Returns when the client goes away, so the sender is cancelled and nothing leaks.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    tasks = [asyncio.create_task(send()), asyncio.create_task(receive())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        services.broadcaster.unsubscribe(client)
        with contextlib.suppress(Exception):
            await websocket.close()
