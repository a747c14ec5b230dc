"""Greedy class-aware NMS: the cases that matter for crowded person boxes."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.detection.nms import nms


@pytest.mark.parametrize(
    ("boxes", "scores", "iou", "classes", "expected"),
    [
        # Two heavily overlapping boxes: the better one survives.
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.8, 0.9], 0.5, None, [1]),
        # Disjoint boxes all survive, best first.
        (
            [[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]],
            [0.3, 0.9, 0.5],
            0.5,
            None,
            [1, 2, 0],
        ),
        # IoU exactly at the threshold is kept (suppression needs IoU > threshold): 50/150 = 1/3.
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 1 / 3, None, [0, 1]),
        # Same overlap, different classes: both kept when class-aware...
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.9, 0.8], 0.5, [0, 1], [0, 1]),
        # ...and the same class still suppresses.
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.9, 0.8], 0.5, [3, 3], [0]),
        # Chain: A suppresses B, B would have suppressed C, but C does not overlap A enough -> A, C.
        ([[0, 0, 10, 10], [4, 0, 14, 10], [8, 0, 18, 10]], [0.9, 0.8, 0.7], 0.3, None, [0, 2]),
        # Zero-area boxes never suppress anything.
        ([[5, 5, 5, 5], [0, 0, 10, 10]], [0.9, 0.8], 0.1, None, [0, 1]),
        # Empty input.
        (np.zeros((0, 4)), np.zeros(0), 0.5, None, []),
    ],
)
def test_nms_cases(boxes, scores, iou, classes, expected) -> None:
    keep = nms(boxes, scores, iou, class_ids=classes)
    assert keep.dtype == np.int64
    assert keep.tolist() == expected


def test_max_detections_keeps_the_best() -> None:
    boxes = np.array([[i * 20, 0, i * 20 + 10, 10] for i in range(10)], np.float32)
    scores = np.linspace(0.1, 1.0, 10)
    assert nms(boxes, scores, 0.5, max_detections=3).tolist() == [9, 8, 7]


def test_class_offset_keeps_precision_for_large_coordinates() -> None:
    # 4K frame, class 79: the offset must not merge boxes that differ by one pixel in x.
    boxes = [[3800, 2000, 3801, 2100], [3801, 2000, 3802, 2100]]
    assert nms(boxes, [0.9, 0.8], 0.5, class_ids=[79, 79]).tolist() == [0, 1]


def test_matches_a_brute_force_reference() -> None:
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 200, size=(300, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 60, size=(300, 2))], axis=1)
    scores = rng.uniform(size=300)
    classes = rng.integers(0, 3, size=300)
    from pictag.geometry import box_iou

    iou = box_iou(boxes, boxes)
    order, suppressed, ref = np.argsort(-scores), np.zeros(300, bool), []
    for i in order:
        if not suppressed[i]:
            ref.append(i)
            suppressed |= (iou[i] > 0.45) & (classes == classes[i])
    assert nms(boxes, scores, 0.45, class_ids=classes).tolist() == ref


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        nms([[0, 0, 1, 1]], [0.5, 0.6], 0.5)
