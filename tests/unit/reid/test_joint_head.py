"""Joint-mode IR contract: the head after several ROIAlign ops, numpy RoIAlign + head = the IR."""

from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from pictag.errors import ModelError
from pictag.reid.joint_head import (
    JointHead,
    head_after_roi_aligns,
    joint_layers,
    joint_threshold,
)

#: Two levels as YOLO11n has them at 640: layer 4 (stride 8) and layer 6 (stride 16).
LEVELS = ((4, 8, 32, (16, 8)), (6, 16, 48, (8, 4)))  # layer, stride, channels, grid
SIZE = 128  # a small network input keeps the test fast


def _joint_ir(mode: str = "avg", extra_consumer: bool = False, layers_key: bool = True) -> ov.Model:
    """A joint IR like the shipped ones: maps + boxes → RoIAlign per map → pooled sums → linear → L2."""
    rng = np.random.default_rng(0)
    maps = [
        ops.parameter([1, c, SIZE // s, SIZE // s], ov.Type.f32, name=f"features_{i}")
        for i, (_, s, c, _) in enumerate(LEVELS)
    ]
    boxes = ops.parameter([-1, 4], ov.Type.f32, name="boxes")
    count = ops.gather(ops.shape_of(boxes), ops.constant(np.array([0], np.int64)), ops.constant(np.array(0, np.int64)))
    batch_idx = ops.broadcast(ops.constant(np.array(0, np.int32)), count)
    pooled = []
    for fmap, (_, stride, c, (h, w)) in zip(maps, LEVELS, strict=True):
        roi = ops.roi_align(fmap, boxes, batch_idx, h, w, 2, 1.0 / stride, mode, aligned_mode="half_pixel_for_nn")
        flat = ops.reshape(roi, ops.constant(np.array([0, c * h * w], np.int64)), special_zero=True)
        pooled.append(
            ops.matmul(flat, ops.constant(rng.standard_normal((c * h * w, 16)).astype(np.float32)), False, False)
        )
    if extra_consumer:
        pooled[0] = ops.add(pooled[0], ops.reduce_sum(maps[0], ops.constant(np.array([1, 2, 3], np.int64)), False))
    emb = ops.normalize_l2(ops.add(pooled[0], pooled[1]), ops.constant(np.array([1], np.int64)), 1e-12, "max")
    model = ov.Model([emb], [*maps, boxes], "joint")
    if layers_key:
        model.set_rt_info(",".join(str(layer) for layer, *_ in LEVELS), "pictag_layers")
    return model


def _inputs() -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(1)
    maps = [rng.standard_normal((1, c, SIZE // s, SIZE // s)).astype(np.float32) for _, s, c, _ in LEVELS]
    boxes = np.array([[10, 12, 40, 100], [60, 5, 120, 127], [-5, 30, 20, 140]], np.float32)
    return maps, boxes


def test_numpy_roi_align_and_cut_head_equal_the_whole_ir() -> None:
    model = _joint_ir()
    maps, boxes = _inputs()
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    want = compiled({**dict(enumerate(maps)), len(maps): boxes})[0]
    joint = JointHead(model)
    assert joint.layers == (4, 6) and joint.dim == 16
    assert [s.output_hw for s in joint.settings] == [(16, 8), (8, 4)]
    assert [s.spatial_scale for s in joint.settings] == [1 / 8, 1 / 16]
    got = joint([m[0].transpose(1, 2, 0) for m in maps], boxes)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert joint([m[0].transpose(1, 2, 0) for m in maps], boxes[:0]).shape == (0, 16)


def test_head_inputs_follow_the_feature_input_order() -> None:
    head, settings = head_after_roi_aligns(_joint_ir())
    shapes = [[d.get_length() for d in list(p.get_partial_shape())[1:]] for p in head.inputs]
    assert shapes == [[16, 8, 32], [8, 4, 48]]  # channels last, level 0 first
    assert [s.channels for s in settings] == [32, 48]


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (lambda: _joint_ir(mode="max"), "roi_mode"),
        (lambda: _joint_ir(extra_consumer=True), "not_joint"),
    ],
)
def test_an_ir_off_the_contract_is_refused(model, reason: str) -> None:
    with pytest.raises(ModelError, match=reason):
        head_after_roi_aligns(model())


def test_layers_and_threshold_from_rt_info() -> None:
    model = _joint_ir()
    assert joint_layers(model) == (4, 6)
    assert joint_threshold(model) is None
    model.set_rt_info("0.61", "pictag_threshold")
    model.set_rt_info("pictag calibrate on PETS09 + TUD", "pictag_threshold_source")
    assert joint_threshold(model) == (0.61, "pictag calibrate on PETS09 + TUD")
    with pytest.raises(ModelError, match="layers_mismatch"):
        joint_layers(_joint_ir(layers_key=False))  # default (6,) but two feature inputs
