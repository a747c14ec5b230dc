"""``/api/v1/identities``: pseudonymous identities (random ids, counts; never images or embeddings)
and their erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query

from pictag.serve.errors import ApiError
from pictag.serve.routes.visits import IDENTITY_PATTERN, visit_item
from pictag.serve.schemas import json_object, jsonable
from pictag.serve.schemas.records import Erasure, IdentityDetail, IdentityPage
from pictag.serve.services import Services, get_services
from pictag.storage.records import IdentityRecord

router = APIRouter(tags=["identities"])

#: Visits listed in one identity's detail view.
DETAIL_VISITS = 100


def identity_item(r: IdentityRecord) -> dict[str, Any]:
    """The API form of an identity."""
    return json_object(
        {
            "id": r.id,
            "created_at": r.created_at,
            "last_seen_at": r.last_seen_at,
            "n_sightings": r.n_sightings,
            "n_prototypes": r.n_prototypes,
        }
    )


@router.get("/identities", response_model=IdentityPage, summary="Identities seen in a time window")
async def list_identities(
    start: datetime | None = Query(default=None, alias="from", description="Seen at or after this ISO-8601 time."),
    end: datetime | None = Query(default=None, alias="to", description="Created before this ISO-8601 time."),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Most recently seen first, paginated with ``limit``/``offset``."""
    rows = await services.store.list_identities.remote(
        since=start.timestamp() if start else None,
        until=end.timestamp() if end else None,
        limit=limit,
        offset=offset,
    )
    return {"items": [identity_item(r) for r in rows], "limit": limit, "offset": offset}


@router.get("/identities/{identity_id}", response_model=IdentityDetail, summary="One identity")
async def get_identity(
    person_id: str = Path(alias="identity_id", pattern=IDENTITY_PATTERN),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """What is stored about an identity: counts, cameras, first/last sighting, latest visits."""
    detail = await services.store.get_identity.remote(person_id)
    if detail is None:
        raise ApiError(404, "not_found", f"no identity {person_id!r}", "identity_id")
    visits = await services.store.list_visits.remote(person_id=person_id, limit=DETAIL_VISITS)
    return {
        **identity_item(detail.identity),
        **jsonable(
            {
                "first_seen_at": detail.first_seen_at,
                "cameras": list(detail.cameras),
                "n_tracks": detail.n_tracks,
                "n_visits": detail.n_visits,
                "n_events": detail.n_events,
            }
        ),
        "visits": [visit_item(v) for v in visits],
    }


@router.delete("/identities/{identity_id}", response_model=Erasure, summary="Erase an identity")
async def delete_identity(
    person_id: str = Path(alias="identity_id", pattern=IDENTITY_PATTERN),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Erasure on request: the identity leaves the live gallery first (so nothing re-creates it),
    then its embeddings, sightings, visits and every event naming it are deleted and the file
    is compacted. Answers the rows removed per table."""
    result = await services.identity.erase.remote(person_id)
    if not result["found"]:
        raise ApiError(404, "not_found", f"no identity {person_id!r}", "identity_id")
    return {"id": person_id, "erased": True, "removed": result["removed"]}
