"""Joint re-id in the live detector actor: the same embeddings as the evaluation path, no embedder actor.

Frames of vtest.avi go as `FrameRef`s into a real DetectorActor (joint mode) whose identity sink is a
collector actor; the first appearance of each new track is its first crop's embedding, which must
equal what `pictag eval`/`pictag calibrate` compute for that box (`JointEmbedder.embed` runs its own
detector on the frame).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray

from pictag.config import DetectorConfig, ReidConfig, TrackingConfig
from pictag.datasets.video import read_frames
from pictag.messages import FrameRef, Outcome, StageTimings, TrackSummaries
from pictag.reid.registry import build_embedder
from pictag.reid.threshold import resolve_reid
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(300)

FIRST, COUNT = 100, 12


@ray.remote(num_cpus=0)
class Collector:
    """Stands in for the identity stage: keeps every summary it gets."""

    def __init__(self) -> None:
        self.summaries: list[TrackSummaries] = []

    def process(self, batch: list[TrackSummaries]) -> None:
        self.summaries.extend(batch)

    def all(self) -> list[TrackSummaries]:
        return self.summaries


def test_live_joint_embeddings_equal_the_eval_path(ray_session, asset, assets_dir: Path) -> None:
    from pictag.actors.detector import DetectorActor

    frames = read_frames(asset("videos/vtest.avi"), range(FIRST, FIRST + COUNT))
    reid, _ = resolve_reid(ReidConfig(type="joint"), str(assets_dir))  # the default joint model, its own threshold
    collector = Collector.remote()
    detector: Any = DetectorActor.remote(
        DetectorConfig(), str(assets_dir), collector, tracking=TrackingConfig(), reid=reid
    )
    try:
        for k in range(COUNT):
            image = frames[FIRST + k]
            message = FrameRef("cam", k, ray.put(image), image.shape, StageTimings(captured_at=1000.0 + k / 7))
            outcome = ray.get(detector.process.remote(message), timeout=120)
            assert outcome.outcome == Outcome.DONE

        def all_arrived() -> list[TrackSummaries] | None:
            got: list[TrackSummaries] = ray.get(collector.all.remote())
            return got if len(got) == COUNT else None

        summaries = wait_for(all_arrived, 60, message="every frame's summary at the identity sink")
        stats = ray.get(detector.stats.remote())
    finally:
        ray.kill(detector, no_restart=True)
        ray.kill(collector, no_restart=True)

    assert [s.frame.seq for s in summaries] == list(range(COUNT))  # capture order
    assert stats["reid"] == "joint" and stats["cameras"]["cam"]["crops_embedded"] > 0
    assert summaries[-1].timings is not None and summaries[-1].timings.track_end is not None
    offline = build_embedder(reid, str(assets_dir), DetectorConfig())
    cosines = []
    for s in summaries:
        for tid, look in s.appearance.items():
            if look.crops != 1:  # the first crop: the track's mean is that crop's embedding
                continue
            box = s.frame.tracks.xyxy[s.frame.tracks.track_id == tid]
            expected = offline.embed(frames[FIRST + s.frame.seq], box)[0]
            cosines.append(float(np.dot(look.mean, expected)))
    assert len(cosines) >= 3, "tracks confirmed and embedded in 12 frames"
    assert min(cosines) >= 0.999, cosines
