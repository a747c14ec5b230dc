"""Footfall: live site figures, the window's figures in ``/stats``, the funnel, staff.

Window figures cover the site's opening hours only, staff left out (docs/footfall.md).
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from pictag.serve.schemas.common import ApiModel


class LineCounts(ApiModel):
    """In and out over one line (staff left out)."""

    camera_id: str
    line_id: str
    entrance: bool
    ins: int = Field(serialization_alias="in")
    outs: int = Field(serialization_alias="out")


class LineHour(LineCounts):
    """In and out over one line in one local hour."""

    hour: str = Field(description="Start of the local hour, ISO-8601 UTC.")


class Dwell(ApiModel):
    """Dwell times of completed presences (seconds; null when none)."""

    count: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None
    max_s: float | None


class ZoneFigures(ApiModel):
    """One zone: people inside now, entries and dwell in the window; for a queue, length and wait."""

    camera_id: str
    zone_id: str
    kind: str
    count: int = Field(description="People inside now (staff left out).")
    entries: int = Field(description="Entries in the window's open hours (staff left out).")
    dwell: Dwell
    queue_length: int | None = Field(description="Queues: people waiting now.")
    wait_s: float | None = Field(description="Queues: median dwell of those who left it recently (estimated wait).")


class StaffDayOut(ApiModel):
    """Who was staff on a local day."""

    day: date
    persons: list[str]


class FootfallStats(ApiModel):
    """Footfall of the window (open hours only, staff left out) and the live site figures."""

    open_s: float = Field(description="Seconds of the window the site was open.")
    entered: int = Field(description="Site footfall: 'in' over entrance lines of all cameras.")
    exited: int
    visitors: int = Field(description="Distinct visitors (re-id identities) during open hours, staff left out.")
    occupancy: int = Field(description="People inside now (entrance in − out, reconciled with the people in view).")
    in_view: int = Field(description="Most people one camera sees inside now.")
    lines: list[LineCounts]
    lines_per_hour: list[LineHour]
    zones: list[ZoneFigures]
    staff: list[StaffDayOut]


class LiveZone(ApiModel):
    """A zone now."""

    camera_id: str
    zone_id: str
    kind: str
    count: int
    wait_s: float | None
    wait_sample: int


class LiveFootfall(ApiModel):
    """Live site figures since the last occupancy reset."""

    ts: str
    since: str
    occupancy: int
    entered: int
    exited: int
    in_view: int
    lines: list[LineCounts]
    zones: list[LiveZone]


class FunnelStepOut(ApiModel):
    """A funnel step and the distinct persons who reached it."""

    label: str
    persons: int


class FunnelOut(ApiModel):
    """Entered the shop → zone X → zone Y over a window (open hours, staff left out)."""

    from_: str = Field(serialization_alias="from")
    to: str
    steps: list[FunnelStepOut]
    unattributed_entries: int = Field(description="Entrance crossings without a person: counted, not followable.")


class Mark(ApiModel):
    """A stored manual staff decision."""

    person_id: str
    staff: bool
    day: date | None


class MarkResult(Mark):
    """A stored decision and what it means now."""

    staff_today: bool = Field(description="Whether the person counts as staff today after this change.")


class StaffList(ApiModel):
    """Today's staff and every manual decision."""

    day: date = Field(description="Today, as a local day (starting at identity.day_start_hour).")
    staff: list[str] = Field(description="Persons who are staff today (staff zone or mark).")
    marks: list[Mark]
