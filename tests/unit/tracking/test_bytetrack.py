"""ByteTracker behaviour on synthetic scenes: motion, crossings, occlusions, life cycle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pytest

from pictag.config import TrackingConfig
from pictag.detections import Detections
from pictag.tracking import ByteTracker, TrackingResult

FPS = 10.0


def _dets(boxes: Sequence[Sequence[float]], scores: Sequence[float] | None = None) -> Detections:
    if not boxes:
        return Detections.empty()
    conf = [0.9] * len(boxes) if scores is None else list(scores)
    return Detections(
        xyxy=np.array(boxes, np.float32),
        confidence=np.array(conf, np.float32),
        class_id=np.zeros(len(boxes), np.int64),
    )


def _person(x: float, y: float = 100.0, w: float = 40.0, h: float = 100.0) -> list[float]:
    return [x, y, x + w, y + h]


def _run(tracker: ByteTracker, frames: Iterable[Detections], fps: float = FPS, start: int = 0) -> list[TrackingResult]:
    return [tracker.update(d, (start + k) / fps) for k, d in enumerate(frames)]


def _id_near(result: TrackingResult, x: float) -> int:
    """Track id of the output box whose left edge is nearest to ``x``."""
    assert len(result.tracks), "no confirmed track in this frame"
    i = int(np.argmin(np.abs(result.tracks.xyxy[:, 0] - x)))
    return int(result.tracks.track_id[i])


def test_constant_velocity_keeps_one_id_and_confirms_after_min_hits() -> None:
    tracker = ByteTracker(TrackingConfig(min_hits=3))
    results = _run(tracker, [_dets([_person(50 + 8 * k)]) for k in range(40)])
    assert [len(r.tracks) for r in results[:3]] == [0, 0, 1]
    assert results[2].started == (1,)
    assert all(r.tracks.track_id.tolist() == [1] for r in results[2:])
    assert not any(r.started for r in results[3:])
    # The output box is the detection matched in that frame.
    np.testing.assert_allclose(results[-1].tracks.xyxy[0], _person(50 + 8 * 39))


def test_crossing_paths_keep_their_ids() -> None:
    """Two people walk towards each other on one line; during the crossing the one behind
    is partly hidden (lower score) and the boxes overlap heavily."""
    tracker = ByteTracker(TrackingConfig())
    frames = []
    for k in range(40):
        a, b = 40 + 10 * k, 440 - 10 * k
        crossing = abs(a - b) < 60
        frames.append(_dets([_person(a), _person(b, y=104)], [0.9, 0.3 if crossing else 0.85]))
    results = _run(tracker, frames)
    first = results[5]
    left, right = _id_near(first, 90), _id_near(first, 390)
    assert left != right
    last = results[-1]
    assert _id_near(last, 40 + 10 * 39) == left
    assert _id_near(last, 440 - 10 * 39) == right
    assert max(max(r.tracks.track_id, default=0) for r in results) == 2


@pytest.mark.parametrize("gap_frames", [1, 5, 15, 25])
def test_occlusion_gap_of_k_frames_keeps_the_id(gap_frames: int) -> None:
    """A person walks behind a pillar for ``gap_frames`` frames (< lost_timeout_s) and
    reappears where constant velocity puts them."""
    tracker = ByteTracker(TrackingConfig(lost_timeout_s=3.0))
    before = [_dets([_person(20 + 6 * k)]) for k in range(15)]
    gap = [_dets([]) for _ in range(gap_frames)]
    after = [_dets([_person(20 + 6 * k)]) for k in range(15 + gap_frames, 30 + gap_frames)]
    results = _run(tracker, before + gap + after)
    assert results[14].tracks.track_id.tolist() == [1]
    for r in results[15 : 15 + gap_frames]:
        assert len(r.tracks) == 0
        assert r.lost == (1,)
        assert r.ended == ()
    for r in results[15 + gap_frames :]:
        assert r.tracks.track_id.tolist() == [1]
        assert r.lost == ()
    assert not any(r.started for r in results[3:])


def test_gap_longer_than_timeout_ends_the_track_once_and_starts_a_new_id() -> None:
    tracker = ByteTracker(TrackingConfig(lost_timeout_s=1.0, min_hits=2))
    results = _run(tracker, [_dets([_person(100)]) for _ in range(5)])
    assert results[1].started == (1,)
    # Frames are skipped: the next call comes 0.5 s later, then 1.2 s after the last match.
    r = tracker.update(_dets([]), results and 4 / FPS + 0.5)
    assert r.lost == (1,) and r.ended == ()
    r = tracker.update(_dets([]), 4 / FPS + 1.2)
    assert r.ended == (1,) and r.lost == ()
    r = tracker.update(_dets([]), 4 / FPS + 1.3)
    assert r.ended == ()
    later = _run(tracker, [_dets([_person(100)]) for _ in range(3)], start=20)
    assert later[1].started == (2,)
    assert later[-1].tracks.track_id.tolist() == [2]


@pytest.mark.parametrize("min_hits", [1, 2, 3, 5])
def test_confirmation_needs_min_hits_consecutive_matches(min_hits: int) -> None:
    tracker = ByteTracker(TrackingConfig(min_hits=min_hits))
    results = _run(tracker, [_dets([_person(60 + 5 * k)]) for k in range(8)])
    confirmed_at = next(i for i, r in enumerate(results) if r.started)
    assert confirmed_at == min_hits - 1
    assert results[confirmed_at].started == (1,)


def test_flicker_never_becomes_a_track() -> None:
    """A false positive that appears every other frame never reaches min_hits."""
    tracker = ByteTracker(TrackingConfig(min_hits=2))
    frames = [_dets([_person(300)] if k % 2 == 0 else []) for k in range(20)]
    results = _run(tracker, frames)
    assert all(len(r.tracks) == 0 and not r.started for r in results)


def test_low_score_detections_extend_but_never_start_tracks() -> None:
    cfg = TrackingConfig(high_threshold=0.5, low_threshold=0.1, new_track_threshold=0.6)
    tracker = ByteTracker(cfg)
    start = _run(tracker, [_dets([_person(50 + 5 * k)]) for k in range(5)])
    assert start[-1].tracks.track_id.tolist() == [1]
    # The person gets partly hidden: score 0.2 only. BYTE's second stage keeps the track.
    weak = _run(tracker, [_dets([_person(50 + 5 * k)], [0.2]) for k in range(5, 12)], start=5)
    assert all(r.tracks.track_id.tolist() == [1] for r in weak)
    assert all(r.lost == () for r in weak)
    # A low-score box elsewhere does not start a track.
    other = ByteTracker(cfg)
    assert all(len(r.tracks) == 0 for r in _run(other, [_dets([_person(400)], [0.4]) for _ in range(10)]))


def test_skipped_frames_use_real_time() -> None:
    """After 10 frames at 10 fps, only every sixth frame arrives (a busy pipeline). The
    walker moves 48 px between deliveries, more than the box width: only a prediction
    over the real 0.6 s (not "one frame") still overlaps the new detection."""
    tracker = ByteTracker(TrackingConfig())
    for k in range(10):
        tracker.update(_dets([_person(20 + 8 * k)]), k / FPS)
    results = [tracker.update(_dets([_person(20 + 8 * k)]), k / FPS) for k in range(15, 75, 6)]
    assert all(r.tracks.track_id.tolist() == [1] for r in results)
    assert not any(r.started for r in results)


def test_ids_are_per_instance_and_reset_restarts_them() -> None:
    frames = [_dets([_person(50), _person(300)]) for _ in range(4)]
    a, b = ByteTracker(TrackingConfig()), ByteTracker(TrackingConfig())
    ra, rb = _run(a, frames), _run(b, frames)
    assert sorted(ra[-1].tracks.track_id.tolist()) == [1, 2]
    assert sorted(rb[-1].tracks.track_id.tolist()) == [1, 2]
    a.reset()
    assert a.track_count == 0
    ra = _run(a, [_dets([_person(500)]) for _ in range(4)])
    assert ra[-1].tracks.track_id.tolist() == [1]


def test_output_keeps_detection_fields_and_embeddings() -> None:
    tracker = ByteTracker(TrackingConfig(min_hits=1))
    emb = np.eye(2, 8, dtype=np.float32)
    det = Detections(
        xyxy=np.array([_person(50), _person(300)], np.float32),
        confidence=np.array([0.9, 0.8], np.float32),
        class_id=np.array([0, 0]),
        embedding=emb,
    )
    r = tracker.update(det, 0.0)
    assert r.tracks.track_id.tolist() == [1, 2]
    np.testing.assert_allclose(r.tracks.confidence, [0.9, 0.8])
    assert r.tracks.embedding is not None
    np.testing.assert_allclose(r.tracks.embedding, emb)


def test_empty_frames_and_degenerate_boxes_are_harmless() -> None:
    tracker = ByteTracker(TrackingConfig(min_hits=1))
    assert len(tracker.update(Detections.empty(), 0.0).tracks) == 0
    r = tracker.update(_dets([[10, 10, 10, 50], [5, 5, 45, 105]]), 0.1)
    assert len(r.tracks) == 1
    np.testing.assert_allclose(r.tracks.xyxy[0], [5, 5, 45, 105])
    # Time going backwards is treated as no time passing, not an error.
    r = tracker.update(_dets([[5, 5, 45, 105]]), 0.05)
    assert r.tracks.track_id.tolist() == [1]


@pytest.mark.parametrize(("growth", "ids"), [(0.0, {1, 2}), (0.3, {1})])
def test_lost_search_box_grows_with_time_lost(growth: float, ids: set[int]) -> None:
    """A walker (50 px/s) slows to half speed behind an occluder for 1 s: constant velocity
    overshoots by 25 px. A lost track whose search box grows with time still finds them;
    without growth the reappearance starts a new id."""
    tracker = ByteTracker(TrackingConfig(lost_box_growth=growth))
    x, seen = 50.0, set()
    for k in range(50):
        x += 5.0 if k < 20 else 2.5
        hidden = 20 <= k < 30
        r = tracker.update(_dets([] if hidden else [_person(x)]), k / FPS)
        seen |= set(r.tracks.track_id.tolist())
    assert seen == ids
