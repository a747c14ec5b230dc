"""``/api/v1/config``: the settings that can change while PicTag runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from pictag.serve.schemas import jsonable
from pictag.serve.schemas.system import ConfigView, Settings
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["config"])


@router.get("/config", response_model=ConfigView, summary="Live settings and cameras")
async def get_config(services: Services = Depends(get_services)) -> dict[str, Any]:
    """Detection confidence, re-id threshold, privacy mode and retention, plus the cameras."""
    settings = await services.controller.get_settings.remote()
    cameras = await services.controller.list_cameras.remote()
    return {**settings, "cameras": jsonable(cameras)}


@router.patch("/config", response_model=Settings, summary="Change live settings")
async def patch_config(
    body: dict[str, Any] = Body(..., examples=[{"detector": {"confidence": 0.3}, "reid": {"threshold": 0.6}}]),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Apply a partial change to every stage at once and persist it; errors name the field."""
    result = await services.controller.update_settings.remote(body)
    return dict(result["settings"])
