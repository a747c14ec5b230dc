"""Heatmaps of a node's cameras, accumulated in the detector actor where the frames are.

Per analysed frame (`HeatmapRecorder.observe`, on the actor's event loop): the confirmed
tracks' bottom-centres go into the camera's grid for the local day — a few numpy operations,
~0.05 ms (measured in the detector's ``heatmap_ms``). Every ``sample_every_s`` the frame
is resolved from the node's object store and offered, with every person box (detections and
tracks) masked, to the camera's background reservoir in a worker thread. Every
``persist_every_s``, when a camera is forgotten and when its local day ends, the increment
(and a freshly rendered person-free background) goes to the store actor, which adds it to
the day's row in DuckDB (so encryption at rest covers it).

Settings come from the store actor (`StoreActor.heatmap_settings`): the detector is created
by the controller, and the store is the one place that knows ``reports``. Without a store
(a detector started alone, in tests) nothing is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import numpy as np
import ray

from pictag.actors.handles import StoreHandle
from pictag.detections import Detections
from pictag.messages import FrameRef
from pictag.reports.heatmap_live import CameraHeatmap, HeatmapSettings, local_day, person_boxes
from pictag.storage.heatmaps import HeatmapDelta

log = logging.getLogger(__name__)

#: Writes to the store not yet acknowledged before new increments wait for the next round.
MAX_WRITES_IN_FLIGHT = 8


class HeatmapRecorder:
    """Per-camera `CameraHeatmap`s of one detector actor; lives on its event loop."""

    def __init__(self, store: StoreHandle | None) -> None:
        self._store = store
        self._settings: HeatmapSettings | None = None
        self._loader: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._cams: dict[str, CameraHeatmap] = {}
        self._sampling: set[str] = set()
        self._writes: list[Any] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.dropped_writes = 0

    # ---- start-up ----------------------------------------------------------------------
    def _ensure_settings(self) -> HeatmapSettings | None:
        if self._settings is None and self._store is not None and self._loader is None:
            self._loader = asyncio.get_running_loop().create_task(self._load_settings())
        return self._settings

    async def _load_settings(self) -> None:
        try:
            settings = await self._store.heatmap_settings.remote()  # type: ignore[union-attr]
        except Exception as err:
            log.warning("heatmaps off: settings unavailable (%s)", type(err).__name__)
            return
        if settings is None:
            log.info("heatmaps off (reports.heatmap.enabled: false)")
            return
        self._settings = settings
        self._flusher = asyncio.get_running_loop().create_task(self._flush_loop(settings.heatmap.persist_every_s))

    # ---- per frame ---------------------------------------------------------------------
    def observe(self, frame: FrameRef[Any], detections: Detections, tracks: Detections) -> None:
        """Count a frame's confirmed tracks; start a background sample if one is due (non-blocking)."""
        settings = self._ensure_settings()
        if settings is None:
            return
        camera_id, shape, ts = frame.camera_id, frame.shape, frame.captured_at
        cam = self._cams.get(camera_id)
        height, width = int(shape[0]), int(shape[1])
        if cam is None or ts >= cam.day_end or (cam.width, cam.height) != (width, height):
            if cam is not None:
                self._spawn(self._persist(cam, final=True))
            day, end = local_day(ts, settings.tz)
            cam = self._cams[camera_id] = CameraHeatmap(
                camera_id, width, height, day=day, day_end=end, cfg=settings.heatmap
            )
        cam.add_tracks(ts, tracks.xyxy)
        if camera_id not in self._sampling and cam.sample_due(ts):
            self._sampling.add(camera_id)
            self._spawn(self._sample(cam, frame.image, person_boxes(detections.xyxy, tracks.xyxy)))

    async def _sample(self, cam: CameraHeatmap, image_ref: Any, boxes: np.ndarray) -> None:
        try:
            frame = await image_ref
            await asyncio.to_thread(cam.add_sample, frame, boxes)
        except Exception as err:  # the frame's owner died, or a bad frame: skip this sample
            log.debug("camera=%s heatmap sample skipped: %s", cam.camera_id, type(err).__name__)
        finally:
            self._sampling.discard(cam.camera_id)

    # ---- persistence -------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            for cam in list(self._cams.values()):
                try:
                    await self._persist(cam)
                except Exception:
                    log.exception("camera=%s heatmap write failed", cam.camera_id)

    async def _persist(self, cam: CameraHeatmap, *, final: bool = False, force: bool = False) -> None:
        counts = cam.take_counts()
        background = None
        if final or force or cam.background_due(time.time()):
            background = await asyncio.to_thread(cam.render_background)
        delta = cam.delta(counts, background)
        if delta is not None:
            self._send(delta)
        if final and self._cams.get(cam.camera_id) is cam:
            del self._cams[cam.camera_id]

    def _send(self, delta: HeatmapDelta) -> None:
        if self._store is None:
            return
        if self._writes:
            _, self._writes = ray.wait(self._writes, num_returns=len(self._writes), timeout=0)
        if len(self._writes) >= MAX_WRITES_IN_FLIGHT:
            self.dropped_writes += 1
            log.warning("camera=%s heatmap increment dropped: the store is not keeping up", delta.camera_id)
            return
        self._writes.append(self._store.merge_heatmap.remote(delta))

    async def forget(self, camera_id: str) -> None:
        """A camera stopped or was removed: write what it gathered, then drop it."""
        cam = self._cams.get(camera_id)
        if cam is not None:
            await self._persist(cam, final=True)

    async def flush(self) -> None:
        """Write every camera's increment now (tests, shutdown)."""
        for cam in list(self._cams.values()):
            await self._persist(cam, force=True)

    def stats(self) -> dict[str, Any]:
        """Cameras recorded, dropped writes, and whether settings arrived."""
        return {
            "enabled": self._settings is not None,
            "cameras": sorted(self._cams),
            "dropped_writes": self.dropped_writes,
            "at": time.time(),
        }
