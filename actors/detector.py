"""DetectorActor: runs the person detector (and tracking) for the cameras of one node.

Frames arrive as ObjectRefs (owned by the capture actors; the array is read
zero-copy from the node's object store). Each camera has one latest-wins slot:
a frame still waiting when a newer one arrives is dropped and counted. Up to
``num_requests`` frames are in OpenVINO's async queue at once, so inference of
one camera's frame overlaps with pre/post-processing of another's.

Tracking (`pictag.actors.tracker.TrackingStage`) runs here too, on the actor's event
loop as each frame's detections arrive: per frame it costs less than one more actor
hop would (see that module), and the detections never need to be sent anywhere but on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import ray

from pictag.actors.tracker import TrackingStage
from pictag.config import DetectorConfig, PrivacyConfig, TrackingConfig
from pictag.detection import build_detector
from pictag.detections import Detections
from pictag.flow import LatestWinsMailbox
from pictag.stats import RollingPercentiles

log = logging.getLogger(__name__)

DONE = "done"
DROPPED = "dropped"
FAILED = "failed"


class _CameraCounters:
    def __init__(self) -> None:
        self.processed = 0
        self.dropped = 0
        self.failed = 0
        self.frame_age_ms = RollingPercentiles()
        self.detect_ms = RollingPercentiles()

    def as_dict(self) -> dict[str, Any]:
        return {
            "detected": self.processed,
            "dropped_at_detector": self.dropped,
            "detector_errors": self.failed,
            "frame_age_ms": self.frame_age_ms.percentiles((50, 95)),
            "detect_ms": self.detect_ms.percentiles((50, 95)),
        }


@ray.remote(max_restarts=-1, max_task_retries=0)
class DetectorActor:
    """Async actor: latest-wins per camera in front of an async OpenVINO detector, then tracking.

    ``downstream`` has ``process(camera_id, frame_refs, meta, FrameTracks)`` (the node's
    embedder, or the identity actor when re-id is off).
    """

    def __init__(
        self,
        config: DetectorConfig,
        assets_dir: str | None,
        downstream: Any,
        *,
        tracking: TrackingConfig | None = None,
        privacy: PrivacyConfig | None = None,
        hub: Any | None = None,
    ) -> None:
        self._config = config
        self._detector = build_detector(config, assets_dir)
        self._tracking = TrackingStage(tracking or TrackingConfig(), downstream, privacy, hub)
        self._counters: dict[str, _CameraCounters] = {}
        self._mailbox: LatestWinsMailbox[str, tuple[Any, dict[str, Any], asyncio.Future[str]]] = LatestWinsMailbox(
            on_replaced=self._on_replaced
        )
        self._slots: asyncio.Semaphore | None = None
        self._worker: asyncio.Task[None] | None = None

    def _counter(self, camera_id: str) -> _CameraCounters:
        return self._counters.setdefault(camera_id, _CameraCounters())

    def _on_replaced(self, camera_id: str, item: tuple[Any, dict[str, Any], asyncio.Future[str]]) -> None:
        self._counter(camera_id).dropped += 1
        if not item[2].done():
            item[2].set_result(DROPPED)

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._slots = asyncio.Semaphore(self._config.num_requests)
            self._worker = asyncio.get_running_loop().create_task(self._run())

    async def process(self, camera_id: str, frame_refs: list[Any], meta: dict[str, Any]) -> str:
        """Queue a frame (ref inside a list, unresolved); resolves when detected or dropped."""
        self._ensure_worker()
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._mailbox.put(camera_id, (frame_refs[0], meta, fut))
        return await fut

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._slots is not None
        while True:
            camera_id, (ref, meta, fut) = await self._mailbox.get()
            await self._slots.acquire()
            try:
                frame = await ref
            except Exception as err:  # the owner (capture actor) died: drop the frame
                log.debug("camera=%s frame lost before detection: %s", camera_id, type(err).__name__)
                self._slots.release()
                self._counter(camera_id).failed += 1
                fut.set_result(FAILED)
                continue
            start = time.time()
            meta["detect_start"] = start
            self._counter(camera_id).frame_age_ms.add((start - meta["captured_at"]) * 1000.0)

            def on_done(
                result: Detections | BaseException,
                cam: str = camera_id,
                r: Any = ref,
                m: dict[str, Any] = meta,
                f: asyncio.Future[str] = fut,
            ) -> None:
                loop.call_soon_threadsafe(self._finish, cam, r, m, f, result)

            try:
                self._detector.submit(frame, on_done)
            except Exception as err:
                self._finish(camera_id, ref, meta, fut, err)

    def _finish(
        self,
        camera_id: str,
        ref: Any,
        meta: dict[str, Any],
        fut: asyncio.Future[str],
        result: Detections | BaseException,
    ) -> None:
        assert self._slots is not None
        self._slots.release()
        counters = self._counter(camera_id)
        if isinstance(result, BaseException):
            counters.failed += 1
            log.warning("camera=%s detection failed: %s", camera_id, result)
            if not fut.done():
                fut.set_result(FAILED)
            return
        now = time.time()
        meta["detect_end"] = now
        counters.processed += 1
        counters.detect_ms.add((now - meta["detect_start"]) * 1000.0)
        if not fut.done():
            fut.set_result(DONE)
        try:
            self._tracking.track(camera_id, [ref], meta, result)
        except Exception:  # one camera's bad frame must not stop the others
            log.exception("camera=%s tracking failed", camera_id)

    async def set_confidence(self, confidence: float) -> None:
        """Change the lowest kept box score for the next frames (dashboard setting)."""
        config = getattr(self._detector, "config", None)
        if config is not None:
            self._detector.config = config.model_copy(update={"confidence": confidence})  # type: ignore[attr-defined]

    async def forget(self, camera_id: str) -> None:
        """Drop the waiting frame, counters and tracking state of a removed camera."""
        item = self._mailbox.discard(camera_id)
        if item is not None and not item[2].done():
            item[2].set_result(DROPPED)
        self._counters.pop(camera_id, None)
        self._tracking.forget(camera_id)

    async def want_preview(self, camera_id: str, seconds: float) -> None:
        """Render anonymised previews of a camera for the next ``seconds`` (a viewer is watching)."""
        self._tracking.want_preview(camera_id, seconds)

    async def set_privacy(self, privacy: PrivacyConfig) -> None:
        """Apply a changed privacy mode to the next previews."""
        self._tracking.set_privacy(privacy)

    async def set_labels(self, camera_id: str, labels: dict[int, str]) -> None:
        """Person ids to draw next to track ids in previews (sent by the identity stage)."""
        self._tracking.set_labels(camera_id, labels)

    async def stats(self) -> dict[str, Any]:
        """Per-camera counters (detection and tracking) and the mailbox depth."""
        return {
            "cameras": {cam: c.as_dict() | self._tracking.stats(cam) for cam, c in self._counters.items()},
            "queue_depth": self._mailbox.depth(),
            "node_id": ray.get_runtime_context().get_node_id(),
        }
