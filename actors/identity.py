"""IdentityActor: the global stage on the head node.

It turns per-frame track summaries from every node into person ids, live
events and sighting rows, and is the end of the frame path: end-to-end
latency (capture → event) and processed-frame counts are measured here.
Events and rows are batched for a short interval so the event hub and the
store see a few calls a second, not one per frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import ray

from pictag.config import TrackingConfig
from pictag.events import Event
from pictag.identity.sessions import FrameTracks, Sighting, TrackSessions
from pictag.stats import RollingPercentiles

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.05


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
    """Async actor: sessions → events (to hub and store) and sightings (to store)."""

    def __init__(self, tracking: TrackingConfig, store: Any, hub: Any) -> None:
        self._sessions = TrackSessions(update_interval_s=tracking.update_interval_s)
        self._store = store
        self._hub = hub
        self._events: list[Event] = []
        self._sightings: dict[str, Sighting] = {}
        self._counters: dict[str, _CameraCounters] = {}
        self._flusher: asyncio.Task[None] | None = None

    def _counter(self, camera_id: str) -> _CameraCounters:
        return self._counters.setdefault(camera_id, _CameraCounters())

    async def process(self, camera_id: str, frame_refs: list[Any], meta: dict[str, Any], frame: FrameTracks) -> None:
        """Stage interface (same as the embedder's): re-id off, tracks come straight here."""
        await self.observe(frame, meta)

    async def observe(self, frame: FrameTracks, meta: dict[str, Any]) -> None:
        """Fold one frame of one camera into the sessions."""
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())
        out = self._sessions.observe(frame)
        self._queue(out.events, out.sightings)
        now = time.time()
        counters = self._counter(frame.camera_id)
        counters.processed += 1
        counters.last_processed_at = now
        counters.latency_ms.add((now - frame.captured_at) * 1000.0)
        stamps = [("queue_ms", "captured_at", "detect_start"), ("detect_ms", "detect_start", "detect_end"),
                  ("track_ms", "detect_end", "track_end")]
        for name, a, b in stamps:
            if a in meta and b in meta:
                counters.add_stage(name, (meta[b] - meta[a]) * 1000.0)

    def _queue(self, events: list[Event], sightings: list[Sighting]) -> None:
        self._events.extend(events)
        for s in sightings:
            self._sightings[s.key] = s

    async def publish(self, events: list[Event]) -> None:
        """Publish events that did not come from tracking (camera status) through the same path."""
        self._queue(events, [])

    async def end_camera(self, camera_id: str) -> None:
        """Close the live tracks of a camera that stopped or went offline."""
        out = self._sessions.end_camera(camera_id, time.time())
        self._queue(out.events, out.sightings)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            await self.flush()

    async def flush(self) -> None:
        """Send buffered events and sightings on (hub: live; store: persisted)."""
        events, self._events = self._events, []
        sightings, self._sightings = list(self._sightings.values()), {}
        if events:
            self._hub.publish.remote(events)
        if events or sightings:
            self._store.write.remote(events=events, sightings=[_sighting_row(s) for s in sightings])

    async def stats(self) -> dict[str, Any]:
        """Per-camera processed counts, latency percentiles, live tracks."""
        return {
            cam: {
                "processed": c.processed,
                "last_processed_at": c.last_processed_at,
                "latency_ms": c.latency_ms.percentiles((50, 95, 99)),
                "stages_ms": {k: v.percentiles((50, 95)) for k, v in c.stage_ms.items()},
                "occupancy": self._sessions.live_count(cam),
            }
            for cam, c in self._counters.items()
        }


def _sighting_row(s: Sighting) -> dict[str, Any]:
    return {
        "key": s.key,
        "camera_id": s.camera_id,
        "track_id": s.track_id,
        "person_id": s.person_id,
        "started_at": s.started_at,
        "last_seen_at": s.last_seen_at,
        "ended_at": s.ended_at,
        "frames": s.frames,
        "mean_confidence": s.mean_confidence,
        "box": list(s.box),
    }
