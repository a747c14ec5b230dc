"""Hand each camera's track summaries on in capture order, batched, while some wait for embeddings.

In crop mode a frame with tracks due for an embedding waits for the embedder's answer, while
the camera's next frames (most of which need no embedding) are ready at once. The identity
stage must still see one camera's frames in order — a track that ended in frame N+1 must not
be revived by frame N arriving late — so summaries queue per camera and leave in order. The
work that must happen in order (folding embeddings into the tracks' appearance, forgetting
ended tracks) is therefore a callable run when the frame reaches the head of its queue.

Everything ready in one pass of the event loop leaves as one batch (or, with
``interval_s > 0``, everything ready within that interval): one actor call carries the
frames of several cameras, so the identity stage pays one hop for them, not one each.

Runs on one asyncio loop (an async actor's); not thread-safe.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Callable

from pictag.messages import SummarySink, TrackSummaries

log = logging.getLogger(__name__)

#: Builds a frame's summaries when it reaches the head of its camera's queue (None: nothing to send).
Finish = Callable[[], TrackSummaries | None]


class OrderedForwarder:
    """Per-camera FIFO of frames, each ready now or later; ready heads leave in batches.

    Args:
        sink: where batches go.
        interval_s: 0 sends what became ready in one loop pass; more waits that long to batch.
    """

    def __init__(self, sink: SummarySink, *, interval_s: float = 0.0) -> None:
        self._sink = sink
        self._interval_s = interval_s
        self._queues: dict[str, deque[asyncio.Future[Finish]]] = {}
        self._outbox: list[TrackSummaries] = []
        self._flush_handle: asyncio.Handle | None = None
        self.batches = 0

    def ready(self, camera_id: str, finish: Finish) -> None:
        """A frame that needs nothing more: it leaves once the frames before it have."""
        future: asyncio.Future[Finish] = asyncio.get_running_loop().create_future()
        future.set_result(finish)
        self.later(camera_id, future)

    def later(self, camera_id: str, future: asyncio.Future[Finish]) -> None:
        """A frame whose finishing step arrives with ``future`` (e.g. after the crop embedder)."""
        queue = self._queues.setdefault(camera_id, deque())
        queue.append(future)
        if future.done():
            self._drain(camera_id)
        else:
            future.add_done_callback(functools.partial(self._drained, camera_id))

    def waiting(self, camera_id: str) -> int:
        """Frames of a camera not yet handed on."""
        queue = self._queues.get(camera_id)
        return len(queue) if queue else 0

    def forget(self, camera_id: str) -> None:
        """Drop a removed camera's waiting frames."""
        for future in self._queues.pop(camera_id, ()):
            future.cancel()

    def _drained(self, camera_id: str, _done: asyncio.Future[Finish]) -> None:
        self._drain(camera_id)

    def _drain(self, camera_id: str) -> None:
        queue = self._queues.get(camera_id)
        while queue and queue[0].done():
            future = queue.popleft()
            if future.cancelled():
                continue
            try:
                summaries = future.result()()
            except Exception:  # one frame's failure must not block the camera's queue
                log.exception("camera=%s a frame could not be finished; it is dropped", camera_id)
                continue
            if summaries is not None:
                self._outbox.append(summaries)
        if self._outbox and self._flush_handle is None:
            loop = asyncio.get_running_loop()
            if self._interval_s > 0:
                self._flush_handle = loop.call_later(self._interval_s, self._flush)
            else:
                self._flush_handle = loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        batch, self._outbox = self._outbox, []
        if batch:
            self.batches += 1
            self._sink.send(batch)

    def flush_now(self) -> None:
        """Send whatever is ready (shutdown, tests)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush()
