"""EmbedderActor: the re-identification model stage of one node.

It sits between the tracker and the identity stage: frames stay on the node, only
per-track appearance aggregates (`pictag.identity.appearance.TrackAppearance`: a normalised
mean and a few prototypes) travel on to the head, and only when a track's appearance changed.
A track is embedded from good crops only, on consecutive frames until it has its warm-up
crops, then every ``reid.refresh_s`` — the frame is fetched only when some track is due.

Frames are latest-wins per camera; a frame replaced in the mailbox hands its ended track
ids on to the next one, so the identity stage always learns that a track ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

import numpy as np
import ray

from pictag.config import ReidConfig
from pictag.config.identity import IdentityConfig
from pictag.flow import LatestWinsMailbox
from pictag.identity.appearance import AppearanceAggregator, TrackAppearance
from pictag.identity.sessions import FrameTracks
from pictag.reid import CropQuality, build_embedder
from pictag.stats import RollingPercentiles

log = logging.getLogger(__name__)

_Item = tuple[list[Any], dict[str, Any], FrameTracks]


class _CameraCounters:
    def __init__(self) -> None:
        self.frames = 0
        self.crops = 0
        self.dropped = 0
        self.failed = 0
        self.embed_ms = RollingPercentiles()

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames_embedded": self.frames,
            "crops_embedded": self.crops,
            "dropped_at_embedder": self.dropped,
            "embedder_errors": self.failed,
            "embed_ms": self.embed_ms.percentiles((50, 95)),
        }


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class EmbedderActor:
    """Async actor: latest-wins per camera in front of a crop embedder and the track aggregates."""

    def __init__(
        self,
        config: ReidConfig,
        assets_dir: str | None,
        downstream: Any,
        identity: IdentityConfig | None = None,
    ) -> None:
        self._config = config
        self._embedder = build_embedder(config, assets_dir)
        self._aggregator = AppearanceAggregator(
            CropQuality.from_config(config),
            refresh_s=config.refresh_s,
            warmup_crops=(identity or IdentityConfig()).min_crops,
            prototypes=config.prototypes,
            outlier_similarity=config.threshold,
        )
        self._downstream = downstream
        self._carry: dict[str, set[int]] = {}
        self._counters: dict[str, _CameraCounters] = {}
        self._mailbox: LatestWinsMailbox[str, _Item] = LatestWinsMailbox(
            on_replaced=self._on_replaced
        )
        self._worker: asyncio.Task[None] | None = None

    def _counter(self, camera_id: str) -> _CameraCounters:
        return self._counters.setdefault(camera_id, _CameraCounters())

    def _on_replaced(self, camera_id: str, item: _Item) -> None:
        self._counter(camera_id).dropped += 1
        if item[2].ended:
            self._carry.setdefault(camera_id, set()).update(item[2].ended)

    async def process(
        self, camera_id: str, frame_refs: list[Any], meta: dict[str, Any], frame: FrameTracks
    ) -> None:
        """Queue one frame's tracks; appearances are attached before forwarding."""
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        self._mailbox.put(camera_id, (frame_refs, meta, frame))

    async def _run(self) -> None:
        while True:
            camera_id, (refs, meta, frame) = await self._mailbox.get()
            carried = self._carry.pop(camera_id, None)
            if carried:
                frame = replace(frame, ended=tuple(sorted(carried | set(frame.ended))))
            appearance: dict[int, TrackAppearance] = {}
            try:
                appearance = await self._embed(camera_id, refs, frame)
            except Exception:  # a bad frame loses its embeddings, never the tracks
                self._counter(camera_id).failed += 1
                log.exception("camera=%s embedding failed", camera_id)
            self._aggregator.end(camera_id, frame.ended)
            meta["embed_end"] = time.time()
            self._downstream.observe.remote(replace(frame, appearance=appearance), meta)

    async def _embed(
        self, camera_id: str, refs: list[Any], frame: FrameTracks
    ) -> dict[int, TrackAppearance]:
        tracks = frame.tracks
        if (
            len(tracks) == 0
            or not self._aggregator.due(camera_id, tracks.track_id, frame.captured_at).any()
        ):
            return {}
        image = await refs[0]
        rows = self._aggregator.select(camera_id, tracks, image.shape, frame.captured_at)
        if not rows.any():
            return {}
        start = time.perf_counter()
        embeddings = await asyncio.to_thread(self._embedder.embed, image, tracks.xyxy[rows])
        counters = self._counter(camera_id)
        counters.embed_ms.add((time.perf_counter() - start) * 1000.0)
        counters.frames += 1
        counters.crops += int(np.count_nonzero(rows))
        return self._aggregator.add(camera_id, tracks.track_id[rows], embeddings, frame.captured_at)

    async def forget(self, camera_id: str) -> None:
        """Drop the state of a removed camera."""
        self._mailbox.discard(camera_id)
        self._carry.pop(camera_id, None)
        self._aggregator.forget_camera(camera_id)

    async def set_threshold(self, threshold: float) -> None:
        """Use a new match threshold (live settings): it is also the crop-outlier cut-off."""
        self._aggregator.outlier_similarity = threshold

    async def stats(self) -> dict[str, Any]:
        """Per-camera counters (crops embedded, cost, drops), live track states and the outlier cut-off."""
        return {
            "outlier_similarity": self._aggregator.outlier_similarity,
            "cameras": {cam: c.as_dict() for cam, c in self._counters.items()},
            "queue_depth": self._mailbox.depth(),
            "tracks": self._aggregator.live_tracks(),
        }
