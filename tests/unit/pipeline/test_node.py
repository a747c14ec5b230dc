"""The node's tracking step: which tracks are due for an embedding, and how many tracks are live."""

from __future__ import annotations

import numpy as np

from pictag.config import ReidConfig, TrackingConfig
from pictag.detections import Detections
from pictag.pipeline.node import NodeTracker

SHAPE = (576, 768, 3)


def _people(n: int, shift: float = 0.0) -> Detections:
    boxes = np.array([[100 * i + 20 + shift, 100, 100 * i + 80 + shift, 300] for i in range(n)], np.float32)
    return Detections(boxes, np.full(n, 0.9, np.float32), np.zeros(n, np.int64))


def test_confirmed_tracks_warm_up_then_refresh_once_per_period() -> None:
    node = NodeTracker(TrackingConfig(min_hits=2), ReidConfig(threshold=0.5, refresh_s=1.0))
    due_counts = []
    for k in range(25):
        ts = 0.1 * k
        step = node.step("a", k, ts, _people(2, shift=k), SHAPE)
        due_counts.append(int(step.due.sum()))
        if step.due.any():
            ids = step.frame.tracks.track_id[step.due]
            emb = np.tile(np.eye(8, dtype=np.float32)[0], (len(ids), 1))
            node.add_embeddings("a", ids, emb, ts)
        node.release("a", step.frame.ended)
    assert step.live_tracks == 2
    # confirmed at the 2nd frame, 3 warm-up crops on consecutive frames, then one refresh a second
    assert due_counts[:5] == [0, 2, 2, 2, 0]
    assert sum(due_counts[5:]) == 2 * 2


def test_a_crop_sent_away_is_not_sent_again_while_its_answer_is_pending() -> None:
    node = NodeTracker(TrackingConfig(min_hits=1), ReidConfig(threshold=0.5, refresh_s=1.0))
    emb = np.eye(8, dtype=np.float32)[:1]
    for k in range(3):  # warm-up
        step = node.step("a", k, 0.1 * k, _people(1), SHAPE)
        node.add_embeddings("a", step.frame.tracks.track_id, emb, 0.1 * k)
    step = node.step("a", 20, 2.0, _people(1), SHAPE)
    assert step.due.all()
    node.mark_sent("a", step.frame.tracks.track_id, 2.0)
    assert not node.step("a", 21, 2.1, _people(1), SHAPE).due.any()


def test_reid_off_never_asks_for_embeddings() -> None:
    node = NodeTracker(TrackingConfig(min_hits=1), None)
    steps = [node.step("a", k, 0.1 * k, _people(3), SHAPE) for k in range(5)]
    assert all(not s.due.any() for s in steps) and steps[-1].live_tracks == 3
    node.forget("a")
    assert node.live_tracks("a") == 0
