"""``GET /api/v1/visits``: visits (an identity's continuous presence), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from pictag.serve.params import deprecated_note, renamed
from pictag.serve.schemas import json_object
from pictag.serve.schemas.records import VisitPage
from pictag.serve.services import Services, get_services
from pictag.storage.records import VisitRecord

router = APIRouter(tags=["visits"])

#: Identity ids are random tokens (``p_`` + hex); anything else cannot name one.
IDENTITY_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


def visit_item(v: VisitRecord) -> dict[str, Any]:
    """The API form of a visit (``ended_at`` null while it is open)."""
    return json_object(
        {
            "id": v.id,
            "person_id": v.person_id,  # the schema adds its deprecated twin identity_id
            "started_at": v.started_at,
            "last_seen_at": v.last_seen_at,
            "ended_at": v.ended_at if v.closed else None,
            "dwell_s": round(v.dwell_s, 1),
            "cameras": list(v.cameras),
        }
    )


@router.get("/visits", response_model=VisitPage, summary="Visits in a time window")
async def list_visits(
    start: datetime | None = Query(
        default=None, alias="from", description="Visits still going at or after this ISO-8601 time."
    ),
    end: datetime | None = Query(default=None, alias="to", description="Visits started before this ISO-8601 time."),
    camera: str | None = Query(default=None, max_length=64, description="Only visits through this camera."),
    person_id: str | None = Query(default=None, pattern=IDENTITY_PATTERN, description="Only this person's visits."),
    identity: str | None = Query(
        default=None, pattern=IDENTITY_PATTERN, deprecated=True, description=deprecated_note("person_id")
    ),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Newest first, paginated with ``limit``/``offset``."""
    person_id = renamed(person_id, identity, new_name="person_id", old_name="identity")
    rows = await services.store.list_visits.remote(
        since=start.timestamp() if start else None,
        until=end.timestamp() if end else None,
        camera=camera,
        person_id=person_id,
        limit=limit,
        offset=offset,
    )
    return {"items": [visit_item(v) for v in rows], "limit": limit, "offset": offset}
