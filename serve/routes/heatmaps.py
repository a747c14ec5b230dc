"""``GET /api/v1/cameras/{id}/heatmap.png?date=``: where people stood on a day (issue 18).

The camera's node accumulates the grid and a person-free background (`pictag.actors.heatmaps`)
and writes them to the store every ``reports.heatmap.persist_every_s``; this route draws the
stored day. The background is the median of frames whose person boxes were blanked before
the frame was kept, so the picture never shows a person's pixels.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Response

from pictag.reports.heatmap_live import stored_png
from pictag.serve.errors import ApiError
from pictag.serve.services import Services, get_services
from pictag.storage.heatmaps import StoredHeatmap

router = APIRouter(tags=["cameras"])

CAMERA_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(text: str | None, tz: ZoneInfo) -> date:
    if text is None:
        return datetime.now(tz).date()
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(422, "invalid_request", f"date={text!r} is not a day; use YYYY-MM-DD", "date") from None


@router.get(
    "/cameras/{camera_id}/heatmap.png",
    summary="Heatmap of a camera for one day (PNG)",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "Person-seconds per place over a person-free background."}
    },
)
async def heatmap_png(
    camera_id: str = Path(pattern=CAMERA_PATTERN, description="The camera."),
    day: str | None = Query(None, alias="date", max_length=10, description="Local day, YYYY-MM-DD (default: today)."),
    services: Services = Depends(get_services),
) -> Response:
    """Where people stood (box bottom-centres, person-seconds per cell) drawn over a background with nobody in it."""
    tz = ZoneInfo(await services.store.site_timezone.remote())
    wanted = _day(day, tz)
    row: StoredHeatmap | None = await services.store.heatmap.remote(camera_id, wanted)
    if row is None:
        cameras = await services.controller.list_cameras.remote()
        if not any(c["id"] == camera_id for c in cameras):
            raise ApiError(404, "not_found", f"no camera {camera_id!r}", "camera_id")
        raise ApiError(404, "not_found", f"no heatmap of camera {camera_id!r} for {wanted.isoformat()} yet", "date")
    png = await asyncio.to_thread(stored_png, row)
    return Response(
        png,
        media_type="image/png",
        headers={
            "X-PicTag-Person-Seconds": f"{row.person_seconds:.1f}",
            "X-PicTag-Background-Samples": str(row.background_samples),
            "X-PicTag-Hole-Fraction": "" if row.hole_fraction is None else f"{row.hole_fraction:.4f}",
        },
    )
