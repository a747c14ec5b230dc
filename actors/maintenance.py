"""MaintenanceActor: the retention purge, at start-up and on a schedule.

It asks the StoreActor (the only DuckDB writer) to delete everything older
than ``privacy.retention_days`` and, when rows went away, to compact the file
so their bytes leave the disk. Schedule and bookkeeping live in
`pictag.privacy.retention`; this shell only sleeps and calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict
from typing import Any, cast

import ray

from pictag.actors import names
from pictag.actors.handles import ControllerHandle, StoreHandle
from pictag.config import PrivacyConfig
from pictag.privacy.retention import PurgeReport, PurgeSchedule, retention_cutoff, should_compact

log = logging.getLogger(__name__)

#: Named so the controller can forward settings changes and `pictag` tools can ask its status.
MAINTENANCE_NAME = "pictag-maintenance"
#: How often the live settings are read from the controller (a shorter retention set on
#: the settings page is then enforced without a restart).
SETTINGS_POLL_S = 60.0
#: Store calls may wait behind a long flush or compaction; never forever.
STORE_TIMEOUT_S = 600.0
HISTORY = 10


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class MaintenanceActor:
    """Async actor owning the purge loop: a purge at once when created, then on schedule."""

    def __init__(self, privacy: PrivacyConfig, store: StoreHandle, settings_poll_s: float = SETTINGS_POLL_S) -> None:
        self._privacy = privacy
        self._store = store
        self._settings_poll_s = settings_poll_s
        self._schedule = PurgeSchedule(interval_s=privacy.purge_interval_h * 3600.0)
        self._history: list[PurgeReport] = []
        self._loop: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._running = asyncio.Lock()
        # An async actor's __init__ runs on its event loop: starting here means a
        # restarted actor (after a crash) purges again at once without being told.
        self._start_loop()

    def _start_loop(self) -> None:
        if self._loop is None or self._loop.done():
            self._loop = asyncio.get_running_loop().create_task(self._run())

    async def start(self) -> None:
        """Make sure the loop runs (it starts with the actor; idempotent)."""
        self._start_loop()

    async def _run(self) -> None:
        while True:
            now = time.time()
            if self._schedule.due(now):
                report = await self.run_now()
                if not report.ok:
                    log.warning(
                        "retention purge failed (%s); retrying in %.0f s",
                        report.error,
                        self._schedule.seconds_until_due(time.time()),
                    )
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                sleep_s = min(self._schedule.seconds_until_due(time.time()), self._settings_poll_s)
                await asyncio.wait_for(self._wake.wait(), sleep_s)
            await self.follow_live_settings()

    async def follow_live_settings(self) -> None:
        """Adopt ``privacy.retention_days`` changed on the settings page (asks the controller).

        The loop calls this every `SETTINGS_POLL_S`; a shorter retention is enforced at once.
        """
        try:
            found = await asyncio.to_thread(ray.get_actor, names.CONTROLLER, names.NAMESPACE)
            controller = cast("ControllerHandle", found)  # typed: see pictag.actors.handles
            view: dict[str, Any] = await asyncio.wait_for(controller.get_settings.remote(), 10.0)
            days = float(view["privacy"]["retention_days"])
        except Exception as err:  # no controller yet (start-up) or it is restarting
            log.debug("live settings not available: %s", type(err).__name__)
            return
        if days != self._privacy.retention_days:
            await self.set_privacy(self._privacy.model_copy(update={"retention_days": days}))

    async def run_now(self) -> PurgeReport:
        """Purge (and compact when rows went away) now; returns what happened."""
        async with self._running:
            started = time.time()
            cutoff = retention_cutoff(started, self._privacy.retention_days)
            deleted: dict[str, int] = {}
            compacted: tuple[int, int] | None = None
            error: str | None = None
            try:
                deleted = await self._call(self._store.purge_older_than.remote(cutoff))
                if should_compact(deleted):
                    before, after = await self._call(self._store.compact.remote())
                    compacted = (int(before), int(after))
            except Exception as err:  # the store restarts on its own; try again later
                error = f"{type(err).__name__}: {err}"[:300]
            took = time.time() - started
            report = PurgeReport(started, cutoff, dict(deleted), compacted, took, error)
            self._schedule.record(report, time.time())
            self._history = [*self._history[-(HISTORY - 1) :], report]
            if report.ok:
                log.info(
                    "retention purge cutoff=%.0f deleted=%s compacted=%s in %.1f s",
                    cutoff,
                    deleted,
                    compacted,
                    report.duration_s,
                )
            return report

    @staticmethod
    async def _call(ref: Any) -> Any:
        return await asyncio.wait_for(ref, STORE_TIMEOUT_S)

    async def set_privacy(self, privacy: PrivacyConfig) -> None:
        """Apply changed settings; a shorter retention is enforced at once."""
        shorter = privacy.retention_days < self._privacy.retention_days
        self._privacy = privacy
        self._schedule.interval_s = privacy.purge_interval_h * 3600.0
        now = time.time()
        self._schedule.next_due = min(self._schedule.next_due, now + self._schedule.interval_s)
        if shorter:
            self._schedule.run_soon(now)
        self._wake.set()

    async def status(self) -> dict[str, Any]:
        """Retention in force, the next run and the recent runs (counts only)."""
        return {
            "retention_days": self._privacy.retention_days,
            "interval_h": self._privacy.purge_interval_h,
            "next_run_at": self._schedule.next_due,
            "failures": self._schedule.failures,
            "runs": [{**asdict(r), "ok": r.ok} for r in self._history],
        }

    async def stop(self) -> None:
        """Stop the loop (a purge in progress finishes in the store)."""
        if self._loop is not None:
            self._loop.cancel()
