"""``GET /api/v1/health``: is every stage working? (No authentication: monitoring probes use it.)"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pictag import __version__
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["health"])

#: Seconds a health answer may take before the controller counts as not answering.
HEALTH_TIMEOUT_S = 5.0
#: What a client should wait before asking again while a stage is down.
RETRY_AFTER_S = 5


class StageView(BaseModel):
    """One pipeline stage's health."""

    kind: str = Field(description="detector, embedder, identity, store, event_hub or controller.")
    node: str | None = Field(default=None, description="Node label it serves (null: the head node).")
    status: Literal["starting", "up", "down"]
    reason: str | None = Field(default=None, description="Why it is down, in the stage's own words.")
    since: float | None = Field(default=None, description="When the status last changed (epoch seconds).")
    restarts: int = Field(default=0, description="Times the controller re-created it.")
    next_restart_at: float | None = Field(default=None, description="Next re-creation attempt (epoch seconds).")


class Health(BaseModel):
    """``ok`` when every stage answers; ``degraded`` (HTTP 503) when one is down."""

    status: Literal["ok", "degraded"]
    version: str
    stages: dict[str, StageView]
    cameras: dict[str, int] = Field(description="Cameras counted by status.")


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
