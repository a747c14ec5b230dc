"""TrackingStage: per-camera tracking state, run inside the node's detector actor.

Tracking is cheap next to detection (~0.6 ms per frame here) but its state (Kalman
filters, lost tracks) belongs to one camera and must see that camera's frames in
order. It used to be an actor of its own; measured here, each actor hop costs
~1.8 ms of CPU in the receiving stage and ~0.5 ms in the frame's owner (the capture
actor) per frame, several times the tracking itself, so it now runs in the detector
actor right where the detections are produced (`pictag bench`, docs/benchmarks.md).
It still forwards only small per-frame track summaries (and the frame ref, unresolved).

Previews are rendered here too: anonymised on this node, before any pixel leaves it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from pictag.config import PrivacyConfig, TrackingConfig
from pictag.detections import Detections
from pictag.identity.sessions import FrameTracks
from pictag.privacy import render_preview
from pictag.stats import RollingPercentiles
from pictag.tracking import ByteTracker

log = logging.getLogger(__name__)

#: Preview width in pixels: enough for a dashboard tile, small enough for a phone.
PREVIEW_WIDTH = 640


class TrackingStage:
    """One `ByteTracker` per camera, previews on demand; lives in an async actor's event loop.

    ``downstream`` has ``process(camera_id, frame_refs, meta, FrameTracks)``: the
    embedder stage, or the identity actor when re-id is off.
    """

    def __init__(
        self, config: TrackingConfig, downstream: Any, privacy: PrivacyConfig | None = None, hub: Any | None = None
    ) -> None:
        self._config = config
        self._downstream = downstream
        self._privacy = privacy or PrivacyConfig()
        self._hub = hub
        self._preview_until: dict[str, float] = {}
        self._preview_last: dict[str, float] = {}
        self._preview_busy: set[str] = set()
        self._labels: dict[str, dict[int, str]] = {}
        self._trackers: dict[str, ByteTracker] = {}
        self._track_ms: dict[str, RollingPercentiles] = {}

    def track(self, camera_id: str, refs: list[Any], meta: dict[str, Any], detections: Detections) -> None:
        """Track one frame's detections and forward the tracks (call on the actor's event loop)."""
        tracker = self._trackers.get(camera_id)
        if tracker is None:
            tracker = self._trackers[camera_id] = ByteTracker(self._config)
        start = time.perf_counter()
        result = tracker.update(detections, meta["captured_at"])
        self._track_ms.setdefault(camera_id, RollingPercentiles()).add((time.perf_counter() - start) * 1000.0)
        meta["track_end"] = time.time()
        labels = self._labels.get(camera_id)
        if labels:
            for tid in result.ended:
                labels.pop(tid, None)
        self._maybe_preview(camera_id, refs, meta["captured_at"], detections, result.tracks)
        frame = FrameTracks(
            camera_id=camera_id,
            captured_at=meta["captured_at"],
            tracks=result.tracks,
            started=result.started,
            ended=result.ended,
        )
        self._downstream.process.remote(camera_id, refs, meta, frame)

    def forget(self, camera_id: str) -> None:
        """Drop the state of a removed camera."""
        self._trackers.pop(camera_id, None)
        self._track_ms.pop(camera_id, None)
        self._labels.pop(camera_id, None)
        self._preview_until.pop(camera_id, None)

    def want_preview(self, camera_id: str, seconds: float) -> None:
        """Produce previews of a camera for the next ``seconds`` (a viewer is watching)."""
        self._preview_until[camera_id] = time.monotonic() + seconds

    def set_privacy(self, privacy: PrivacyConfig) -> None:
        """Apply a changed privacy mode to the next previews."""
        self._privacy = privacy

    def set_labels(self, camera_id: str, labels: dict[int, str]) -> None:
        """Person ids to draw next to track ids (sent by the identity stage)."""
        self._labels.setdefault(camera_id, {}).update(labels)

    def stats(self, camera_id: str) -> dict[str, Any]:
        """Tracking cost of one camera."""
        ms = self._track_ms.get(camera_id)
        return {"track_ms": ms.percentiles((50, 95)) if ms else {"p50": None, "p95": None}}

    def _maybe_preview(
        self, camera_id: str, refs: list[Any], captured_at: float, detections: Detections, tracks: Detections
    ) -> None:
        if self._hub is None or time.monotonic() > self._preview_until.get(camera_id, 0.0):
            return
        now = time.monotonic()
        if (
            camera_id in self._preview_busy
            or now - self._preview_last.get(camera_id, 0.0) < 1.0 / self._privacy.preview_fps
        ):
            return
        self._preview_last[camera_id] = now
        self._preview_busy.add(camera_id)
        labels = dict(self._labels.get(camera_id, {}))
        asyncio.get_running_loop().create_task(
            self._render(camera_id, refs[0], captured_at, detections, tracks, labels)
        )

    async def _render(
        self,
        camera_id: str,
        ref: Any,
        captured_at: float,
        detections: Detections,
        tracks: Detections,
        labels: dict[int, str],
    ) -> None:
        hub = self._hub
        try:
            frame = await ref
            jpeg = await asyncio.to_thread(
                render_preview, frame, detections, tracks, labels, self._privacy.anonymize, PREVIEW_WIDTH
            )
            if hub is not None:
                hub.put_latest.remote(
                    f"preview:{camera_id}", {"jpeg": jpeg, "captured_at": captured_at, "rendered_at": time.time()}
                )
        except Exception:
            log.exception("camera=%s preview failed", camera_id)
        finally:
            self._preview_busy.discard(camera_id)
