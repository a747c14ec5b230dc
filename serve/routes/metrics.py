"""``GET /metrics``: Prometheus text format (`pictag.serve.prometheus`)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from pictag.serve.prometheus import Snapshot, render
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["metrics"])

#: Seconds one actor may take to answer a scrape (a down stage must not hang the scrape).
SCRAPE_TIMEOUT_S = 5.0


async def _safe(ref: Any, default: Any) -> Any:
    try:
        return await asyncio.wait_for(ref, SCRAPE_TIMEOUT_S)
    except Exception:
        return default


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text exposition format."}},
)
async def metrics(services: Services = Depends(get_services)) -> Response:
    """Per-camera frame counters and state, per-stage up gauges, latency quantiles, store/hub/gallery gauges."""
    cameras, health, store, hub, gallery = await asyncio.gather(
        _safe(services.controller.list_cameras.remote(), []),
        _safe(services.controller.health.remote(), None),
        _safe(services.store.counters.remote(), {}),
        _safe(services.hub.stats.remote(), {}),
        _safe(services.identity.gallery_stats.remote(), {}),
    )
    stages = health["stages"] if health else {"controller": {"kind": "controller", "status": "down"}}
    values: dict[str, float] = {"websocket_clients": float(services.broadcaster.client_count)}
    if store:
        values["store_pending_rows"] = float(store.get("pending", 0))
        values["store_dropped_rows"] = float(store.get("dropped", 0))
    if hub:
        values["event_hub_sequence"] = float(hub.get("seq", 0))
    if gallery:
        values["identities"] = float(gallery.get("identities", 0))
        values["open_visits"] = float(gallery.get("open_visits", 0))
    return Response(render(Snapshot(cameras, stages, values)), media_type=CONTENT_TYPE_LATEST)
