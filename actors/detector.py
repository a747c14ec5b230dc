"""DetectorActor: detection, tracking and (joint mode) re-identification of one node's cameras.

Frames arrive as `FrameRef` messages (the pixels stay in the node's object store, owned by
the capture actors). Each camera has one latest-wins slot: a frame still waiting when a newer
one arrives is dropped and counted. Up to ``num_requests`` frames are in OpenVINO's async
queue at once, so inference of one camera's frame overlaps with the rest of another's.

When a frame's detections arrive, on the actor's event loop:

1. tracking and the appearance schedule (`pictag.pipeline.node.NodeTracker`): which tracks
   are due for an embedding (good crops; warm-up, then every ``reid.refresh_s``);
2. re-identification of the due tracks —
   joint mode: from the feature maps the same inference produced, right here (RoIAlign + a
   small head, ~1 ms for 10 persons): no second pass over pixels, no extra hop;
   crop mode: the frame reference and the boxes go to the node's embedder actor, and the
   frame's summary waits for the answer (at most `MAX_EMBEDS_IN_FLIGHT` per camera; beyond
   that the tracks stay due for the next frame, counted as ``embed_deferred``);
3. the frame's `TrackSummaries` (tracks + refreshed appearances, never pixels) leave for the
   identity stage in capture order per camera, batched (`OrderedForwarder`);
4. anonymised previews while a viewer watches (`PreviewRenderer`);
5. heatmaps: confirmed tracks' bottom-centres per camera and local day, and now and then a
   background sample with every person box masked (`HeatmapRecorder`; written to the store).

The capture actor gets a `FrameOutcome` back (detected / dropped / failed, and how many tracks
the camera's tracker holds, which turns motion gating on and off).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import ray

from pictag.actors import names
from pictag.actors.handles import EmbedderHandle, HubHandle, IdentityHandle, StoreHandle
from pictag.actors.heatmaps import HeatmapRecorder
from pictag.actors.previews import PreviewRenderer
from pictag.config import DetectorConfig, PrivacyConfig, ReidConfig, TrackingConfig
from pictag.config.identity import IdentityConfig
from pictag.detection import build_detector
from pictag.detection.base import DetectorOutput
from pictag.flow import LatestWinsMailbox
from pictag.messages import FrameOutcome, FrameRef, Outcome, StageTimings, TrackSummaries
from pictag.pipeline.forwarding import Finish, OrderedForwarder
from pictag.pipeline.node import NodeTracker, TrackStep
from pictag.reid.joint import JointEmbedder
from pictag.reid.registry import build_embedder
from pictag.stats import RollingPercentiles

log = logging.getLogger(__name__)

#: Crop-mode embedding requests one camera may have outstanding at the embedder actor.
MAX_EMBEDS_IN_FLIGHT = 2
#: Batches to the identity stage not yet acknowledged before new ones are dropped (counted).
MAX_SUMMARY_CALLS_IN_FLIGHT = 64

_Item = tuple[FrameRef[Any], "asyncio.Future[FrameOutcome]"]


class _CameraCounters:
    def __init__(self) -> None:
        self.processed = 0
        self.dropped = 0
        self.failed = 0
        self.embedded_frames = 0
        self.crops = 0
        self.embed_deferred = 0
        self.embed_failed = 0
        self.frame_age_ms = RollingPercentiles()
        self.detect_ms = RollingPercentiles()
        self.track_ms = RollingPercentiles()
        self.embed_ms = RollingPercentiles()
        self.heatmap_ms = RollingPercentiles()

    def as_dict(self) -> dict[str, Any]:
        return {
            "detected": self.processed,
            "dropped_at_detector": self.dropped,
            "detector_errors": self.failed,
            "frames_embedded": self.embedded_frames,
            "crops_embedded": self.crops,
            "embed_deferred": self.embed_deferred,
            "embedder_errors": self.embed_failed,
            "frame_age_ms": self.frame_age_ms.percentiles((50, 95)),
            "detect_ms": self.detect_ms.percentiles((50, 95)),
            "track_ms": self.track_ms.percentiles((50, 95)),
            "embed_ms": self.embed_ms.percentiles((50, 95)),
            "heatmap_ms": self.heatmap_ms.percentiles((50, 95)),
        }


class _IdentitySink:
    """`SummarySink` over the identity actor: fire-and-forget calls, a bounded number outstanding."""

    def __init__(self, identity: IdentityHandle) -> None:
        self._identity = identity
        self._pending: list[Any] = []
        self.dropped = 0

    def send(self, batch: Sequence[TrackSummaries]) -> None:
        if self._pending:
            _, self._pending = ray.wait(self._pending, num_returns=len(self._pending), timeout=0)
        if len(self._pending) >= MAX_SUMMARY_CALLS_IN_FLIGHT:
            self.dropped += len(batch)
            return
        self._pending.append(self._identity.process.remote(list(batch)))


@ray.remote(max_restarts=-1, max_task_retries=0)
class DetectorActor:
    """Async actor: latest-wins per camera → async OpenVINO detector → tracking → re-id → identity."""

    def __init__(
        self,
        config: DetectorConfig,
        assets_dir: str | None,
        identity: IdentityHandle,
        *,
        tracking: TrackingConfig | None = None,
        reid: ReidConfig | None = None,
        identity_config: IdentityConfig | None = None,
        privacy: PrivacyConfig | None = None,
        hub: HubHandle | None = None,
        embedder: EmbedderHandle | None = None,
        forward_interval_s: float = 0.0,
        store: StoreHandle | None = None,
    ) -> None:
        reid = reid if reid is not None and reid.enabled else None
        self._joint: JointEmbedder | None = None
        if reid is not None and reid.type == "joint":
            joint = build_embedder(reid, assets_dir, config)
            assert isinstance(joint, JointEmbedder)
            self._joint = joint
        self._config = config
        self._detector = build_detector(
            config, assets_dir, feature_layers=self._joint.feature_layers if self._joint else ()
        )
        self._tracker = NodeTracker(tracking or TrackingConfig(), reid, identity_config)
        self._embedder = embedder if reid is not None and self._joint is None else None
        self._sink = _IdentitySink(identity)
        self._forwarder = OrderedForwarder(self._sink, interval_s=forward_interval_s)
        self._previews = PreviewRenderer(privacy, hub)
        self._heatmaps = HeatmapRecorder(store if store is not None else _named_store())
        self._counters: dict[str, _CameraCounters] = {}
        self._embeds_in_flight: dict[str, int] = {}
        self._mailbox: LatestWinsMailbox[str, _Item] = LatestWinsMailbox(on_replaced=self._on_replaced)
        self._slots: asyncio.Semaphore | None = None
        self._worker: asyncio.Task[None] | None = None

    def _counter(self, camera_id: str) -> _CameraCounters:
        return self._counters.setdefault(camera_id, _CameraCounters())

    def _on_replaced(self, camera_id: str, item: _Item) -> None:
        self._counter(camera_id).dropped += 1
        if not item[1].done():
            item[1].set_result(FrameOutcome(Outcome.DROPPED, self._tracker.live_tracks(camera_id)))

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._slots = asyncio.Semaphore(self._config.num_requests)
            self._worker = asyncio.get_running_loop().create_task(self._run())

    async def process(self, frame: FrameRef[Any]) -> FrameOutcome:
        """Queue a frame (its image unresolved); answers when it was detected, dropped or failed."""
        self._ensure_worker()
        fut: asyncio.Future[FrameOutcome] = asyncio.get_running_loop().create_future()
        self._mailbox.put(frame.camera_id, (frame, fut))
        return await fut

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        slots = self._slots
        assert slots is not None
        while True:
            camera_id, (frame, fut) = await self._mailbox.get()
            await slots.acquire()
            try:
                image = await frame.image
            except Exception as err:  # the owner (capture actor) died: drop the frame
                log.debug("camera=%s frame lost before detection: %s", camera_id, type(err).__name__)
                slots.release()
                self._counter(camera_id).failed += 1
                fut.set_result(FrameOutcome(Outcome.FAILED, self._tracker.live_tracks(camera_id)))
                continue
            start = time.time()
            self._counter(camera_id).frame_age_ms.add((start - frame.captured_at) * 1000.0)
            timings = frame.timings.stamped(detect_start=start)

            def on_done(
                result: DetectorOutput | BaseException,
                f: FrameRef[Any] = frame,
                t: StageTimings = timings,
                done: asyncio.Future[FrameOutcome] = fut,
            ) -> None:
                loop.call_soon_threadsafe(self._finish, f, t, done, result)

            try:
                self._detector.submit_full(image, on_done)
            except Exception as err:
                self._finish(frame, timings, fut, err)

    def _finish(
        self,
        frame: FrameRef[Any],
        timings: StageTimings,
        fut: asyncio.Future[FrameOutcome],
        result: DetectorOutput | BaseException,
    ) -> None:
        assert self._slots is not None
        self._slots.release()
        camera_id = frame.camera_id
        counters = self._counter(camera_id)
        if isinstance(result, BaseException):
            counters.failed += 1
            log.warning("camera=%s detection failed: %s", camera_id, result)
            if not fut.done():
                fut.set_result(FrameOutcome(Outcome.FAILED, self._tracker.live_tracks(camera_id)))
            return
        detected = time.time()
        counters.processed += 1
        counters.detect_ms.add((detected - (timings.detect_start or detected)) * 1000.0)
        try:
            step = self._tracker.step(camera_id, frame.seq, frame.captured_at, result.detections, frame.shape)
            tracked = time.time()
            counters.track_ms.add((tracked - detected) * 1000.0)
            self._previews.maybe_render(camera_id, frame.image, frame.captured_at, result.detections, step.frame.tracks)
            start = time.perf_counter()
            self._heatmaps.observe(frame, result.detections, step.frame.tracks)
            counters.heatmap_ms.add((time.perf_counter() - start) * 1000.0)
            self._reidentify(frame, step, result, timings.stamped(detect_end=detected), counters)
        except Exception:  # one camera's bad frame must not stop the others
            log.exception("camera=%s tracking failed", camera_id)
            step = None
        if not fut.done():
            live = step.live_tracks if step is not None else self._tracker.live_tracks(camera_id)
            fut.set_result(FrameOutcome(Outcome.DONE, live))

    def _reidentify(
        self,
        frame: FrameRef[Any],
        step: TrackStep,
        result: DetectorOutput,
        timings: StageTimings,
        counters: _CameraCounters,
    ) -> None:
        """Embed the due tracks (joint: now; crop: via the embedder) and queue the summary."""
        camera_id = frame.camera_id
        tracks = step.frame.tracks
        if not step.due.any():
            self._forwarder.ready(camera_id, self._finisher(step, None, None, timings.stamped(track_end=time.time())))
            return
        ids = tracks.track_id[step.due]
        boxes = tracks.xyxy[step.due]
        if self._joint is not None and result.features is not None:
            start = time.perf_counter()
            embeddings = self._joint.embed_features(result.features, boxes)
            counters.embed_ms.add((time.perf_counter() - start) * 1000.0)
            counters.embedded_frames += 1
            counters.crops += len(ids)
            timings = timings.stamped(track_end=time.time())
            self._forwarder.ready(camera_id, self._finisher(step, ids, embeddings, timings))
            return
        if self._embedder is None:
            self._forwarder.ready(camera_id, self._finisher(step, None, None, timings.stamped(track_end=time.time())))
            return
        timings = timings.stamped(track_end=time.time())
        if self._embeds_in_flight.get(camera_id, 0) >= MAX_EMBEDS_IN_FLIGHT:
            counters.embed_deferred += 1  # the tracks stay due: the next frame tries again
            self._forwarder.ready(camera_id, self._finisher(step, None, None, timings))
            return
        self._embeds_in_flight[camera_id] = self._embeds_in_flight.get(camera_id, 0) + 1
        self._tracker.mark_sent(camera_id, ids, frame.captured_at)
        task = asyncio.get_running_loop().create_task(
            self._embed_remote(frame, step, ids, boxes, timings=timings, counters=counters)
        )
        self._forwarder.later(camera_id, task)

    async def _embed_remote(
        self,
        frame: FrameRef[Any],
        step: TrackStep,
        ids: np.ndarray,
        boxes: np.ndarray,
        *,
        timings: StageTimings,
        counters: _CameraCounters,
    ) -> Finish:
        start = time.perf_counter()
        try:
            embeddings = await self._embedder.embed.remote(frame.image, boxes)  # type: ignore[union-attr]
        except Exception as err:  # the embedder died or failed: the tracks go on without appearance
            counters.embed_failed += 1
            log.warning("camera=%s embedding failed: %s", frame.camera_id, type(err).__name__)
            return self._finisher(step, None, None, timings)
        finally:
            self._embeds_in_flight[frame.camera_id] -= 1
        counters.embed_ms.add((time.perf_counter() - start) * 1000.0)
        counters.embedded_frames += 1
        counters.crops += len(ids)
        return self._finisher(step, ids, embeddings, timings.stamped(embed_end=time.time()))

    def _finisher(
        self, step: TrackStep, ids: np.ndarray | None, embeddings: np.ndarray | None, timings: StageTimings
    ) -> Finish:
        """The in-order part of a frame: fold embeddings, forget ended tracks, build the summary."""

        def finish() -> TrackSummaries:
            frame = step.frame
            appearance = {}
            if ids is not None and embeddings is not None:
                appearance = self._tracker.add_embeddings(frame.camera_id, ids, embeddings, frame.captured_at)
            self._tracker.release(frame.camera_id, frame.ended)
            return TrackSummaries(frame, appearance, timings)

        return finish

    async def set_embedder(self, embedder: EmbedderHandle) -> None:
        """The controller re-created the node's crop embedder: use the new one."""
        if self._embedder is not None:
            self._embedder = embedder

    async def set_confidence(self, confidence: float) -> None:
        """Change the lowest kept box score for the next frames (dashboard setting)."""
        config = getattr(self._detector, "config", None)
        if config is not None:
            self._detector.config = config.model_copy(update={"confidence": confidence})  # type: ignore[attr-defined]

    async def set_threshold(self, threshold: float) -> None:
        """A new match threshold (live settings): it is also the crop-outlier cut-off."""
        self._tracker.set_outlier_similarity(threshold)

    async def forget(self, camera_id: str) -> None:
        """Drop the waiting frame, counters, tracking and preview state of a removed camera."""
        item = self._mailbox.discard(camera_id)
        if item is not None and not item[1].done():
            item[1].set_result(FrameOutcome(Outcome.DROPPED, 0))
        self._counters.pop(camera_id, None)
        self._tracker.forget(camera_id)
        self._forwarder.forget(camera_id)
        self._previews.forget(camera_id)
        await self._heatmaps.forget(camera_id)

    async def want_preview(self, camera_id: str, seconds: float) -> None:
        """Render anonymised previews of a camera for the next ``seconds`` (a viewer is watching)."""
        self._previews.want(camera_id, seconds)

    async def set_privacy(self, privacy: PrivacyConfig) -> None:
        """Apply a changed privacy mode to the next previews."""
        self._previews.set_privacy(privacy)

    async def stats(self) -> dict[str, Any]:
        """Per-camera counters (detection, tracking, re-id) and the mailbox depth."""
        return {
            "cameras": {cam: c.as_dict() for cam, c in self._counters.items()},
            "queue_depth": self._mailbox.depth(),
            "summaries_dropped": self._sink.dropped,
            "reid": "joint" if self._joint is not None else ("crop" if self._embedder is not None else "off"),
            "outlier_similarity": (
                self._tracker.appearance.outlier_similarity if self._tracker.appearance is not None else None
            ),
            "node_id": ray.get_runtime_context().get_node_id(),
            "heatmaps": self._heatmaps.stats(),
        }

    async def flush_heatmaps(self) -> None:
        """Write every camera's heatmap increment now (instead of at the next ``persist_every_s``)."""
        await self._heatmaps.flush()


def _named_store() -> StoreHandle | None:
    """The runtime's store actor, where heatmaps go (None when this detector runs without one)."""
    try:
        return cast("StoreHandle", ray.get_actor(names.STORE, namespace=names.NAMESPACE))
    except ValueError:
        return None
