"""Per-camera order and batching of track summaries, though some frames wait for embeddings."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pictag.detections import Detections
from pictag.messages import FrameTracks, TrackSummaries
from pictag.pipeline.forwarding import OrderedForwarder


class Collect:
    def __init__(self) -> None:
        self.batches: list[list[TrackSummaries]] = []

    def send(self, batch: Sequence[TrackSummaries]) -> None:
        self.batches.append(list(batch))

    def seqs(self, camera: str) -> list[int]:
        return [s.frame.seq for b in self.batches for s in b if s.camera_id == camera]


def _summary(camera: str, seq: int) -> TrackSummaries:
    return TrackSummaries(FrameTracks(camera, float(seq), Detections.empty(), seq=seq))


def test_a_waiting_frame_holds_back_its_camera_only() -> None:
    async def run() -> Collect:
        sink = Collect()
        fwd = OrderedForwarder(sink)
        loop = asyncio.get_running_loop()
        waiting: asyncio.Future = loop.create_future()
        fwd.ready("a", lambda: _summary("a", 1))
        fwd.later("a", waiting)  # frame 2 waits for the crop embedder
        fwd.ready("a", lambda: _summary("a", 3))
        fwd.ready("b", lambda: _summary("b", 1))
        await asyncio.sleep(0)
        assert sink.seqs("a") == [1] and sink.seqs("b") == [1] and fwd.waiting("a") == 2
        waiting.set_result(lambda: _summary("a", 2))
        await asyncio.sleep(0.01)
        return sink

    sink = asyncio.run(run())
    assert sink.seqs("a") == [1, 2, 3]


def test_frames_ready_in_one_loop_pass_leave_as_one_batch() -> None:
    async def run() -> Collect:
        sink = Collect()
        fwd = OrderedForwarder(sink)
        for seq in range(3):
            for cam in ("a", "b"):
                fwd.ready(cam, lambda c=cam, s=seq: _summary(c, s))
        await asyncio.sleep(0.01)
        return sink

    sink = asyncio.run(run())
    assert len(sink.batches) == 1 and len(sink.batches[0]) == 6


def test_a_failing_frame_is_dropped_and_the_queue_goes_on() -> None:
    def broken() -> TrackSummaries:
        raise RuntimeError("bad frame")

    async def run() -> Collect:
        sink = Collect()
        fwd = OrderedForwarder(sink)
        fwd.ready("a", broken)
        fwd.ready("a", lambda: _summary("a", 2))
        cancelled: asyncio.Future = asyncio.get_running_loop().create_future()
        fwd.later("b", cancelled)
        fwd.forget("b")
        await asyncio.sleep(0.01)
        assert fwd.waiting("b") == 0
        return sink

    assert asyncio.run(run()).seqs("a") == [2]
