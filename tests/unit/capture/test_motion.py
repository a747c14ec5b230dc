"""Motion gating: a still empty room is not detected (but keyframes are), motion and live tracks are."""

from __future__ import annotations

import numpy as np

from pictag.capture.motion import MotionGate, MotionSettings


def _room(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (432, 768, 3), dtype=np.uint8)


def test_still_frames_are_idle_until_the_keyframe() -> None:
    gate = MotionGate(MotionSettings(keyframe_s=2.0))
    room = _room()
    noisy = np.clip(room.astype(np.int16) + np.random.default_rng(1).integers(-3, 4, room.shape), 0, 255).astype(
        np.uint8
    )
    assert gate.should_detect(room, 0.0, live_tracks=0)  # first frame: nothing to compare with
    sent = [gate.should_detect(noisy if k % 2 else room, 0.1 * k, live_tracks=0) for k in range(1, 30)]
    assert sent.count(True) == 1 and sent.index(True) == 19  # only the keyframe at 2.0 s


def test_a_person_walking_in_is_motion() -> None:
    gate = MotionGate()
    room = _room()
    assert gate.should_detect(room, 0.0, 0)
    entered = room.copy()
    entered[200:400, 300:360] = 40  # a dark 60x200 px figure
    assert gate.should_detect(entered, 0.1, 0)


def test_live_tracks_turn_gating_off() -> None:
    gate = MotionGate()
    room = _room()
    assert gate.should_detect(room, 0.0, 0)
    assert all(gate.should_detect(room, 0.1 * k, live_tracks=2) for k in range(1, 10))
    assert gate.should_detect(room, 1.1, 0)  # first idle frame after tracks: a fresh reference
    assert not gate.should_detect(room, 1.2, 0)
