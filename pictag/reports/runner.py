"""The daily report inside the running runtime: when it runs, what it writes, where it mails.

DuckDB lets no other process open the store while the runtime holds it, so the runtime's
store actor makes the report itself (docs/integrations.md, "Who opens the store"): it runs
`DailyReporter.loop` in a thread. The reporter sleeps until ``reports.time`` (local), builds
the previous local day's report through the store's connection (``read``: the store's lock
is held only while the SQL runs), writes the CSV and PNG, and mails them when
``reports.email`` is set. A failed mail is logged and the files stay; a failed report is
logged and tried again at the next run time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo

import duckdb

from pictag.config.reports import ReportsConfig
from pictag.config.root import PictagConfig
from pictag.reports.daily import DailyReport, ReportFiles, build_daily, write_daily
from pictag.reports.heatmap_live import HeatmapSettings
from pictag.reports.schedule import next_run, parse_hhmm, report_day, site_timezone

log = logging.getLogger(__name__)

R = TypeVar("R")
#: Runs a function on the store's connection (`pictag.storage.Store.read_with`).
StoreRead = Callable[[Callable[[duckdb.DuckDBPyConnection], R]], R]


@dataclass(frozen=True)
class ReportSettings:
    """The ``reports`` section with the site's time zone resolved (a contract between runtime and store).

    Attributes:
        reports: the configuration section.
        timezone: IANA name: ``reports.timezone``, else ``site.timezone``, else the machine's zone.
        site_name: shown on the summary page.
    """

    reports: ReportsConfig
    timezone: str
    site_name: str = "PicTag"

    @classmethod
    def from_config(cls, config: PictagConfig) -> ReportSettings:
        """Settings of a whole configuration."""
        zone = site_timezone(config.reports.timezone or config.site.timezone)
        return cls(config.reports, zone.key)

    @property
    def tz(self) -> ZoneInfo:
        """The site's zone."""
        return ZoneInfo(self.timezone)

    def heatmap(self) -> HeatmapSettings | None:
        """What detectors need for heatmaps (None when ``reports.heatmap.enabled`` is false)."""
        return HeatmapSettings(self.reports.heatmap, self.timezone) if self.reports.heatmap.enabled else None


@dataclass(frozen=True)
class ReportRun:
    """One scheduled run: the day reported, the files, and whether mail went out."""

    day: date
    files: ReportFiles | None
    mailed: bool
    error: str | None
    finished_at: float


class DailyReporter:
    """Makes yesterday's report at ``reports.time`` every day (see the module docstring)."""

    def __init__(self, settings: ReportSettings, read: StoreRead[DailyReport]) -> None:
        self.settings = settings
        self._read = read
        self._at = parse_hhmm(settings.reports.time)
        self.runs: list[ReportRun] = []

    def next_run(self, now: float) -> float:
        """The next run time after ``now`` (epoch s)."""
        return next_run(now, self._at, self.settings.tz)

    def run(self, day: date) -> ReportRun:
        """Build, write and (if configured) mail one day's report; never raises."""
        cfg, tz = self.settings.reports, self.settings.tz
        try:
            report = self._read(lambda con: build_daily(con, day, tz, site_name=self.settings.site_name))
            files = write_daily(report, cfg.out_dir)
        except Exception as err:
            log.exception("daily report for %s failed", day)
            return self._done(ReportRun(day, None, False, f"{type(err).__name__}: {err}", time.time()))
        log.info("daily report for %s written: %s", day, files.png)
        if cfg.email is None:
            return self._done(ReportRun(day, files, False, None, time.time()))
        from pictag.reports.email import ReportMailError, send_report

        try:
            send_report(
                cfg.email,
                f"PicTag report {day.isoformat()}",
                f"PicTag daily report for {day.isoformat()} ({tz.key}): visitors {report.totals.visitors}.",
                [files.csv, files.png],
            )
        except ReportMailError as err:
            log.warning("daily report for %s not mailed: %s", day, err)
            return self._done(ReportRun(day, files, False, str(err), time.time()))
        return self._done(ReportRun(day, files, True, None, time.time()))

    def _done(self, run: ReportRun) -> ReportRun:
        self.runs = [*self.runs[-9:], run]
        return run

    def loop(self, stop: threading.Event, clock: Callable[[], float] = time.time) -> None:
        """Run at every run time until ``stop`` is set (the store actor's thread)."""
        while not stop.is_set():
            due = self.next_run(clock())
            # Short steps: a clock set forward (NTP at boot) must not delay the run.
            while not stop.is_set() and clock() < due:
                stop.wait(min(1.0, max(due - clock(), 0.01)))
            if stop.is_set():
                return
            self.run(report_day(due, self.settings.tz))
