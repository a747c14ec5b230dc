"""Cut a backbone prefix out of an Ultralytics YOLO OpenVINO IR (crop-mode re-id models).

Why this works without float weights: an IR is a graph; a new ``ov.Model`` whose result is
an intermediate node and whose parameter is the original input keeps exactly the ops that
node depends on (weights, FakeQuantize nodes and all). YOLO11 layers 0-10 each take only
the previous layer's output, so "layers 0..k" is a plain sequential prefix.

Where a layer ends: Ultralytics exports name ops after their torch module,
``__module.model.<k>.<sub>...``. Every YOLO11 backbone/neck layer ends in a ``Conv`` block
(conv + BN folded into ``.../aten::_convolution/Add``, then SiLU); C3k2/SPPF/C2PSA end in
``model.<k>.cv2``, plain Conv layers in ``model.<k>.conv``. The SiLU itself is named after
the single shared activation module (``...act/aten::silu_/Swish_N``), so it is found as the
consumer of the layer's last Add. In INT8 IRs a FakeQuantize follows the SiLU; the cut takes
the float SiLU output.
"""

from __future__ import annotations

import openvino as ov

# The runtime needs these too (joint re-id): they live in the domain package.
from pictag.detection.feature_maps import LAYER_STRIDE, add_feature_outputs, layer_output

__all__ = ["LAYER_STRIDE", "add_feature_outputs", "count_ops", "cut_prefix", "layer_output"]


def cut_prefix(model: ov.Model, layer: int, input_hw: tuple[int, int] | None = (256, 128)) -> ov.Model:
    """A new model: the detector's input → the output of ``layer`` (layers 0..layer).

    Args:
        model: the detector IR (read with ``ov.Core().read_model``); it is cloned, not changed.
        layer: last YOLO layer kept (6 = P4 C3k2, 1/16 resolution, 128 channels for YOLO11n).
        input_hw: reshape the input to ``1 x 3 x H x W`` (crop size); None keeps the IR's shape.
    """
    clone = model.clone()
    out = layer_output(clone, layer)
    prefix = ov.Model([out], clone.get_parameters(), f"yolo_prefix_{layer}")
    if input_hw is not None:
        prefix.reshape({prefix.inputs[0]: ov.PartialShape([1, 3, *input_hw])})
    prefix.outputs[0].get_tensor().set_names({f"features_l{layer}"})
    return prefix


def count_ops(model: ov.Model) -> int:
    """Number of ops (a cost proxy shown next to measured latency)."""
    return len(model.get_ordered_ops())
