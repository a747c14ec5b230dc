"""Decoding a raw v8/v11 output tensor: thresholds, single-label classes, NMS, frame mapping."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.detection.decode import decode_yolo
from pictag.detection.letterbox import fit

NC = 3  # person, car, dog


def _raw(columns: list[tuple[float, float, float, float, list[float]]], n: int = 50) -> np.ndarray:
    """A ``1 x (4+NC) x n`` output whose first columns are the given (cx, cy, w, h, scores)."""
    raw = np.zeros((1, 4 + NC, n), np.float32)
    raw[0, :4] = 1.0  # background anchors: 1 px boxes with zero scores
    for j, (cx, cy, w, h, scores) in enumerate(columns):
        raw[0, :4, j] = (cx, cy, w, h)
        raw[0, 4:, j] = scores
    return raw


SQUARE = fit(640, 640, 640)  # identity letterbox


def test_boxes_are_converted_to_xyxy_and_sorted_by_score() -> None:
    raw = _raw([(100, 100, 20, 40, [0.6, 0, 0]), (300, 200, 50, 50, [0.9, 0, 0])])
    det = decode_yolo(raw, SQUARE, confidence=0.25, iou=0.5, max_detections=10)
    np.testing.assert_allclose(det.xyxy, [[275, 175, 325, 225], [90, 80, 110, 120]])
    np.testing.assert_allclose(det.confidence, [0.9, 0.6], rtol=1e-6)
    assert det.class_id.tolist() == [0, 0]


def test_confidence_threshold_and_nms() -> None:
    raw = _raw(
        [
            (100, 100, 40, 80, [0.9, 0, 0]),
            (102, 101, 40, 80, [0.8, 0, 0]),  # duplicate of the first: suppressed
            (400, 100, 40, 80, [0.2, 0, 0]),  # below the threshold
        ]
    )
    det = decode_yolo(raw, SQUARE, confidence=0.25, iou=0.5, max_detections=10)
    assert len(det) == 1 and det.confidence[0] == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        (None, [(1, 0.7), (0, 0.5)]),  # all classes, each column its best class
        (
            np.array([0]),
            [(0, 0.5)],
        ),  # person only: the "car" column is not turned into a weak person
        (np.array([1]), [(1, 0.7)]),
        (np.array([2]), []),
        (np.array([0, 1]), [(1, 0.7), (0, 0.5)]),
    ],
)
def test_single_label_class_filter(classes, expected) -> None:
    raw = _raw([(100, 100, 40, 80, [0.5, 0.1, 0.0]), (400, 300, 40, 80, [0.45, 0.7, 0.0])])
    det = decode_yolo(raw, SQUARE, confidence=0.25, iou=0.5, max_detections=10, classes=classes)
    got = [(int(c), round(float(s), 3)) for c, s in zip(det.class_id, det.confidence, strict=True)]
    assert got == expected


def test_nms_is_class_aware() -> None:
    raw = _raw([(100, 100, 40, 80, [0.9, 0.0, 0.0]), (101, 100, 40, 80, [0.0, 0.8, 0.0])])
    det = decode_yolo(raw, SQUARE, confidence=0.25, iou=0.5, max_detections=10)
    assert sorted(det.class_id.tolist()) == [0, 1]


def test_max_detections() -> None:
    raw = _raw([(50 + 60 * i, 100, 40, 80, [0.3 + 0.05 * i, 0, 0]) for i in range(8)])
    det = decode_yolo(raw, SQUARE, confidence=0.25, iou=0.5, max_detections=3)
    assert len(det) == 3
    assert det.confidence[0] == pytest.approx(0.65)


def test_boxes_map_back_to_frame_and_are_clipped() -> None:
    box = fit(1280, 720, 640)  # scale 0.5, pad_top 140
    raw = _raw(
        [
            (320, 320, 100, 200, [0.9, 0, 0]),  # centre of the input
            (20, 150, 60, 40, [0.8, 0, 0]),  # crosses the left and top edges of the frame
            (320, 60, 40, 40, [0.95, 0, 0]),  # entirely in the top padding: dropped
        ]
    )
    det = decode_yolo(raw, box, confidence=0.25, iou=0.5, max_detections=10)
    np.testing.assert_allclose(det.xyxy, [[540, 160, 740, 560], [0, 0, 100, 60]], atol=1e-4)
    assert det.xyxy.dtype == np.float32 and det.class_id.dtype == np.int64


def test_nothing_above_threshold_is_empty() -> None:
    det = decode_yolo(_raw([]), SQUARE, confidence=0.1, iou=0.5, max_detections=10)
    assert len(det) == 0 and det.xyxy.shape == (0, 4)


def test_accepts_the_output_without_batch_dimension() -> None:
    raw = _raw([(100, 100, 20, 40, [0.6, 0, 0])])
    a = decode_yolo(raw, SQUARE, confidence=0.25, iou=0.5, max_detections=10)
    b = decode_yolo(raw[0], SQUARE, confidence=0.25, iou=0.5, max_detections=10)
    np.testing.assert_array_equal(a.xyxy, b.xyxy)
