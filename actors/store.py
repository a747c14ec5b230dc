"""StoreActor: the only process that opens the DuckDB file.

DuckDB allows one writing process per file, so every write and every API
query goes through this actor. The domain `Store` buffers writes and flushes
them in one transaction; a thread here flushes at least every
``flush_interval_s``. Reads flush first, so answers include recent rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any, Literal

import ray

from pictag.camera_registry import DELETED_URL, SavedCamera, camera_settings, saved_camera
from pictag.config import CameraConfig, PictagConfig, StorageConfig
from pictag.config.site import SiteConfig
from pictag.events import TRACK_UPDATED
from pictag.footfall.hours import OpeningHours
from pictag.footfall.outputs import LineCrossing, ZoneEntered, ZoneLeft
from pictag.footfall.report import FootfallReport, days_span, footfall_report, funnel_report
from pictag.footfall.staff import StaffMark
from pictag.footfall.stats import Funnel, ZoneKey
from pictag.integrations.webhooks import DeliveryRecord
from pictag.reports.heatmap_live import HeatmapSettings
from pictag.reports.hourly import hourly_csv
from pictag.reports.runner import DailyReporter, ReportRun, ReportSettings
from pictag.storage import Store, resolve_key
from pictag.storage.heatmaps import HeatmapDelta, StoredHeatmap, heatmap_days, load_heatmap, merge_heatmap
from pictag.storage.integrations import insert_deliveries
from pictag.storage.records import (
    EventRecord,
    Gallery,
    IdentityDetail,
    IdentityRecord,
    StoreStats,
    TrackRecord,
    VisitRecord,
)
from pictag.storage.sessions import SessionRecord

log = logging.getLogger(__name__)
#: Event types published live but not stored by default (`StorageConfig.persist_track_updates`).
LIVE_ONLY_EVENTS = frozenset({TRACK_UPDATED})


class _Every:
    """A period measured from construction: `due` answers True at most once per ``period_s`` (0: never)."""

    def __init__(self, period_s: float) -> None:
        self._period_s = period_s
        self._last = time.monotonic()

    def due(self) -> bool:
        if not self._period_s or time.monotonic() - self._last < self._period_s:
            return False
        self._last = time.monotonic()
        return True


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class StoreActor:
    """Thin shell around `pictag.storage.Store` with a periodic flush thread."""

    def __init__(self, config: StorageConfig, reports: ReportSettings | None = None) -> None:
        self._config = config
        self._live_only: frozenset[str] = frozenset() if config.persist_track_updates else LIVE_ONLY_EVENTS
        self._reports = reports if reports is not None else ReportSettings.from_config(PictagConfig())
        key = resolve_key(key_env=config.encryption_key_env, key_file=config.encryption_key_file)
        self._store = Store.open(
            config.path, encryption_key=key, batch_size=config.batch_size, memory_limit=f"{config.memory_limit_mb}MB"
        )
        closed = self._store.close_open_sightings()
        if closed:
            log.info("closed %d sightings left open by the previous run", closed)
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="store-flush", daemon=True)
        self._flusher.start()
        # Issue 18: the daily report is made here (no other process may open the store while it runs).
        self._reporter: DailyReporter | None = None
        if self._reports.reports.daily:
            self._reporter = DailyReporter(self._reports, self._store.read_with)
            threading.Thread(target=self._reporter.loop, args=(self._closed,), name="daily-report", daemon=True).start()

    def _flush_loop(self) -> None:
        # Rows older than flush_interval_s are written even when fewer than batch_size wait
        # (a quiet shop); before tests/actors/test_store_flush_interval.py they waited for a read
        # or a full batch.
        release = _Every(self._config.cache_release_s)
        reopen = _Every(self._config.reopen_interval_s)
        while not self._closed.wait(min(0.25, self._config.flush_interval_s)):
            try:
                if self._store.flush_due(self._config.flush_interval_s):
                    self._store.flush()
            except Exception:
                log.exception("store flush failed (rows stay buffered)")
            if release.due():
                try:
                    self._store.release_cache()
                except Exception:
                    log.exception("store cache release failed")
            if reopen.due():
                try:
                    took = self._store.reopen()
                    log.debug("store reopened in %.3f s", took)
                except Exception:
                    log.exception("store reopen failed")

    def ready(self) -> bool:
        """True once the file is open and migrated; raises `StorageError` while it is not (the controller's ping)."""
        self._store.check_open()
        return True

    def write(self, events: list[dict[str, Any]], sightings: list[TrackRecord]) -> None:
        """Buffer events and sighting upserts (written within flush_interval_s).

        ``track.updated`` events are live-only unless ``storage.persist_track_updates``.
        """
        events = [e for e in events if e.get("type") not in self._live_only]
        if events:
            self._store.add_events(events)
        if sightings:
            self._store.upsert_sightings(sightings)

    def write_identity(
        self, identities: list[IdentityRecord], visits: list[VisitRecord], prototypes: list[tuple[str, Any]]
    ) -> None:
        """Buffer identity, visit and prototype changes from the identity stage."""
        if identities:
            self._store.upsert_identities(identities)
        if visits:
            self._store.upsert_visits(visits)
        for person_id, embeddings in prototypes:
            self._store.put_prototypes(person_id, embeddings)

    def flush(self) -> int:
        """Write everything buffered now."""
        return self._store.flush()

    # ---- reads (each flushes first; see `pictag.storage.store_reads`) --------------------
    def list_tracks(
        self,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        person_id: str | None = None,
    ) -> list[TrackRecord]:
        """Stored sightings overlapping ``[since, until)``, newest first."""
        return self._store.list_tracks(camera, since, until, limit, offset, person_id=person_id)

    def list_events(
        self,
        event_type: str | None = None,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        person_id: str | None = None,
    ) -> list[EventRecord]:
        """Stored events in ``[since, until)``, newest first."""
        return self._store.list_events(
            event_type, camera, since, until, limit=limit, offset=offset, person_id=person_id
        )

    def list_identities(
        self, since: float | None = None, until: float | None = None, limit: int = 100, offset: int = 0
    ) -> list[IdentityRecord]:
        """Identities active in the window, most recently seen first."""
        return self._store.list_identities(since, until, limit, offset)

    def get_identity(self, person_id: str) -> IdentityDetail | None:
        """One identity and counts of what is stored about it; None when unknown."""
        return self._store.get_identity(person_id)

    def list_visits(
        self,
        since: float | None = None,
        until: float | None = None,
        camera: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        person_id: str | None = None,
    ) -> list[VisitRecord]:
        """Visits overlapping ``[since, until)``, newest first."""
        return self._store.list_visits(since, until, camera, limit, offset, person_id=person_id)

    def stats(self, since: float, until: float, camera: str | None = None) -> StoreStats:
        """Occupancy, unique/returning visitors, dwell, visitors per hour (docs/storage.md)."""
        return self._store.stats(since, until, camera)

    def row_counts(self) -> dict[str, int]:
        """Committed rows per data table (durability checks, diagnostics)."""
        return self._store.row_counts()

    def load_gallery(self) -> Gallery:
        """Identity prototypes for the gallery at start-up."""
        return self._store.load_gallery()

    def delete_identity(self, person_id: str) -> dict[str, int]:
        """Erase an identity and every row naming it; compacts the file afterwards."""
        removed = self._store.delete_identity(person_id)
        self._store.compact()
        return removed

    def purge_older_than(self, cutoff: float) -> dict[str, int]:
        """Retention: delete rows older than ``cutoff`` (epoch seconds)."""
        return self._store.purge_older_than(cutoff)

    def export_aggregates(
        self, path: str, fmt: Literal["csv", "parquet"], since: float | None, until: float | None
    ) -> int:
        """Write aggregate counts/dwell (no ids, no embeddings) to CSV or Parquet."""
        return self._store.export_aggregates(path, format=fmt, since=since, until=until)

    def export_aggregates_bytes(self, fmt: str, since: float | None, until: float | None) -> bytes:
        """The aggregate export as file bytes, for the API (which may run on another node).

        Written to a private temporary folder beside the database (0700), read, removed.
        """
        with tempfile.TemporaryDirectory(prefix=".export-", dir=self._store.path.parent) as folder:
            target = Path(folder) / f"aggregates.{fmt}"
            self._store.export_aggregates(target, format=fmt, since=since, until=until)  # type: ignore[arg-type]
            return target.read_bytes()

    def compact(self) -> tuple[int, int]:
        """Rewrite the file so deleted rows leave no bytes behind; (bytes before, after)."""
        return self._store.compact()

    def load_cameras(self) -> list[SavedCamera]:
        """Cameras saved at run time (secrets restored) and tombstones of removed config cameras."""
        out = [
            saved_camera(
                s.record.id,
                name=s.record.name,
                url=s.url,
                enabled=s.record.enabled,
                analysis_fps=s.record.analysis_fps,
                settings=s.record.settings,
            )
            for s in self._store.load_cameras()
        ]
        for record in self._store.list_cameras(include_deleted=True):
            if record.deleted_at is not None and record.settings.get("origin"):
                out.append(
                    saved_camera(
                        record.id,
                        name=record.name,
                        url=DELETED_URL,
                        enabled=record.enabled,
                        analysis_fps=record.analysis_fps,
                        settings=record.settings,
                        deleted=True,
                    )
                )
        return out

    def save_camera(self, camera: CameraConfig, origin: str | None) -> None:
        """Persist a camera added or changed through the API."""
        self._store.upsert_camera(
            camera.id,
            url=camera.url,
            name=camera.name,
            enabled=camera.enabled,
            analysis_fps=camera.analysis_fps,
            settings=camera_settings(camera, origin),
        )

    def delete_camera(self, camera_id: str, origin: str | None) -> None:
        """Forget a camera; a camera of the config file leaves a tombstone so it stays removed."""
        if origin is not None:
            self._store.upsert_camera(camera_id, url=DELETED_URL, settings={"origin": origin})
        self._store.delete_camera(camera_id)

    def load_settings(self) -> dict[str, Any]:
        """Persisted run-time setting changes (see `pictag.live_settings`)."""
        return self._store.load_settings()

    def save_settings(self, settings: dict[str, Any]) -> None:
        """Persist run-time setting changes."""
        self._store.save_settings(settings)

    def session_add(self, record: SessionRecord) -> None:
        """Store a dashboard login (written at once; see `pictag.sessions`)."""
        self._store.add_session(record)

    def session_get(self, id_hash: str) -> SessionRecord | None:
        """The unexpired login with this id hash, if any."""
        return self._store.get_session(id_hash)

    def session_delete(self, id_hash: str) -> bool:
        """Revoke one login; True if it existed."""
        return self._store.delete_session(id_hash)

    def counters(self) -> dict[str, Any]:
        """Write counters (pending, dropped, written, flushes, failures, reopens)."""
        c = self._store.counters()
        out: dict[str, Any] = {}
        for key in ("pending", "dropped", "written", "flushes", "failed_flushes", "reopens"):
            value = getattr(c, key)
            # Per-kind dicts (events, sightings, ...) are summed; the detail stays in the store.
            out[key] = sum(value.values()) if isinstance(value, dict) else value
        return out

    # ---- footfall ------------------------------------------------------------------------
    def add_footfall(self, crossings: list[LineCrossing], entries: list[ZoneEntered], leaves: list[ZoneLeft]) -> None:
        """Write line crossings and zone presences from the identity stage."""
        self._store.add_footfall(crossings, entries, leaves)

    def put_staff_mark(self, mark: StaffMark) -> None:
        """Persist a manual staff mark or unmark."""
        self._store.put_staff_mark(mark)

    def delete_staff_mark(self, person_id: str, day: dt.date | None) -> bool:
        """Remove a manual staff decision; True if there was one."""
        return self._store.delete_staff_mark(person_id, day)

    def list_staff_marks(self) -> list[StaffMark]:
        """Every manual staff decision."""
        return self._store.list_staff_marks()

    def staff_zone_entries(self, since: float, until: float) -> list[ZoneEntered]:
        """Staff-zone entries in ``[since, until)``."""
        return self._store.staff_zone_entries(since, until)

    def footfall_report(self, since: float, until: float, site: SiteConfig, day_start_hour: int) -> FootfallReport:
        """A window's footfall figures: open hours of ``site`` only, staff left out (`pictag.footfall.report`)."""
        hours = OpeningHours.from_config(site)
        data = self._store.footfall_data(since, until, days_span(hours, since, until, day_start_hour))
        return footfall_report(data, hours, since, until, day_start_hour)

    def footfall_funnel(
        self, zones: list[ZoneKey], since: float, until: float, site: SiteConfig, day_start_hour: int
    ) -> Funnel:
        """Entered the shop → zones in order, over the window's open hours, staff left out."""
        hours = OpeningHours.from_config(site)
        data = self._store.footfall_data(since, until, days_span(hours, since, until, day_start_hour))
        return funnel_report(data, hours, zones, since, until, day_start_hour=day_start_hour)

    # ---- issue 18: webhook log, heatmaps, hourly export, daily report -----------------------
    def write_deliveries(self, records: list[DeliveryRecord]) -> int:
        """Append finished webhook deliveries to ``webhook_deliveries``."""
        return self._store.write_with(lambda con: insert_deliveries(con, records))

    def heatmap_settings(self) -> HeatmapSettings | None:
        """What detectors need to accumulate heatmaps (None: off)."""
        return self._reports.heatmap()

    def merge_heatmap(self, delta: HeatmapDelta) -> None:
        """Add a detector's heatmap increment to the camera's row for the day."""
        now = time.time()
        self._store.write_with(lambda con: merge_heatmap(con, delta, now))

    def heatmap(self, camera_id: str, day: date) -> StoredHeatmap | None:
        """A camera's stored heatmap of a local day."""
        return self._store.read_with(lambda con: load_heatmap(con, camera_id, day))

    def heatmap_days(self, camera_id: str) -> list[date]:
        """Days with a heatmap for a camera, newest first."""
        return self._store.read_with(lambda con: heatmap_days(con, camera_id))

    def site_timezone(self) -> str:
        """The site's IANA time zone (local days and hours of reports and heatmaps)."""
        return self._reports.timezone

    def hourly_csv(self, since: float, until: float) -> str:
        """``GET /api/v1/export/hourly.csv``: one row per local hour of ``[since, until)``."""
        tz = self._reports.tz
        return self._store.read_with(lambda con: hourly_csv(con, since, until, tz))

    def run_daily_report(self, day: date) -> ReportRun:
        """Make one day's report now, as the schedule would (operators, tests)."""
        reporter = self._reporter or DailyReporter(self._reports, self._store.read_with)
        return reporter.run(day)

    def report_runs(self) -> list[ReportRun]:
        """The scheduled report runs of this process (newest last)."""
        return list(self._reporter.runs) if self._reporter is not None else []

    def close(self) -> None:
        """Flush and close the file."""
        self._closed.set()
        self._flusher.join(timeout=5)
        self._store.close()
