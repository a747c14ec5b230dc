"""``GET /api/v1/export/hourly.csv``: the daily report's hourly rows for any window (issue 18).

One row per local hour of the site's time zone: visitors, returning visitors, visits
started, dwell, occupancy peak, footfall and per-line crossings (docs/integrations.md).
Aggregates only: no ids, no embeddings, no images. The store actor computes it (DuckDB
allows no second process on the file while the runtime runs).
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response

from pictag.errors import ConfigError
from pictag.reports.hourly import MAX_HOURS
from pictag.reports.schedule import parse_instant
from pictag.serve.errors import ApiError
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["export"])

CSV_TYPE = "text/csv; charset=utf-8"
BOUND_HELP = "epoch seconds, YYYY-MM-DD (local midnight) or ISO-8601 (without offset: local time)"


def _bound(text: str, tz: ZoneInfo, field: str) -> float:
    try:
        value = parse_instant(text, tz)
    except ConfigError as err:
        raise ApiError(422, "invalid_request", str(err), field) from None
    if not 86_400.0 <= value <= 253_402_214_400.0:  # 1970-01-02 .. 9999-12-31
        raise ApiError(422, "invalid_request", f"{field} must lie between 1970 and 9999", field)
    return value


def _stamp(ts: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y%m%dT%H%M")


@router.get(
    "/export/hourly.csv",
    summary="Hourly aggregates (CSV)",
    response_class=Response,
    responses={200: {"content": {CSV_TYPE: {}}, "description": "One row per local hour of the window."}},
)
async def hourly_csv(
    start: str | None = Query(None, alias="from", max_length=64, description=f"Start, inclusive: {BOUND_HELP}."),
    end: str | None = Query(None, alias="to", max_length=64, description=f"End, exclusive: {BOUND_HELP}."),
    services: Services = Depends(get_services),
) -> Response:
    """Visitors, returning, visits started, dwell, occupancy peak and footfall per local hour.

    Defaults: from = today 00:00 local, to = now. At most 400 days.
    """
    tz = ZoneInfo(await services.store.site_timezone.remote())
    until = _bound(end, tz, "to") if end else time.time()
    today = datetime.fromtimestamp(until, tz).date().isoformat()
    since = _bound(start, tz, "from") if start else parse_instant(today, tz)
    if until <= since:
        raise ApiError(422, "invalid_request", "'to' must be after 'from'", "to")
    if until - since > MAX_HOURS * 3600:
        raise ApiError(422, "invalid_request", f"ask for at most {MAX_HOURS // 24} days", "from")
    text: str = await services.store.hourly_csv.remote(since, until)
    name = f"pictag-hourly-{_stamp(since, tz)}-{_stamp(until, tz)}.csv"
    return Response(text, media_type=CSV_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})
