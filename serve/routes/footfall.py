"""``/api/v1/footfall``: live site figures and the funnel; the ``footfall`` part of ``/api/v1/stats``.

Live figures come from the identity stage's footfall engine (occupancy, per-line counters since
the last reset, people in each zone now, queue length and estimated wait). Window figures come
from the stored rows and cover the site's opening hours only, staff left out
(`pictag.footfall.report`, docs/footfall.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pictag.config.site import SiteConfig
from pictag.events import iso
from pictag.footfall.engine import FootfallSnapshot, ZoneCount
from pictag.footfall.report import FootfallReport
from pictag.footfall.stats import DwellStats, Funnel
from pictag.serve.errors import ApiError
from pictag.serve.routes.stats import window
from pictag.serve.schemas.footfall import (
    Dwell,
    FootfallStats,
    FunnelOut,
    FunnelStepOut,
    LineCounts,
    LineHour,
    LiveFootfall,
    LiveZone,
    StaffDayOut,
    ZoneFigures,
)
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["footfall"])

MAX_FUNNEL_STEPS = 8


def _dwell(d: DwellStats) -> Dwell:
    return Dwell(count=d.count, mean_s=d.mean_s, median_s=d.median_s, p90_s=d.p90_s, max_s=d.max_s)


def live_out(snap: FootfallSnapshot) -> LiveFootfall:
    """The API form of the engine's snapshot."""
    return LiveFootfall(
        ts=iso(snap.ts),
        since=iso(snap.since),
        occupancy=snap.occupancy,
        entered=snap.entered,
        exited=snap.exited,
        in_view=snap.in_view,
        lines=[
            LineCounts(camera_id=c.camera_id, line_id=c.line_id, entrance=c.entrance, ins=c.ins, outs=c.outs)
            for c in snap.lines
        ],
        zones=[
            LiveZone(
                camera_id=z.camera_id,
                zone_id=z.zone_id,
                kind=z.kind,
                count=z.count,
                wait_s=z.wait_s,
                wait_sample=z.wait_sample,
            )
            for z in snap.zones
        ],
    )


def stats_out(report: FootfallReport, snap: FootfallSnapshot) -> FootfallStats:
    """The window's stored figures joined with the live ones (zones known to either appear)."""
    live: dict[tuple[str, str], ZoneCount] = {(z.camera_id, z.zone_id): z for z in snap.zones}
    stored = {(z.camera_id, z.zone_id): z for z in report.zones}
    zones = []
    for key in sorted(set(live) | set(stored)):
        now, past = live.get(key), stored.get(key)
        kind = now.kind if now is not None else past.kind if past is not None else "area"
        queue = kind == "queue" and now is not None
        zones.append(
            ZoneFigures(
                camera_id=key[0],
                zone_id=key[1],
                kind=kind,
                count=now.count if now is not None else 0,
                entries=past.entries if past is not None else 0,
                dwell=_dwell(past.dwell)
                if past is not None
                else Dwell(count=0, mean_s=None, median_s=None, p90_s=None, max_s=None),
                queue_length=now.count if queue and now is not None else None,
                wait_s=now.wait_s if queue and now is not None else None,
            )
        )
    return FootfallStats(
        open_s=report.open_s,
        entered=report.entered,
        exited=report.exited,
        visitors=report.visitors,
        occupancy=snap.occupancy,
        in_view=snap.in_view,
        lines=[
            LineCounts(camera_id=ln.camera_id, line_id=ln.line_id, entrance=ln.entrance, ins=ln.ins, outs=ln.outs)
            for ln in report.lines
        ],
        lines_per_hour=[
            LineHour(
                hour=iso(h.hour_start),
                camera_id=h.camera_id,
                line_id=h.line_id,
                entrance=_entrance(report, h.camera_id, h.line_id),
                ins=h.ins,
                outs=h.outs,
            )
            for h in report.hourly
        ],
        zones=zones,
        staff=[StaffDayOut(day=s.day, persons=list(s.persons)) for s in report.staff],
    )


def _entrance(report: FootfallReport, camera_id: str, line_id: str) -> bool:
    return any(ln.entrance for ln in report.lines if (ln.camera_id, ln.line_id) == (camera_id, line_id))


async def footfall_stats(services: Services, since: float, until: float) -> FootfallStats:
    """The ``footfall`` part of ``/api/v1/stats`` for ``[since, until)``."""
    site, day_start_hour = await services.identity.footfall_settings.remote()
    report = await services.store.footfall_report.remote(since, until, site, day_start_hour)
    snap = await services.identity.footfall_snapshot.remote()
    return stats_out(report, snap)


@router.get("/footfall/live", response_model=LiveFootfall, summary="Live occupancy, line and zone counts")
async def live(services: Services = Depends(get_services)) -> LiveFootfall:
    """Occupancy, entrance in/out and per-line counters since the last reset (closing time), people
    in each zone now, and each queue's estimated wait — straight from the running engine."""
    return live_out(await services.identity.footfall_snapshot.remote())


@router.get("/footfall/funnel", response_model=FunnelOut, summary="Entered the shop → zone X → zone Y")
async def funnel(
    zones: Annotated[
        list[str],
        Query(
            min_length=1,
            max_length=MAX_FUNNEL_STEPS,
            description="Steps after the entrance, in order, as camera/zone (repeat the parameter).",
        ),
    ],
    start: datetime | None = Query(default=None, alias="from", description="Window start, ISO-8601 (default: today)."),
    end: datetime | None = Query(default=None, alias="to", description="Window end, ISO-8601 (default: now)."),
    services: Services = Depends(get_services),
) -> FunnelOut:
    """Distinct persons who came in through an entrance line, then entered each zone in order
    (each after reaching the previous step), over the window's open hours, staff left out."""
    steps: list[tuple[str, str]] = []
    for k, step in enumerate(zones):
        cam, sep, zone = step.partition("/")
        if not sep or not cam or not zone or len(cam) > 64 or len(zone) > 64:
            raise ApiError(422, "invalid_request", f"zones[{k}]: write camera/zone, got {step[:80]!r}", f"zones[{k}]")
        steps.append((cam, zone))
    since, until = window(start, end)
    site: SiteConfig
    site, day_start_hour = await services.identity.footfall_settings.remote()
    result: Funnel = await services.store.footfall_funnel.remote(steps, since, until, site, day_start_hour)
    return FunnelOut(
        from_=iso(since),
        to=iso(until),
        steps=[FunnelStepOut(label=s.label, persons=s.persons) for s in result.steps],
        unattributed_entries=result.unattributed_entries,
    )
