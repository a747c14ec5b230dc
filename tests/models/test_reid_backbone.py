"""Backbone prefix cut and detector feature outputs on the shared INT8 YOLO11n IR (OpenVINO only)."""

from __future__ import annotations

import numpy as np
import openvino as ov
import pytest

from pictag.errors import ModelError
from pictag.models.backbone import add_feature_outputs, cut_prefix, layer_output
from tests.conftest import require_module

F32 = {"INFERENCE_PRECISION_HINT": "f32"}


@pytest.fixture(scope="module")
def detector(asset) -> ov.Model:
    return ov.Core().read_model(str(asset("yolo11n_int8_openvino_model") / "yolo11n.xml"))


@pytest.mark.parametrize(("layer", "shape"), [(4, (128, 80, 80)), (6, (128, 40, 40)), (8, (256, 20, 20))])
def test_prefix_equals_the_detectors_intermediate_output(
    detector: ov.Model, layer: int, shape: tuple[int, ...]
) -> None:
    core = ov.Core()
    x = np.random.default_rng(layer).random((1, 3, 640, 640), dtype=np.float32)
    full = core.compile_model(add_feature_outputs(detector, (layer,)), "CPU", F32)
    outs = full(x)
    assert outs[0].shape == (1, 84, 8400)  # detection output unchanged and first
    prefix = core.compile_model(cut_prefix(detector, layer, input_hw=None), "CPU", F32)
    feats = prefix(x)[0]
    assert feats.shape == (1, *shape)
    np.testing.assert_array_equal(feats, outs[1])
    assert feats.std() > 0.05  # a real activation, not a constant


def test_prefix_on_crops_is_small_and_keeps_the_original_model(detector: ov.Model) -> None:
    n_ops = len(detector.get_ordered_ops())
    prefix = cut_prefix(detector, 6, (256, 128))
    assert tuple(prefix.outputs[0].get_shape()) == (1, 128, 16, 8)
    assert len(prefix.get_ordered_ops()) < n_ops / 3
    assert len(detector.get_ordered_ops()) == n_ops


def test_non_yolo_model_is_refused_with_a_hint(asset) -> None:
    path = asset("intel/person-reidentification-retail-0287") / "FP16" / "person-reidentification-retail-0287.xml"
    with pytest.raises(ModelError, match="layer_not_found"):
        layer_output(ov.Core().read_model(str(path)), 6)


def test_attention_head_projects_after_pooling_with_the_same_result() -> None:
    """The value projection moved after the attention pooling (32x fewer operations) changes nothing."""
    require_module("torch", "pip install 'pictag[train]'")
    import torch

    from pictag.models.heads import AttentionHead

    torch.manual_seed(0)
    head = AttentionHead(32, (16, 8)).eval()
    x = torch.randn(3, 32, 16, 8)
    with torch.no_grad():
        weights = head.attention(x)
        values = head.value(x).flatten(2)  # project every position first: the old formula
        before = head.fc(torch.einsum("bkp,bcp->bkc", weights, values).flatten(1))
        after = head.aggregate(x)
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-5)
