"""The daily report: hourly rows + day totals → ``pictag-report-<day>.csv`` and ``.png``.

`build_daily` reads a store connection (the runtime's StoreActor passes its own;
`pictag report` opens the file read-only); `write_daily` writes the two files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pictag.reports.hourly import HourlyRow, LineKey, hourly_rows, line_keys, save_csv
from pictag.reports.schedule import day_bounds
from pictag.storage.stats import compute_stats


@dataclass(frozen=True)
class DailyTotals:
    """Whole-day figures (distinct over the day, not sums of hours)."""

    visitors: int
    returning: int
    closed_visits: int
    dwell_mean_s: float | None
    dwell_median_s: float | None
    occupancy_peak: int
    occupancy_peak_at: str | None
    footfall_in: int
    footfall_out: int
    lines: dict[LineKey, tuple[int, int]]


@dataclass(frozen=True)
class DailyReport:
    """Everything the CSV and the summary page show for one local day."""

    day: date
    timezone: str
    site_name: str
    rows: tuple[HourlyRow, ...]
    totals: DailyTotals
    generated_at: float


@dataclass(frozen=True)
class ReportFiles:
    """Paths of one day's report."""

    csv: Path
    png: Path


def build_daily(con: duckdb.DuckDBPyConnection, day: date, tz: ZoneInfo, *, site_name: str = "PicTag") -> DailyReport:
    """Compute one local day's report from the store."""
    since, until = day_bounds(day, tz)
    rows = hourly_rows(con, since, until, tz)
    stats = compute_stats(con, since=since, until=until, camera=None, now=until, stale_s=0.0)
    lines: dict[LineKey, tuple[int, int]] = {}
    for key in line_keys(rows):
        lines[key] = (sum(r.lines.get(key, (0, 0))[0] for r in rows), sum(r.lines.get(key, (0, 0))[1] for r in rows))
    peak_row = max(rows, key=lambda r: r.occupancy_peak, default=None)
    totals = DailyTotals(
        visitors=stats.unique_visitors,
        returning=stats.returning_visitors,
        closed_visits=stats.closed_visits,
        dwell_mean_s=stats.avg_dwell_s,
        dwell_median_s=stats.median_dwell_s,
        occupancy_peak=peak_row.occupancy_peak if peak_row else 0,
        occupancy_peak_at=peak_row.label if peak_row and peak_row.occupancy_peak else None,
        footfall_in=sum(r.footfall_in for r in rows),
        footfall_out=sum(r.footfall_out for r in rows),
        lines=lines,
    )
    return DailyReport(day, str(tz.key), site_name, tuple(rows), totals, time.time())


def report_paths(out_dir: Path, day: date) -> ReportFiles:
    """Where a day's files go."""
    stem = f"pictag-report-{day.isoformat()}"
    return ReportFiles(out_dir / f"{stem}.csv", out_dir / f"{stem}.png")


def write_daily(report: DailyReport, out_dir: str | Path) -> ReportFiles:
    """Write the CSV and the one-page PNG summary (folder created, owner-only)."""
    from pictag.reports.summary import save_summary_png

    folder = Path(out_dir).expanduser()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = report_paths(folder, report.day)
    save_csv(report.rows, files.csv)
    save_summary_png(report, files.png)
    return files
