"""IdentityActor: the global stage on the head node.

It turns per-frame `TrackSummaries` (tracks with refreshed appearances) from every node's
detector actors into identities, visits, live events and rows — a thin shell around
`pictag.identity.engine.IdentityEngine`. It is the end of the frame path: end-to-end latency
(capture → event) and processed-frame counts are measured here. Events and rows are batched
for a short interval so the event hub and the store see a few calls a second, not one per
frame. At start-up the gallery and today's visits are reloaded from the store, so identities
survive a restart.

Footfall (issue 17) happens here too, in `pictag.footfall.live.FootfallStage`: the frame's
confirmed tracks go through the site's lines and zones right after the identity engine has
named their persons; crossings and zone presences become events and store rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

import numpy as np
import ray

from pictag.actors.handles import HubHandle, StoreHandle
from pictag.config import PrivacyConfig, ReidConfig, TrackingConfig
from pictag.config.geometry import LineConfig, ZoneConfig
from pictag.config.identity import IdentityConfig
from pictag.config.site import SiteConfig
from pictag.events import Event
from pictag.footfall.engine import FootfallSnapshot
from pictag.footfall.live import FootfallOutput, FootfallStage
from pictag.footfall.staff import StaffMark
from pictag.identity.engine import EngineSettings, IdentityEngine, IdentityOutput, day_start
from pictag.identity.labels import LiveLabels, labels_channel
from pictag.identity.sessions import Sighting
from pictag.messages import TrackSummaries
from pictag.stats import RollingPercentiles
from pictag.storage.records import VisitRecord

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.05
TICK_INTERVAL_S = 1.0
#: Page size when reloading visits (the store's largest page).
VISIT_PAGE = 10_000


class _CameraCounters:
    def __init__(self) -> None:
        self.processed = 0
        self.latency_ms = RollingPercentiles()
        self.stage_ms: dict[str, RollingPercentiles] = {}
        self.last_processed_at: float | None = None

    def add_stage(self, name: str, ms: float) -> None:
        self.stage_ms.setdefault(name, RollingPercentiles()).add(ms)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class IdentityActor:
    """Async actor: tracks → identities, visits, events (to hub and store) and rows (to store)."""

    def __init__(
        self,
        tracking: TrackingConfig,
        store: StoreHandle,
        hub: HubHandle,
        *,
        reid: ReidConfig | None = None,
        privacy: PrivacyConfig | None = None,
        identity: IdentityConfig | None = None,
        site: SiteConfig | None = None,
    ) -> None:
        self._privacy = privacy or PrivacyConfig()
        self._engine = IdentityEngine(
            EngineSettings.from_config(reid or ReidConfig(), identity, tracking, self._privacy)
        )
        self._site = site or SiteConfig()
        self._footfall = FootfallStage(self._site, self._engine.settings.day_start_hour)
        self._ff = FootfallOutput()  # rows waiting for the next flush (their events are in _out)
        self._store = store
        self._hub = hub
        self._out = IdentityOutput()
        self._sightings: dict[str, Sighting] = {}
        self._counters: dict[str, _CameraCounters] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._loader: asyncio.Task[None] | None = None
        self._last_tick = 0.0
        self._labels = LiveLabels()

    def _counter(self, camera_id: str) -> _CameraCounters:
        return self._counters.setdefault(camera_id, _CameraCounters())

    # ---- start-up ----------------------------------------------------------------------
    async def ready(self) -> dict[str, Any]:
        """Wait until the gallery is reloaded; returns `gallery_stats`."""
        await self._ensure_started()
        return self._engine.stats()

    def _start_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def _ensure_started(self) -> None:
        self._start_flusher()
        if self._loader is None:
            self._loader = asyncio.get_running_loop().create_task(self._load())
        await asyncio.shield(self._loader)

    async def _load(self) -> None:
        """Reload identities and their visits; erase embeddings of identities that expired."""
        now = time.time()
        try:
            gallery = await self._store.load_gallery.remote()
            since = (
                now - self._privacy.retention_days * 86400.0
                if self._privacy.cross_day_reid
                else day_start(now, self._engine.settings.day_start_hour)
            )
            visits: list[VisitRecord] = []
            while True:
                page = await self._store.list_visits.remote(since=since, limit=VISIT_PAGE, offset=len(visits))
                visits.extend(page)
                if len(page) < VISIT_PAGE:
                    break
            expired = self._engine.load_stored(gallery, visits, now)
        except Exception:
            log.exception("gallery reload failed: starting with an empty gallery")
            return
        dim = gallery.embeddings.shape[1] if gallery.embeddings.ndim == 2 else 0
        for identity in expired:
            self._out.prototypes[identity] = np.zeros((0, dim), np.float32)
        log.info(
            "gallery reloaded: %d identities, %d visits (%d expired)",
            len(self._engine.gallery),
            len(visits),
            len(expired),
        )
        try:
            await self._load_staff(now)
        except Exception:
            log.exception("staff marks reload failed: staff are known again once seen in a staff zone")

    async def _load_staff(self, now: float) -> None:
        """Manual staff marks and recent staff-zone entries, so staff stay staff after a restart."""
        marks = await self._store.list_staff_marks.remote()
        entries = await self._store.staff_zone_entries.remote(self._footfall.staff_reload_since(now), now)
        self._footfall.load_staff(marks, entries)

    # ---- frames ------------------------------------------------------------------------
    async def process(self, batch: list[TrackSummaries]) -> None:
        """Fold a batch of frames (any cameras, each camera's in capture order) into the engine."""
        await self._ensure_started()
        expect_appearance = self._engine.settings.reid_enabled
        for summaries in batch:
            out = self._engine.observe(summaries, expect_appearance=expect_appearance)
            self._queue_footfall(self._footfall.observe(summaries.frame, out.events))
            self._queue(out)
            now = time.time()
            counters = self._counter(summaries.camera_id)
            counters.processed += 1
            counters.last_processed_at = now
            counters.latency_ms.add((now - summaries.captured_at) * 1000.0)
            if summaries.timings is not None:
                for name, ms in summaries.timings.durations_ms().items():
                    counters.add_stage(name, ms)

    def _queue(self, out: IdentityOutput) -> None:
        self._publish_labels(out.events)
        sightings, out.sightings = out.sightings, []
        for s in sightings:
            self._sightings[s.key] = s
        self._out.extend(out)

    def _queue_footfall(self, out: FootfallOutput) -> None:
        self._out.events.extend(out.events)
        out.events = []
        self._ff.extend(out)

    async def publish(self, events: list[Event]) -> None:
        """Publish events that did not come from tracking (camera status) through the same path."""
        self._start_flusher()
        self._out.events.extend(events)

    async def end_camera(self, camera_id: str) -> None:
        """Close the live tracks of a camera that stopped or went offline."""
        await self._ensure_started()
        out = self._engine.end_camera(camera_id, time.time())
        self._queue_footfall(self._footfall.forget_camera(camera_id, out.events))
        self._queue(out)

    # ---- footfall ----------------------------------------------------------------------
    async def set_geometry(self, camera_id: str, lines: list[LineConfig], zones: list[ZoneConfig]) -> None:
        """A camera's counting lines and zones, at its start and after every edit (applied live)."""
        await self._ensure_started()
        self._queue_footfall(self._footfall.set_camera(camera_id, lines, zones))

    async def footfall_snapshot(self) -> FootfallSnapshot:
        """Live site figures: occupancy, entrance counters, per line and per zone counts, queue waits."""
        return self._footfall.snapshot(time.time())

    async def footfall_settings(self) -> tuple[SiteConfig, int]:
        """The site section and the hour days start at (``identity.day_start_hour``), for reports."""
        return self._site, self._engine.settings.day_start_hour

    async def mark_staff(self, mark: StaffMark) -> bool:
        """Mark or unmark a person as staff (stored, applied live); returns whether staff today now."""
        await self._ensure_started()
        await self._store.put_staff_mark.remote(mark)
        return self._footfall.mark(mark, time.time())

    async def clear_staff_mark(self, person_id: str, day: dt.date | None) -> bool:
        """Remove a manual staff decision; returns whether there was one."""
        await self._ensure_started()
        existed: bool = await self._store.delete_staff_mark.remote(person_id, day)
        self._footfall.clear_mark(person_id, day, time.time())
        return existed

    async def staff_today(self) -> tuple[dt.date, frozenset[str]]:
        """The current local day and who is staff on it (zone rule and marks)."""
        await self._ensure_started()
        return self._footfall.staff_today(time.time())

    # ---- preview labels ----------------------------------------------------------------
    def _publish_labels(self, events: list[Event]) -> None:
        """Put the changed cameras' person ids on the hub, where the preview renderer reads them."""
        for camera_id, labels in self._labels.fold(events).items():
            self._hub.put_latest.remote(labels_channel(camera_id), labels)

    # ---- settings and erasure -------------------------------------------------------------
    async def set_threshold(self, threshold: float) -> None:
        """Use a new match threshold from now on (live settings)."""
        self._engine.set_threshold(threshold)

    async def erase(self, person_id: str) -> dict[str, Any]:
        """Erase an identity: out of the gallery and the pending rows first, then every stored row.

        Returns:
            ``{"found": bool, "removed": {table: rows}}``.
        """
        await self._ensure_started()
        known = self._engine.erase(person_id)
        self._footfall.erase(person_id)
        self._drop_pending(person_id)
        removed: dict[str, int] = await self._store.delete_identity.remote(person_id)
        return {"found": known or any(removed.values()), "removed": removed}

    def _drop_pending(self, person_id: str) -> None:
        out = self._out
        out.events = [e for e in out.events if e.get("person_id") != person_id]
        out.identities.pop(person_id, None)
        out.prototypes.pop(person_id, None)
        out.visits = {k: v for k, v in out.visits.items() if v.person_id != person_id}
        self._sightings = {k: s for k, s in self._sightings.items() if s.person_id != person_id}
        self._ff.forget_person(person_id)

    # ---- output --------------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            try:
                now = time.time()
                if now - self._last_tick >= TICK_INTERVAL_S and self._loader is not None and self._loader.done():
                    self._last_tick = now
                    self._queue(self._engine.tick(now))
                    self._queue_footfall(self._footfall.tick(now))
                await self.flush()
            except Exception:
                log.exception("identity flush failed")

    async def flush(self) -> None:
        """Send buffered events and rows on (hub: live; store: persisted)."""
        out, self._out = self._out, IdentityOutput()
        sightings, self._sightings = list(self._sightings.values()), {}
        ff, self._ff = self._ff, FootfallOutput()
        if ff:
            self._store.add_footfall.remote(ff.crossings, ff.entries, ff.leaves)
        if out.events:
            self._hub.publish.remote(out.events)
        if out.events or sightings:
            self._store.write.remote(events=out.events, sightings=[s.record() for s in sightings])
        if out.identities or out.visits or out.prototypes:
            self._store.write_identity.remote(
                list(out.identities.values()),
                list(out.visits.values()),
                list(out.prototypes.items()),
            )

    async def stats(self) -> dict[str, Any]:
        """Per-camera processed counts, latency percentiles, live tracks."""
        return {
            cam: {
                "processed": c.processed,
                "last_processed_at": c.last_processed_at,
                "latency_ms": c.latency_ms.percentiles((50, 95, 99)),
                "stages_ms": {k: v.percentiles((50, 95)) for k, v in c.stage_ms.items()},
                "occupancy": self._engine.sessions.live_count(cam),
            }
            for cam, c in self._counters.items()
        }

    async def gallery_stats(self) -> dict[str, Any]:
        """Gallery size, open visits, live tracks, threshold and decision counters."""
        return self._engine.stats()
