"""TrackerActor: per-camera tracking state for the cameras of one node.

Tracking is cheap next to detection, but its state (Kalman filters, lost
tracks) belongs to one camera and must see that camera's frames in order; one
actor per node keeps that state next to the frames and forwards only small
per-frame track summaries to the head.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import ray

from pictag.config import TrackingConfig
from pictag.detections import Detections
from pictag.flow import LatestWinsMailbox
from pictag.identity.sessions import FrameTracks
from pictag.stats import RollingPercentiles
from pictag.tracking import ByteTracker

log = logging.getLogger(__name__)


@ray.remote(num_cpus=0, max_restarts=3, max_task_retries=0)
class TrackerActor:
    """Async actor: latest-wins per camera, one `ByteTracker` per camera.

    ``downstream`` has ``process(camera_id, frame_refs, meta, FrameTracks)``: the
    embedder stage, or `IdentityForwarder` logic in the identity actor when re-id is off.
    """

    def __init__(self, config: TrackingConfig, downstream: Any) -> None:
        self._config = config
        self._downstream = downstream
        self._trackers: dict[str, ByteTracker] = {}
        self._track_ms: dict[str, RollingPercentiles] = {}
        self._dropped: dict[str, int] = {}
        self._mailbox: LatestWinsMailbox[str, tuple[list[Any], dict[str, Any], Detections]] = LatestWinsMailbox(
            on_replaced=lambda cam, _: self._dropped.__setitem__(cam, self._dropped.get(cam, 0) + 1)
        )
        self._worker: asyncio.Task[None] | None = None

    async def process(self, camera_id: str, frame_refs: list[Any], meta: dict[str, Any], detections: Detections) -> None:
        """Queue one frame's detections for tracking (frame ref forwarded unresolved)."""
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        self._mailbox.put(camera_id, (frame_refs, meta, detections))

    async def _run(self) -> None:
        while True:
            camera_id, (refs, meta, detections) = await self._mailbox.get()
            try:
                self._track(camera_id, refs, meta, detections)
            except Exception:  # one camera's bad frame must not stop the others
                log.exception("camera=%s tracking failed", camera_id)

    def _track(self, camera_id: str, refs: list[Any], meta: dict[str, Any], detections: Detections) -> None:
        tracker = self._trackers.get(camera_id)
        if tracker is None:
            tracker = self._trackers[camera_id] = ByteTracker(self._config)
        start = time.perf_counter()
        result = tracker.update(detections, meta["captured_at"])
        self._track_ms.setdefault(camera_id, RollingPercentiles()).add((time.perf_counter() - start) * 1000.0)
        meta["track_end"] = time.time()
        frame = FrameTracks(
            camera_id=camera_id,
            captured_at=meta["captured_at"],
            tracks=result.tracks,
            started=result.started,
            ended=result.ended,
        )
        self._downstream.process.remote(camera_id, refs, meta, frame)

    async def forget(self, camera_id: str) -> None:
        """Drop the state of a removed camera."""
        self._mailbox.discard(camera_id)
        self._trackers.pop(camera_id, None)

    async def stats(self) -> dict[str, Any]:
        """Per-camera tracking cost and drops."""
        return {
            "cameras": {
                cam: {"track_ms": self._track_ms[cam].percentiles((50, 95)), "dropped_at_tracker": self._dropped.get(cam, 0)}
                for cam in self._track_ms
            },
            "queue_depth": self._mailbox.depth(),
        }
