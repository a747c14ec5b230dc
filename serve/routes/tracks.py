"""``GET /api/v1/tracks``: stored sightings (one row per confirmed track)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from pictag.serve.schemas import jsonable
from pictag.serve.schemas.records import TrackPage
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["tracks"])


@router.get("/tracks", response_model=TrackPage, summary="Stored tracks (sightings)")
async def list_tracks(
    camera: str | None = Query(default=None, max_length=64, description="Only this camera."),
    since: datetime | None = Query(default=None, description="Only tracks seen at or after this ISO-8601 time."),
    until: datetime | None = Query(default=None, description="Only tracks started before this ISO-8601 time."),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Newest first, paginated with ``limit``/``offset``."""
    rows = await services.store.list_tracks.remote(
        camera=camera,
        since=since.timestamp() if since else None,
        until=until.timestamp() if until else None,
        limit=limit,
        offset=offset,
    )
    return {"items": jsonable(rows), "limit": limit, "offset": offset}
