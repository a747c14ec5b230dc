"""Anonymisation: measured on real vtest.avi frames against the PETS09-S2L1 ground truth."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from pictag.datasets.mot import MotTable, load_sequence
from pictag.datasets.video import read_frames
from pictag.privacy import MODES, anonymize, head_regions
from pictag.privacy.masking import QUANT_STEP, block_sizes, coverage_mask

Frame = npt.NDArray[np.uint8]
HIDING_MODES = ("head", "body", "silhouette")
SAMPLED_FRAMES = list(range(0, 795, 40))  # 20 frames spread over the whole sequence

# A head, by a definition independent of the code under test: the top 18 % of a
# ground-truth box, its middle 60 % in width (PETS09 boxes are tight around people).
GT_HEAD_TOP, GT_HEAD_SIDE = 0.18, 0.2
# "Differs strongly": mean absolute grey-level change per head, and how much of the
# original's fine detail (3x3 high-pass) survives, as a correlation. Measured on these
# 20 frames (111 heads): head/body MAD min 13.5, median 42; correlation median 0.02,
# max 0.49 (a 12x12 px head whose outline falls on a block edge); silhouette MAD min 23.6.
# A single head can legitimately change little (blonde hair pixelated to a beige block),
# so the bound per head is lower than the bound on the median.
MIN_HEAD_MAD = 10.0
MIN_MEDIAN_HEAD_MAD = 25.0
MAX_DETAIL_CORRELATION = 0.6
MAX_MEDIAN_DETAIL_CORRELATION = 0.15


@pytest.fixture(scope="module")
def pets(asset) -> tuple[dict[int, Frame], MotTable]:
    video: Path = asset("videos/vtest.avi")
    truth = load_sequence(asset("mot/PETS09-S2L1"))
    return read_frames(video, SAMPLED_FRAMES), truth


def gt_heads(xyxy: npt.NDArray[np.float32], width: int, height: int) -> npt.NDArray[np.int64]:
    w = xyxy[:, 2] - xyxy[:, 0]
    h = xyxy[:, 3] - xyxy[:, 1]
    heads = np.stack(
        [xyxy[:, 0] + GT_HEAD_SIDE * w, xyxy[:, 1], xyxy[:, 2] - GT_HEAD_SIDE * w, xyxy[:, 1] + GT_HEAD_TOP * h], axis=1
    )
    out = np.round(heads).astype(np.int64)
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, width)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, height)
    return out[(out[:, 2] - out[:, 0] >= 3) & (out[:, 3] - out[:, 1] >= 3)]


def detail_correlation(a: Frame, b: Frame) -> float:
    """Correlation of the 3x3 high-pass of two patches (0 when either has no detail left)."""
    ha, hb = (cv2.cvtColor(p, cv2.COLOR_BGR2GRAY).astype(np.float32) for p in (a, b))
    ha, hb = (ha - cv2.blur(ha, (3, 3))).ravel(), (hb - cv2.blur(hb, (3, 3))).ravel()
    if ha.std() < 1e-6 or hb.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(ha, hb)[0, 1])


def head_differences(
    frames: dict[int, Frame], truth: MotTable, mode: str, jitter: bool = False
) -> tuple[list[float], list[float]]:
    mads: list[float] = []
    correlations: list[float] = []
    for k, frame in frames.items():
        gt = truth.at_video_frame(k).xyxy
        boxes = gt.copy()
        if jitter:  # what a detector does: crown cut off, box off-centre
            w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
            boxes[:, 1] += 0.08 * h
            sign = np.where(np.arange(len(boxes)) % 2 == 0, 1, -1)
            boxes[:, [0, 2]] += (0.1 * w * sign)[:, None]
        out = anonymize(frame, boxes, mode)  # type: ignore[arg-type]
        for x1, y1, x2, y2 in gt_heads(gt, frame.shape[1], frame.shape[0]).tolist():
            a, b = frame[y1:y2, x1:x2], out[y1:y2, x1:x2]
            mads.append(float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()))
            correlations.append(detail_correlation(a, b))
    return mads, correlations


@pytest.mark.parametrize("mode", HIDING_MODES)
def test_every_ground_truth_head_differs_strongly(pets, mode: str) -> None:
    frames, truth = pets
    mads, correlations = head_differences(frames, truth, mode)
    assert len(mads) >= 80, "expected the sampled frames to hold many people"
    worst = int(np.argmin(mads))
    assert min(mads) >= MIN_HEAD_MAD, f"{mode}: head {worst} changed by {mads[worst]:.1f} only"
    assert float(np.median(mads)) >= MIN_MEDIAN_HEAD_MAD
    assert max(correlations) <= MAX_DETAIL_CORRELATION, f"{mode}: detail survives {correlations}"
    assert float(np.median(correlations)) <= MAX_MEDIAN_DETAIL_CORRELATION


@pytest.mark.parametrize("mode", HIDING_MODES)
def test_heads_stay_hidden_with_detector_like_box_errors(pets, mode: str) -> None:
    frames, truth = pets
    mads, _ = head_differences(frames, truth, mode, jitter=True)
    assert min(mads) >= MIN_HEAD_MAD * 0.8


def test_off_is_an_identical_copy_and_input_is_never_written(pets) -> None:
    frames, truth = pets
    frame = frames[SAMPLED_FRAMES[5]].copy()
    frame.setflags(write=False)  # like a zero-copy view from Ray's object store
    before = frame.copy()
    boxes = truth.at_video_frame(SAMPLED_FRAMES[5]).xyxy
    for mode in MODES:
        out = anonymize(frame, boxes, mode)  # type: ignore[arg-type]
        assert out is not frame and out.flags.writeable and not np.shares_memory(out, frame)
        assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(anonymize(frame, boxes, "off"), frame)
    assert np.array_equal(frame, before)


@pytest.mark.parametrize("mode", HIDING_MODES)
def test_pixels_away_from_people_are_untouched(pets, mode: str) -> None:
    frames, truth = pets
    k = SAMPLED_FRAMES[3]
    frame = frames[k]
    boxes = truth.at_video_frame(k).xyxy
    out = anonymize(frame, boxes, mode)  # type: ignore[arg-type]
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    grown = boxes + np.stack([-0.2 * w, -0.1 * h, 0.2 * w, 0.1 * h], axis=1)
    near = coverage_mask(np.round(grown).astype(np.int64).clip(0, None), *frame.shape[:2])
    changed = np.any(out != frame, axis=-1)
    assert changed.any()
    assert not (changed & ~near).any(), "anonymisation touched pixels far from every person"


def test_pixelated_blocks_are_flat_and_quantised() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    box = np.array([[96.0, 32.0, 160.0, 224.0]], np.float32)
    out = anonymize(frame, box, "head")
    x1, y1, x2, y2 = head_regions(box, 320, 240)[0].tolist()
    block = int(block_sizes(head_regions(box, 320, 240), 3)[0])
    # Whole grid blocks inside the head region: one colour each, on the 16-level grid.
    gx1, gy1 = -(-x1 // block) * block, -(-y1 // block) * block
    gx2, gy2 = x2 // block * block, y2 // block * block
    inner = out[gy1:gy2, gx1:gx2].astype(np.int16)
    assert inner.size > 0
    cells = inner.reshape((gy2 - gy1) // block, block, (gx2 - gx1) // block, block, 3)
    assert (cells == cells[:, :1, :, :1]).all()
    assert ((inner % QUANT_STEP) == QUANT_STEP // 2).all()
    # Random noise has ~74 grey levels of std; a block mean has almost none.
    assert inner.std() < 10


def test_squat_box_gets_a_taller_head_region() -> None:
    standing = head_regions(np.array([[0, 0, 40, 100]], np.float32), 1000, 1000)[0]
    cut_off = head_regions(np.array([[0, 0, 80, 80]], np.float32), 1000, 1000)[0]
    assert standing[3] - standing[1] == 25  # a quarter of the height
    assert cut_off[3] - cut_off[1] == 40  # half the width: head and shoulders


@pytest.mark.parametrize(
    "boxes",
    [
        np.zeros((0, 4), np.float32),
        np.array([[-50, -50, -10, -10]], np.float32),  # outside
        np.array([[900, 700, 1000, 800]], np.float32),  # outside
        np.array([[30, 30, 30, 60]], np.float32),  # zero width
        np.array([[60, 60, 40, 40]], np.float32),  # inverted
    ],
)
def test_boxes_without_visible_area_change_nothing(boxes: npt.NDArray[np.float32]) -> None:
    frame = np.full((120, 160, 3), 77, np.uint8)
    frame[::2] = 200
    for mode in HIDING_MODES:
        assert np.array_equal(anonymize(frame, boxes, mode), frame)  # type: ignore[arg-type]


def test_box_partly_outside_the_frame_is_hidden_to_the_edge() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[::2, ::2] = 255
    out = anonymize(frame, np.array([[-20, -20, 40, 150]], np.float32), "silhouette")
    assert (out[0:100, 0:40] == 128).all()


@pytest.mark.parametrize(
    ("frame", "boxes", "mode", "match"),
    [
        (np.zeros((10, 10, 3), np.float32), np.zeros((0, 4)), "head", "uint8"),
        (np.zeros((10,), np.uint8), np.zeros((0, 4)), "head", "uint8"),
        (np.zeros((10, 10, 3), np.uint8), np.zeros((0, 4)), "blur", "unknown_mode"),
        (np.zeros((10, 10, 3), np.uint8), np.array([[0, 0, np.nan, 5]]), "head", "NaN"),
        (np.zeros((10, 10, 3), np.uint8), np.array([[0, 0, np.inf, 5]]), "off", "NaN"),
    ],
)
def test_bad_input_is_refused(frame: Frame, boxes: npt.ArrayLike, mode: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        anonymize(frame, boxes, mode)  # type: ignore[arg-type]


def test_greyscale_frames_work() -> None:
    frame = (np.arange(100 * 100) % 251).astype(np.uint8).reshape(100, 100)
    box = np.array([[20, 10, 60, 95]], np.float32)
    for mode in HIDING_MODES:
        out = anonymize(frame, box, mode)  # type: ignore[arg-type]
        assert out.shape == frame.shape and not np.array_equal(out, frame)


def test_coverage_mask_matches_painting_each_rectangle() -> None:
    rng = np.random.default_rng(7)
    corners = rng.integers(0, 60, (30, 2, 2))
    rects = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)[:, [0, 1, 2, 3]]
    expected = np.zeros((50, 60), bool)
    for x1, y1, x2, y2 in rects.tolist():
        expected[y1:y2, x1:x2] = True
    clipped = rects.astype(np.int64).clip(0, [60, 50, 60, 50])
    assert np.array_equal(coverage_mask(clipped, 50, 60), expected)
