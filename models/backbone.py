"""Cut a backbone prefix out of an Ultralytics YOLO OpenVINO IR, and expose feature maps of the detector.

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

import re

import openvino as ov

from pictag.errors import ModelError

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
    ops = _ops_by_name(model)
    for sub in ("cv2", "conv"):
        for base in (f"__module.model.{layer}.{sub}.conv", f"__module.model.{layer}.{sub}"):
            for kind in ("Add", "Convolution"):
                node = ops.get(f"{base}/aten::_convolution/{kind}")
                act = _activation_after(node) if node is not None else None
                if act is not None:
                    return act.output(0)
    known = sorted({int(m.group(1)) for n in ops if (m := _LAYER_RE.match(n))})
    raise ModelError(
        f"model={model.get_friendly_name()} layer={layer} reason=layer_not_found "
        f"(layers in this IR: {known}); is it an Ultralytics YOLO export?"
    )


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


def add_feature_outputs(model: ov.Model, layers: tuple[int, ...]) -> ov.Model:
    """The detector with extra outputs ``features_l<k>`` for each layer (joint mode).

    The detection output stays output 0, so the runtime's decoding is unchanged.
    """
    clone = model.clone()
    extra = [layer_output(clone, k) for k in layers]
    results = [r.input_value(0) for r in clone.get_results()]
    for k, out in zip(layers, extra, strict=True):
        out.get_tensor().set_names({f"features_l{k}"} | set(out.get_names()))
    return ov.Model(results + extra, clone.get_parameters(), clone.get_friendly_name() + "_features")


def count_ops(model: ov.Model) -> int:
    """Number of ops (a cost proxy shown next to measured latency)."""
    return len(model.get_ordered_ops())
