"""``GET /metrics``: Prometheus text format."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from pictag.serve.prometheus import render
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["metrics"])


async def _safe(ref: Any, default: Any) -> Any:
    try:
        return await asyncio.wait_for(ref, 5.0)
    except Exception:
        return default


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
async def metrics(services: Services = Depends(get_services)) -> PlainTextResponse:
    """Per-camera frame counters, frame age, stage latencies, queue depths, clients."""
    cameras = await _safe(services.controller.list_cameras.remote(), [])
    store = await _safe(services.store.counters.remote(), {})
    hub = await _safe(services.hub.stats.remote(), {})
    gallery = await _safe(services.identity.gallery_stats.remote(), {})
    extra: dict[str, Any] = {"websocket_clients": services.broadcaster.client_count}
    if store:
        extra["store_pending_rows"] = store.get("pending", 0)
        extra["store_dropped_rows_total"] = store.get("dropped", 0)
    if hub:
        extra["event_hub_queue"] = hub.get("seq", 0)
    if gallery:
        extra["identities"] = gallery.get("identities", 0)
        extra["open_visits"] = gallery.get("open_visits", 0)
    return PlainTextResponse(render(cameras, extra), media_type="text/plain; version=0.0.4")
