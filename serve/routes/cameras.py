"""``/api/v1/cameras``: status and counters, and run-time add / change / remove."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response

from pictag.serve.errors import ApiError
from pictag.serve.schemas import json_object, jsonable
from pictag.serve.schemas.cameras import Camera, CameraList
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["cameras"])


@router.get("/cameras", response_model=CameraList, summary="Cameras with live status and counters")
async def list_cameras(services: Services = Depends(get_services)) -> dict[str, Any]:
    """Every configured camera: id, name, redacted url, status, reason, counters."""
    return {"items": jsonable(await services.controller.list_cameras.remote())}


@router.get("/cameras/{camera_id}", response_model=Camera, summary="One camera")
async def get_camera(camera_id: str, services: Services = Depends(get_services)) -> dict[str, Any]:
    """One camera's status and counters."""
    for cam in await services.controller.list_cameras.remote():
        if cam["id"] == camera_id:
            return json_object(cam)
    raise ApiError(404, "not_found", f"no camera {camera_id!r}", "camera_id")


@router.post("/cameras", status_code=201, response_model=Camera, summary="Add a camera")
async def add_camera(
    body: dict[str, Any] = Body(..., examples=[{"id": "door", "url": "rtsp://cam/stream"}]),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Validate, persist and start a camera without restarting the pipeline."""
    return json_object((await services.controller.add_camera.remote(body))["camera"])


@router.patch("/cameras/{camera_id}", response_model=Camera, summary="Change a camera")
async def update_camera(
    camera_id: str, body: dict[str, Any] = Body(...), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Change fields (name, url, analysis_fps, enabled, ...); the camera restarts if needed."""
    return json_object((await services.controller.update_camera.remote(camera_id, body))["camera"])


@router.delete("/cameras/{camera_id}", status_code=204, summary="Remove a camera")
async def delete_camera(camera_id: str, services: Services = Depends(get_services)) -> Response:
    """Stop and forget a camera (its stored history stays until retention removes it)."""
    await services.controller.remove_camera.remote(camera_id)
    return Response(status_code=204)
