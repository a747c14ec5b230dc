"""``GET /api/v1/export``: aggregate counts and dwell times as CSV or Parquet.

Only aggregates leave: per UTC hour and camera, the number of tracks, distinct
visitors (a count), and total / mean / median dwell. No person ids, no
embeddings, no boxes — it is what a shop owner may hand to anyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from pictag.serve.errors import ApiError
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["export"])

CHUNK_BYTES = 64 * 1024
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
# Datetimes outside this range cannot be epoch seconds on every platform.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _epoch(value: datetime | None, field: str) -> float | None:
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= LATEST:
        raise ApiError(422, "invalid_request", f"{field} must lie between 1970 and 9999", field)
    return aware.timestamp()


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]


def _stamp(value: float | None, default: str) -> str:
    if value is None:
        return default
    return datetime.fromtimestamp(value, UTC).strftime("%Y%m%dT%H%MZ")


@router.get(
    "/export",
    summary="Aggregate export (CSV or Parquet)",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["parquet"]: {}},
            "description": "One row per UTC hour and camera: tracks, visitors, dwell.",
        }
    },
)
async def export(
    since: datetime | None = Query(None, alias="from", description="Start, ISO-8601, inclusive."),
    until: datetime | None = Query(None, alias="to", description="End, ISO-8601, exclusive."),
    fmt: Literal["csv", "parquet"] = Query("csv", alias="format", description="File format."),
    services: Services = Depends(get_services),
) -> StreamingResponse:
    """Counts and dwell per hour and camera between ``from`` and ``to`` (no ids, no embeddings)."""
    start, end = _epoch(since, "from"), _epoch(until, "to")
    if start is not None and end is not None and end <= start:
        raise ApiError(422, "invalid_request", "'to' must be after 'from'", "to")
    data: bytes = await services.store.export_aggregates_bytes.remote(fmt, start, end)
    name = f"pictag-aggregates-{_stamp(start, 'start')}-{_stamp(end, 'now')}.{fmt}"
    return StreamingResponse(
        _chunks(data),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Content-Length": str(len(data))},
    )
