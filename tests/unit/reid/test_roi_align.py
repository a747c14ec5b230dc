"""numpy RoIAlign (joint mode) against OpenVINO's own ROIAlign op: same numbers, clear errors."""

from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from pictag.reid.roi_align import roi_align, roi_align_hwc

STRIDE = 16
GRID = (16, 8)


def _openvino_roi_align(features: np.ndarray, boxes: np.ndarray, sampling_ratio: int = 2) -> np.ndarray:
    fmap = ops.parameter(list(features.shape), ov.Type.f32)
    rois = ops.parameter([-1, 4], ov.Type.f32)
    count = ops.gather(ops.shape_of(rois), ops.constant(np.array([0], np.int64)), ops.constant(np.array(0, np.int64)))
    batch = ops.broadcast(ops.constant(np.array(0, np.int32)), count)
    op = ops.roi_align(
        fmap, rois, batch, GRID[0], GRID[1], sampling_ratio, 1.0 / STRIDE, "avg", aligned_mode="half_pixel_for_nn"
    )
    compiled = ov.Core().compile_model(
        ov.Model([op.output(0)], [fmap, rois]), "CPU", {"INFERENCE_PRECISION_HINT": "f32"}
    )
    return compiled({0: features, 1: boxes})[0]


@pytest.fixture(scope="module")
def features() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((1, 32, 40, 40)).astype(np.float32)


def _boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    x0 = rng.uniform(-40, 640, n)
    y0 = rng.uniform(-40, 640, n)
    return np.stack([x0, y0, x0 + rng.uniform(1, 200, n), y0 + rng.uniform(1, 400, n)], 1).astype(np.float32)


@pytest.mark.parametrize("sampling_ratio", [1, 2, 3])
def test_same_numbers_as_the_openvino_op(features: np.ndarray, sampling_ratio: int) -> None:
    # boxes inside, across the edges, tiny, and wholly outside the map
    boxes = np.concatenate(
        [
            _boxes(np.random.default_rng(sampling_ratio), 60),
            [[-500, -500, -300, -200], [700, 10, 900, 300], [5, 5, 6, 6]],
        ]
    ).astype(np.float32)
    want = _openvino_roi_align(features, boxes, sampling_ratio)
    got = roi_align(features, boxes, GRID, 1.0 / STRIDE, sampling_ratio)
    assert got.shape == want.shape == (len(boxes), 32, *GRID)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    assert np.abs(got[-3]).max() == 0.0  # wholly outside: zeros, like the op
    assert np.abs(got[:-3]).max() > 0.1  # the rest carries the map


def test_channels_last_is_the_same_pooling(features: np.ndarray) -> None:
    boxes = _boxes(np.random.default_rng(7), 10)
    hwc = roi_align_hwc(np.ascontiguousarray(features[0].transpose(1, 2, 0)), boxes, GRID, 1.0 / STRIDE)
    np.testing.assert_allclose(hwc.transpose(0, 3, 1, 2), roi_align(features, boxes, GRID, 1.0 / STRIDE), atol=1e-6)


def test_no_boxes_gives_an_empty_batch(features: np.ndarray) -> None:
    assert roi_align(features, np.zeros((0, 4), np.float32), GRID, 1.0 / STRIDE).shape == (0, 32, *GRID)


@pytest.mark.parametrize(
    ("fmap_shape", "boxes", "ratio", "message"),
    [
        ((32, 40, 40), np.zeros((1, 4)), 2, "1 x C x H x W"),
        ((1, 32, 40, 40), np.zeros((2, 5)), 2, "n x 4"),
        ((1, 32, 40, 40), np.zeros((1, 4)), 0, "sampling_ratio"),
    ],
)
def test_bad_input_is_named(fmap_shape: tuple[int, ...], boxes: np.ndarray, ratio: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        roi_align(np.zeros(fmap_shape, np.float32), boxes, GRID, 1.0 / STRIDE, ratio)
