"""The detector's own intermediate feature maps, as extra outputs of its IR (joint re-id).

Why this works without float weights: an IR is a graph; a new ``ov.Model`` whose results
include an intermediate node keeps exactly the ops that node depends on (weights,
FakeQuantize nodes and all), and an extra output of a node the detector computes anyway
costs nothing measurable (`pictag bench joint`).

Where a layer ends: Ultralytics exports name ops after their torch module,
``__module.model.<k>.<sub>...``. Every YOLO11 backbone/neck layer ends in a ``Conv`` block
(conv + BN folded into ``.../aten::_convolution/Add``, then SiLU); C3k2/SPPF/C2PSA end in
``model.<k>.cv2``, plain Conv layers in ``model.<k>.conv``. The SiLU itself is named after
the single shared activation module (``...act/aten::silu_/Swish_N``), so it is found as the
consumer of the layer's last Add. In INT8 IRs a FakeQuantize follows the SiLU; the output
taken is the float SiLU output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import openvino as ov
import openvino.opset13 as ops

from pictag.detection.letterbox import Letterbox
from pictag.errors import ModelError

FloatArray = npt.NDArray[np.float32]

_LAYER_RE = re.compile(r"^__module\.model\.(\d+)\.")
#: Strides of YOLO11 layers (input pixels per feature cell).
LAYER_STRIDE = {
    0: 2,
    1: 4,
    2: 4,
    3: 8,
    4: 8,
    5: 16,
    6: 16,
    7: 32,
    8: 32,
    9: 32,
    10: 32,
    13: 16,
    16: 8,
    19: 16,
    22: 32,
}


def _ops_by_name(model: ov.Model) -> dict[str, ov.Node]:
    return {op.get_friendly_name(): op for op in model.get_ordered_ops()}


def _activation_after(node: ov.Node) -> ov.Node | None:
    """The Swish fed by ``node`` directly or through the bias Add that follows a Convolution."""
    for target in node.output(0).get_target_inputs():
        consumer = target.get_node()
        if consumer.get_type_name() == "Swish":
            return consumer
        if consumer.get_type_name() == "Add" and node.get_type_name() == "Convolution":
            found = _activation_after(consumer)
            if found is not None:
                return found
    return None


def layer_output(model: ov.Model, layer: int) -> ov.Output:
    """The activation output of YOLO layer ``layer`` (the SiLU after its last conv).

    The conv's BN-folded bias shows up as ``.../aten::_convolution/Add``; when the bias is zero
    (a freshly initialised model) OpenVINO drops the Add and the SiLU follows
    ``.../aten::_convolution/Convolution`` directly: both are handled.

    Raises:
        ModelError: the IR has no such layer (not an Ultralytics export, or a different model).
    """
    by_name = _ops_by_name(model)
    for sub in ("cv2", "conv"):
        for base in (f"__module.model.{layer}.{sub}.conv", f"__module.model.{layer}.{sub}"):
            for kind in ("Add", "Convolution"):
                node = by_name.get(f"{base}/aten::_convolution/{kind}")
                act = _activation_after(node) if node is not None else None
                if act is not None:
                    return act.output(0)
    known = sorted({int(m.group(1)) for n in by_name if (m := _LAYER_RE.match(n))})
    raise ModelError(
        f"model={model.get_friendly_name()} layer={layer} reason=layer_not_found "
        f"(layers in this IR: {known}); is it an Ultralytics YOLO export?"
    )


def add_feature_outputs(model: ov.Model, layers: tuple[int, ...], *, channels_last: bool = False) -> ov.Model:
    """The detector with extra outputs ``features_l<k>`` for each layer (joint mode).

    The detection output stays output 0, so decoding is unchanged; feature outputs follow in
    the order of ``layers``.

    Args:
        model: the detector IR; cloned, not changed.
        layers: YOLO layer indices (6 = P4 for YOLO11n).
        channels_last: give the maps as ``(1, H, W, C)`` (what `pictag.reid.roi_align.roi_align_hwc`
            reads without a copy) instead of the layer's ``(1, C, H, W)``.
    """
    clone = model.clone()
    results = [r.input_value(0) for r in clone.get_results()]
    extra: list[ov.Output] = []
    for k in layers:
        out = layer_output(clone, k)
        if channels_last:
            out = ops.transpose(out, ops.constant(np.array([0, 2, 3, 1], np.int64))).output(0)
        out.get_tensor().set_names({f"features_l{k}"} | set(out.get_names()))
        extra.append(out)
    return ov.Model(results + extra, clone.get_parameters(), clone.get_friendly_name() + "_features")


@dataclass(frozen=True)
class FeatureMaps:
    """Intermediate feature maps of one frame from the detector's own inference.

    Attributes:
        layers: the YOLO layers, in the order of ``maps``.
        maps: one ``(H, W, C) float32`` channels-last map per layer, at the network input's
            resolution divided by the layer's stride.
        letterbox: how the frame was fitted into the network input (frame → input pixels).
    """

    layers: tuple[int, ...]
    maps: tuple[FloatArray, ...]
    letterbox: Letterbox

    def __post_init__(self) -> None:
        if len(self.layers) != len(self.maps):
            raise ValueError(f"{len(self.layers)} layers but {len(self.maps)} maps")
        for layer, fmap in zip(self.layers, self.maps, strict=True):
            if fmap.ndim != 3:
                raise ValueError(f"feature map of layer {layer} must be H x W x C, got shape {fmap.shape}")

    def map_of(self, layer: int) -> FloatArray:
        """The map of one layer.

        Raises:
            KeyError: the detector was not built to output that layer.
        """
        try:
            return self.maps[self.layers.index(layer)]
        except ValueError:
            raise KeyError(f"no feature map of layer {layer} (have {self.layers})") from None
