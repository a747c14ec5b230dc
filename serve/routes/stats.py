"""``GET /api/v1/stats``: occupancy, visitors, returning visitors, dwell, visitors per hour."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from pictag.identity.engine import day_start
from pictag.serve.errors import ApiError
from pictag.serve.schemas import json_object
from pictag.serve.schemas.stats import Stats
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["statistics"])

#: Longest window one request may ask for (the store refuses more hour buckets).
MAX_WINDOW_S = 400 * 86400.0


def window(start: datetime | None, end: datetime | None, *, default_day_hour: int = 0) -> tuple[float, float]:
    """``[from, to)`` in epoch seconds: default from = today's local midnight, to = now.

    Raises:
        ApiError: 422 when ``to`` is not after ``from`` or the window is too long.
    """
    until = end.timestamp() if end else time.time()
    since = start.timestamp() if start else day_start(until, default_day_hour)
    if until <= since:
        raise ApiError(422, "invalid_request", "'to' must be after 'from'", "to")
    if until - since > MAX_WINDOW_S:
        raise ApiError(422, "invalid_request", f"ask for at most {MAX_WINDOW_S / 86400:.0f} days", "from")
    return since, until


@router.get("/stats", response_model=Stats, summary="Shop statistics for a time window")
async def stats(
    start: datetime | None = Query(
        default=None,
        alias="from",
        description="Window start, ISO-8601 (default: today 00:00 local).",
    ),
    end: datetime | None = Query(default=None, alias="to", description="Window end, ISO-8601 (default: now)."),
    camera: str | None = Query(default=None, max_length=64, description="Only visits through this camera."),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Current occupancy per camera; unique and returning visitors, average and median dwell
    of closed visits, and distinct visitors per UTC hour of the window (docs/storage.md).
    ``footfall``: site footfall over entrance lines, per-line and per-hour in/out, visitors, zone
    dwell statistics (open hours only, staff left out), live occupancy, zone counts, queue length
    and estimated wait, and the day's staff (docs/footfall.md)."""
    since, until = window(start, end)
    s = await services.store.stats.remote(since, until, camera)
    from pictag.serve.routes.footfall import footfall_stats  # imports this module's `window`

    footfall = await footfall_stats(services, since, until)
    return {"footfall": footfall} | json_object(
        {
            "from": s.since,
            "to": s.until,
            "camera": s.camera,
            "occupancy": s.occupancy,
            "unique_visitors": s.unique_visitors,
            "returning_visitors": s.returning_visitors,
            "closed_visits": s.closed_visits,
            "avg_dwell_s": s.avg_dwell_s,
            "median_dwell_s": s.median_dwell_s,
            "visitors_per_hour": [{"hour": h.hour_start, "visitors": h.visitors} for h in s.visitors_per_hour],
        }
    )
