"""Anonymised previews of a node's cameras, rendered in the detector actor while someone watches.

Pixels never leave a node un-anonymised: the frame is resolved from the node's object store,
anonymised at full resolution, shrunk, boxes drawn, JPEG-encoded in a worker thread and only
then put on the event hub's latest-wins channel ``preview:<camera>``. Rendering happens only
for cameras a viewer asked for (`want`, renewed by the preview WebSocket), at most
``privacy.preview_fps`` per camera, one render at a time per camera.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from pictag.config import PrivacyConfig
from pictag.detections import Detections
from pictag.privacy import render_preview

log = logging.getLogger(__name__)

#: Preview width in pixels: enough for a dashboard tile, small enough for a phone.
PREVIEW_WIDTH = 640


class PreviewRenderer:
    """Preview requests and throttling per camera; lives in an async actor's event loop."""

    def __init__(self, privacy: PrivacyConfig | None, hub: Any | None) -> None:
        self._privacy = privacy or PrivacyConfig()
        self._hub = hub
        self._until: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._busy: set[str] = set()
        self._labels: dict[str, dict[int, str]] = {}

    def want(self, camera_id: str, seconds: float) -> None:
        """Produce previews of a camera for the next ``seconds`` (a viewer is watching)."""
        self._until[camera_id] = time.monotonic() + seconds

    def set_privacy(self, privacy: PrivacyConfig) -> None:
        """Apply a changed privacy mode to the next previews."""
        self._privacy = privacy

    def set_labels(self, camera_id: str, labels: dict[int, str]) -> None:
        """Person ids to draw next to track ids (sent by the identity stage)."""
        self._labels.setdefault(camera_id, {}).update(labels)

    def ended(self, camera_id: str, track_ids: tuple[int, ...]) -> None:
        """Forget the labels of tracks that ended."""
        labels = self._labels.get(camera_id)
        if labels:
            for tid in track_ids:
                labels.pop(tid, None)

    def forget(self, camera_id: str) -> None:
        """Drop a removed camera's requests and labels."""
        self._until.pop(camera_id, None)
        self._last.pop(camera_id, None)
        self._labels.pop(camera_id, None)

    def maybe_render(
        self, camera_id: str, image_ref: Any, captured_at: float, detections: Detections, tracks: Detections
    ) -> None:
        """Start rendering this frame's preview if the camera is watched and due (non-blocking)."""
        if self._hub is None:
            return
        now = time.monotonic()
        if now > self._until.get(camera_id, 0.0) or camera_id in self._busy:
            return
        if now - self._last.get(camera_id, 0.0) < 1.0 / self._privacy.preview_fps:
            return
        self._last[camera_id] = now
        self._busy.add(camera_id)
        labels = dict(self._labels.get(camera_id, {}))
        asyncio.get_running_loop().create_task(
            self._render(camera_id, image_ref, captured_at, detections, tracks=tracks, labels=labels)
        )

    async def _render(
        self,
        camera_id: str,
        image_ref: Any,
        captured_at: float,
        detections: Detections,
        *,
        tracks: Detections,
        labels: dict[int, str],
    ) -> None:
        hub = self._hub
        try:
            frame = await image_ref
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
            self._busy.discard(camera_id)
