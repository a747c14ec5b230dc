"""Crop quality mask and crop extraction (pure numpy/OpenCV)."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.config import ReidConfig
from pictag.reid.crops import (
    CropQuality,
    extract_crops,
    inside_fraction,
    occluded_fraction,
    touches_edge,
)

FRAME = (576, 768, 3)
QUALITY = CropQuality(min_height=60, min_confidence=0.5, max_overlap=0.3, edge_margin=2)


@pytest.mark.parametrize(
    ("box", "conf", "good"),
    [
        ([100, 100, 140, 200], 0.9, True),  # tall, confident, inside, alone
        ([100, 100, 140, 150], 0.9, False),  # 50 px: too small
        ([100, 100, 140, 200], 0.4, False),  # low detector score
        ([0, 100, 40, 200], 0.9, False),  # touches the left edge
        ([700, 480, 767, 576], 0.9, False),  # touches the bottom edge
        ([-20, 100, 40, 200], 0.9, False),  # unclipped box reaching outside
    ],
)
def test_single_box_quality(box: list[float], conf: float, good: bool) -> None:
    mask = QUALITY.mask(np.array([box], np.float32), np.array([conf], np.float32), FRAME)
    assert mask.dtype == np.bool_
    assert mask.tolist() == [good]


def test_overlap_rejects_both_occluding_boxes_but_not_a_bystander() -> None:
    boxes = np.array([[100, 100, 150, 220], [120, 110, 170, 230], [400, 100, 450, 220]], np.float32)
    mask = QUALITY.mask(boxes, np.full(3, 0.9, np.float32), FRAME)
    assert mask.tolist() == [False, False, True]
    frac = occluded_fraction(boxes)
    assert frac[2] == 0.0
    assert frac[0] == pytest.approx(30 * 110 / (50 * 120))


def test_geometry_helpers() -> None:
    boxes = np.array([[-50, 0, 50, 100], [10, 10, 20, 20]], np.float32)
    np.testing.assert_allclose(inside_fraction(boxes, 768, 576), [0.5, 1.0])
    assert touches_edge(boxes, 768, 576, 2).tolist() == [True, False]


def test_empty_input_gives_empty_mask_and_crops() -> None:
    empty = np.zeros((0, 4), np.float32)
    assert QUALITY.mask(empty, np.zeros(0, np.float32), FRAME).shape == (0,)
    assert extract_crops(np.zeros(FRAME, np.uint8), empty, (256, 128)).shape == (0, 256, 128, 3)


def test_mismatched_confidence_is_an_error() -> None:
    with pytest.raises(ValueError, match="confidence"):
        QUALITY.mask(np.zeros((2, 4), np.float32), np.zeros(3, np.float32), FRAME)


def test_from_config_uses_reid_section() -> None:
    q = CropQuality.from_config(
        ReidConfig(min_box_height=80, min_crop_confidence=0.3, max_crop_overlap=0.5, edge_margin_px=5)
    )
    assert (q.min_height, q.min_confidence, q.max_overlap, q.edge_margin) == (80, 0.3, 0.5, 5)


def test_extract_crops_resizes_the_box_content() -> None:
    frame = np.zeros(FRAME, np.uint8)
    frame[100:200, 300:350] = (10, 20, 30)  # a flat BGR patch exactly under the box
    boxes = np.array([[300, 100, 350, 200], [-10, -10, 5, 5]], np.float32)
    crops = extract_crops(frame, boxes, (256, 128))
    assert crops.shape == (2, 256, 128, 3)
    assert crops.dtype == np.uint8
    assert (crops[0] == (10, 20, 30)).all()
    assert (crops[1] == 0).all()  # clipped to the frame, no garbage from wrap-around
