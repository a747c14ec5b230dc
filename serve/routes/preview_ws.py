"""``/ws/cameras/{id}/preview``: anonymised JPEG previews (≤ 5 fps) as binary messages.

Each JPEG is preceded by a text message ``{"captured_at", "rendered_at"}`` (unix seconds).

Previews are rendered on the camera's node only while somebody watches: this
route renews the request every few seconds and forwards the newest JPEG from
the event hub's latest-wins channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect

from pictag.serve.services import Services, get_services

router = APIRouter()

WATCH_S = 10.0
RENEW_S = 4.0


@router.websocket("/ws/cameras/{camera_id}/preview")
async def preview(websocket: WebSocket, camera_id: str, services: Services = Depends(get_services)) -> None:
    """Stream a camera's newest anonymised preview until the client leaves."""
    await websocket.accept()
    if not await services.controller.watch_preview.remote(camera_id, WATCH_S):
        await websocket.close(code=4404, reason=f"camera {camera_id!r} is not running")
        return
    channel = f"preview:{camera_id}"

    async def send() -> None:
        seq = 0
        renewed = time.monotonic()
        while True:
            if time.monotonic() - renewed > RENEW_S:
                await services.controller.watch_preview.remote(camera_id, WATCH_S)
                renewed = time.monotonic()
            new_seq, value = await services.hub.get_latest.remote(channel, seq, RENEW_S)
            if new_seq > seq and value is not None:
                seq = new_seq
                # A small text message first, so a client can measure capture-to-screen latency.
                await websocket.send_json(
                    {"captured_at": value.get("captured_at"), "rendered_at": value.get("rendered_at")}
                )
                await websocket.send_bytes(value["jpeg"])

    async def receive() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    tasks = [asyncio.create_task(send()), asyncio.create_task(receive())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await websocket.close()
