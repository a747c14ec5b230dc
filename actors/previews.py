"""Anonymised previews of a node's cameras, rendered in the detector actor while someone watches.

Pixels never leave a node un-anonymised: the frame is resolved from the node's object store,
anonymised at full resolution, shrunk, boxes drawn, JPEG-encoded in a worker thread and only
then put on the event hub's latest-wins channel ``preview:<camera>``. Rendering happens only
for cameras a viewer asked for (`want`, renewed by the preview WebSocket), at most
``privacy.preview_fps`` per camera, one render at a time per camera. The person ids drawn next
to the track ids come forward from the identity stage through the hub's ``labels:<camera>``
channel (`pictag.identity.labels`), read once per rendered preview.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from pictag.actors.handles import HubHandle
from pictag.config import PrivacyConfig
from pictag.detections import Detections
from pictag.identity.labels import TrackLabels, labels_channel
from pictag.privacy import render_preview

log = logging.getLogger(__name__)

#: Preview width in pixels: enough for a dashboard tile, small enough for a phone.
PREVIEW_WIDTH = 640


class PreviewRenderer:
    """Preview requests and throttling per camera; lives in an async actor's event loop."""

    def __init__(self, privacy: PrivacyConfig | None, hub: HubHandle | None) -> None:
        self._privacy = privacy or PrivacyConfig()
        self._hub = hub
        self._until: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._busy: set[str] = set()

    def want(self, camera_id: str, seconds: float) -> None:
        """Produce previews of a camera for the next ``seconds`` (a viewer is watching)."""
        self._until[camera_id] = time.monotonic() + seconds

    def set_privacy(self, privacy: PrivacyConfig) -> None:
        """Apply a changed privacy mode to the next previews."""
        self._privacy = privacy

    def forget(self, camera_id: str) -> None:
        """Drop a removed camera's preview requests."""
        self._until.pop(camera_id, None)
        self._last.pop(camera_id, None)

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
        asyncio.get_running_loop().create_task(self._render(camera_id, image_ref, captured_at, detections, tracks))

    async def _render(
        self,
        camera_id: str,
        image_ref: Any,
        captured_at: float,
        detections: Detections,
        tracks: Detections,
    ) -> None:
        hub = self._hub
        try:
            frame = await image_ref
            labels = await self._labels(camera_id)
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

    async def _labels(self, camera_id: str) -> TrackLabels:
        """The camera's current person ids per track (none while the hub restarts: boxes stay unlabelled)."""
        if self._hub is None:
            return {}
        try:
            _, labels = await self._hub.get_latest.remote(labels_channel(camera_id), -1, 0.0)
        except Exception as err:
            log.debug("camera=%s preview labels unavailable: %s", camera_id, type(err).__name__)
            return {}
        return dict(labels) if isinstance(labels, dict) else {}
