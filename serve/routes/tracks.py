"""``GET /api/v1/tracks``: stored sightings (one row per confirmed track)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from pictag.serve.params import deprecated_note, renamed
from pictag.serve.schemas import jsonable
from pictag.serve.schemas.records import TrackPage
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["tracks"])


@router.get("/tracks", response_model=TrackPage, summary="Stored tracks (sightings)")
async def list_tracks(
    camera: str | None = Query(default=None, max_length=64, description="Only this camera."),
    start: datetime | None = Query(
        default=None, alias="from", description="Only tracks seen at or after this ISO-8601 time."
    ),
    end: datetime | None = Query(
        default=None, alias="to", description="Only tracks started before this ISO-8601 time."
    ),
    since: datetime | None = Query(default=None, deprecated=True, description=deprecated_note("from")),
    until: datetime | None = Query(default=None, deprecated=True, description=deprecated_note("to")),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Newest first, paginated with ``limit``/``offset``."""
    since = renamed(start, since, new_name="from", old_name="since")
    until = renamed(end, until, new_name="to", old_name="until")
    rows = await services.store.list_tracks.remote(
        camera=camera,
        since=since.timestamp() if since else None,
        until=until.timestamp() if until else None,
        limit=limit,
        offset=offset,
    )
    return {"items": jsonable(rows), "limit": limit, "offset": offset}
