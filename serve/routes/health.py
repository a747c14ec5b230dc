"""``GET /api/v1/health``: liveness without authentication."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from pictag.serve.services import Services, get_services

from pictag import __version__

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health")
async def health(services: Services = Depends(get_services)) -> dict[str, Any]:
    """``ok`` when the controller answers; camera counts by status."""
    try:
        cameras = await asyncio.wait_for(services.controller.list_cameras.remote(), 5.0)
    except (asyncio.TimeoutError, Exception):
        return {"status": "degraded", "version": __version__, "cameras": {}}
    by_status: dict[str, int] = {}
    for cam in cameras:
        by_status[cam["status"]] = by_status.get(cam["status"], 0) + 1
    return {"status": "ok", "version": __version__, "cameras": by_status}
