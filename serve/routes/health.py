"""``GET /api/v1/health``: is every stage working? (No authentication: monitoring probes use it.)"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from pictag import __version__
from pictag.serve.schemas.system import Health
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["health"])

#: Seconds a health answer may take before the controller counts as not answering.
HEALTH_TIMEOUT_S = 5.0
#: What a client should wait before asking again while a stage is down.
RETRY_AFTER_S = 5


@router.get(
    "/health",
    summary="Service health: every stage up (200) or degraded (503)",
    response_model=Health,
    responses={503: {"model": Health, "description": "A stage is down (the body says which and why)."}},
)
async def health(services: Services = Depends(get_services)) -> Any:
    """200 ``ok`` when every stage answers; 503 ``degraded`` naming the stage that does not."""
    try:
        report: dict[str, Any] = await asyncio.wait_for(services.controller.health.remote(), HEALTH_TIMEOUT_S)
    except Exception as err:  # the controller itself is down or restarting
        report = {
            "status": "degraded",
            "stages": {"controller": {"kind": "controller", "status": "down", "reason": type(err).__name__}},
            "cameras": {},
        }
    body = Health.model_validate({**report, "version": __version__})
    if body.status == "ok":
        return body
    return JSONResponse(body.model_dump(mode="json"), status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
