"""Shop statistics of a time window (``GET /api/v1/stats``)."""

from __future__ import annotations

from pydantic import Field

from pictag.serve.schemas.common import ApiModel
from pictag.serve.schemas.footfall import FootfallStats


class HourVisitors(ApiModel):
    """Distinct visitors whose visits overlap one UTC hour."""

    hour: str = Field(description="Start of the hour, ISO-8601 UTC.")
    visitors: int


class Stats(ApiModel):
    """Occupancy, visitors, dwell and visitors per hour of ``[from, to)``, plus footfall."""

    footfall: FootfallStats
    from_: str = Field(alias="from", description="Window start, ISO-8601 UTC.")
    to: str = Field(description="Window end, ISO-8601 UTC.")
    camera: str | None = Field(description="The camera asked for (null: all).")
    occupancy: dict[str, int] = Field(description="People in view now, per camera.")
    unique_visitors: int
    returning_visitors: int
    closed_visits: int
    avg_dwell_s: float | None
    median_dwell_s: float | None
    visitors_per_hour: list[HourVisitors]
