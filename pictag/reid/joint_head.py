"""The runtime side of a joint-mode re-id IR: its contract, its head, and numpy RoIAlign + head.

A joint-mode IR (``pictag/reid/weights/reid-*-joint.xml``) takes the detector's own
feature maps and the person boxes, and gives embeddings:

- inputs: one feature-map parameter per detector layer it uses (``1 x C x H x W``, the
  layer's output at the detector's input size), then ``boxes`` (``n x 4``, x1 y1 x2 y2 in
  letterboxed network-input pixels);
- output ``embedding`` (``n x D``, L2-normalised);
- every feature input goes through exactly one OpenVINO ``ROIAlign`` (mode ``avg``,
  aligned_mode ``half_pixel_for_nn``); everything after the ROIAlign ops is "the head";
- rt_info: ``pictag_layers`` (comma-separated YOLO layers, in feature-input order; older IRs:
  ``pictag_layer``), ``pictag_threshold`` (its calibrated cosine match threshold) and
  ``pictag_threshold_source`` (how that threshold was measured).

OpenVINO's CPU ``ROIAlign`` costs more than the whole joint-mode budget (~1.4 ms for 10 boxes);
`pictag.reid.roi_align` does the same maths in numpy in a fraction of that, and a head cut out
of the IR (`head_after_roi_aligns`) compiled for a few static batch sizes (`BucketedHead`) does
the rest. `JointHead` bundles the two: channels-last maps + boxes → embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import openvino as ov
import openvino.opset13 as ops

from pictag.errors import ModelError
from pictag.reid.roi_align import roi_align_hwc

FloatArray = npt.NDArray[np.float32]

#: rt_info key: one detector layer (IRs with a single feature input, older exports).
LAYER_KEY = "pictag_layer"
#: rt_info key: comma-separated detector layers, in feature-input order.
LAYERS_KEY = "pictag_layers"
#: rt_info key: the calibrated cosine match threshold of the model.
THRESHOLD_KEY = "pictag_threshold"
#: rt_info key: a short text naming the calibration command and data of the threshold.
THRESHOLD_SOURCE_KEY = "pictag_threshold_source"
#: Layer assumed when a joint-mode IR names none (YOLO11n P4, the first shipped joint model).
DEFAULT_LAYER = 6
#: The only RoIAlign flavour `pictag.reid.roi_align` implements.
SUPPORTED_ROI = ("avg", "half_pixel_for_nn")


@dataclass(frozen=True)
class RoiSettings:
    """One ``ROIAlign`` op of a joint IR: what `pictag.reid.roi_align.roi_align_hwc` needs.

    Attributes:
        output_hw: the pooled grid ``(h, w)``.
        spatial_scale: map cells per input pixel (1 / the layer's stride).
        sampling_ratio: samples per bin and axis.
        mode: ``avg`` or ``max``.
        aligned_mode: the op's coordinate convention.
        channels: channels of the pooled map.
    """

    output_hw: tuple[int, int]
    spatial_scale: float
    sampling_ratio: int
    mode: str
    aligned_mode: str
    channels: int


def _rt_text(model: ov.Model, key: str) -> str | None:
    if not model.has_rt_info(key):
        return None
    return str(model.get_rt_info(key).astype(str))


def joint_layers(model: ov.Model) -> tuple[int, ...]:
    """The detector layers a joint IR pools from, in feature-input order.

    Raises:
        ModelError: the rt_info names a different number of layers than the IR has feature inputs.
    """
    text = _rt_text(model, LAYERS_KEY) or _rt_text(model, LAYER_KEY)
    layers = tuple(int(v) for v in text.split(",")) if text else (DEFAULT_LAYER,)
    features = len(model.inputs) - 1
    if len(layers) != features:
        raise ModelError(
            f"model={model.get_friendly_name()} reason=layers_mismatch: rt_info names layers {layers} "
            f"but the IR has {features} feature input(s); re-export it"
        )
    return layers


def joint_threshold(model: ov.Model) -> tuple[float, str] | None:
    """The model's own calibrated match threshold and where it came from, or None."""
    text = _rt_text(model, THRESHOLD_KEY)
    if text is None:
        return None
    return float(text), _rt_text(model, THRESHOLD_SOURCE_KEY) or ""


def _feature_parameter(node: ov.Node) -> ov.Node:
    """The Parameter a ROIAlign's feature input comes from (directly: no op in between)."""
    if node.get_type_name() != "Parameter":
        raise ModelError(
            f"reason=not_joint: a ROIAlign reads {node.get_type_name()} {node.get_friendly_name()}, "
            "not a feature-map input; the runtime feeds each detector map straight into one ROIAlign"
        )
    return node


def head_after_roi_aligns(model: ov.Model) -> tuple[ov.Model, list[RoiSettings]]:
    """The part of a joint IR after its ``ROIAlign`` ops: pooled maps → embeddings.

    The head takes one channels-last ``(n, h, w, C)`` input per ROIAlign, in the order of the
    IR's feature inputs (as `pictag.reid.roi_align.roi_align_hwc` pools); the graph transposes
    each back to the op's layout (inside OpenVINO, cheaper than a numpy copy).

    Args:
        model: the joint IR (read with ``ov.Core().read_model``); it is cloned, not changed.

    Returns:
        The head model and the settings of each ROIAlign, in feature-input order.

    Raises:
        ModelError: the IR does not keep the contract (a feature input not followed by exactly
            one ROIAlign, a ROIAlign on something else, or a mode numpy cannot do).
    """
    model = model.clone()
    name = model.get_friendly_name()
    params = list(model.get_parameters())
    features = params[:-1]
    rois = [op for op in model.get_ordered_ops() if op.get_type_name() == "ROIAlign"]
    by_param: dict[str, ov.Node] = {}
    for roi in rois:
        param = _feature_parameter(roi.input_value(0).get_node())
        key = param.get_friendly_name()
        if key in by_param:
            raise ModelError(f"model={name} reason=not_joint: feature input {key} feeds more than one ROIAlign")
        by_param[key] = roi
    ordered = []
    for param in features:
        roi = by_param.get(param.get_friendly_name())
        consumers = len(param.output(0).get_target_inputs())
        if roi is None or consumers != 1:
            raise ModelError(
                f"model={name} reason=not_joint: feature input {param.get_friendly_name()} must feed exactly one "
                f"ROIAlign and nothing else (ROIAlign: {roi is not None}, consumers: {consumers})"
            )
        ordered.append(roi)
    if len(ordered) != len(rois) or not ordered:
        raise ModelError(
            f"model={name} reason=not_joint: {len(rois)} ROIAlign op(s) for {len(features)} feature input(s)"
        )
    pooled_params = []
    settings = []
    for i, roi in enumerate(ordered):
        attrs = roi.get_attributes()
        n, c, h, w = roi.get_output_partial_shape(0)
        setting = RoiSettings(
            output_hw=(int(attrs["pooled_h"]), int(attrs["pooled_w"])),
            spatial_scale=float(attrs["spatial_scale"]),
            sampling_ratio=int(attrs["sampling_ratio"]),
            mode=str(attrs["mode"]),
            aligned_mode=str(attrs.get("aligned_mode", "asymmetric")),
            channels=int(c.get_length()),
        )
        if (setting.mode, setting.aligned_mode) != SUPPORTED_ROI:
            raise ModelError(
                f"model={name} reason=roi_mode: numpy RoIAlign does only mode=avg aligned_mode=half_pixel_for_nn, "
                f"got {setting.mode}/{setting.aligned_mode}"
            )
        pooled = ops.parameter(ov.PartialShape([n, h, w, c]), ov.Type.f32, name=f"pooled_{i}")
        nchw = ops.transpose(pooled, ops.constant(np.array([0, 3, 1, 2], np.int64)))
        for target in list(roi.output(0).get_target_inputs()):
            target.replace_source_output(nchw.output(0))
        pooled_params.append(pooled)
        settings.append(setting)
    head = ov.Model([r.input_value(0) for r in model.get_results()], pooled_params, "pictag_joint_head")
    return head, settings


def _cpu_latency(precision: str = "f32") -> dict[str, str]:
    return {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": precision}


class BucketedHead:
    """A joint head compiled for fixed batch sizes (4, 8, 16, ...): boxes are zero-padded up.

    With a dynamic batch OpenVINO's CPU plugin re-infers shapes and runs a reference
    Broadcast on every call: 0.67 ms for 10 boxes here, against 0.18 ms for the same
    head compiled for a static batch. A handful of compiled sizes covers any frame.
    """

    def __init__(self, core: ov.Core, head: ov.Model, smallest: int = 4, config: dict[str, str] | None = None) -> None:
        self._core = core
        self._head = head
        self._smallest = smallest
        self._config = config or _cpu_latency()
        self._requests: dict[int, ov.InferRequest] = {}

    def bucket(self, count: int) -> int:
        """The compiled batch size used for ``count`` boxes (next power of two, at least the smallest)."""
        size = self._smallest
        while size < count:
            size *= 2
        return size

    def __call__(self, *pooled: FloatArray) -> FloatArray:
        """Embeddings ``(n, D)`` of pooled features, one ``(n, h, w, C)`` array per head input."""
        count = len(pooled[0])
        size = self.bucket(count)
        request = self._requests.get(size)
        if request is None:
            model = self._head.clone()
            model.reshape(
                {inp: ov.PartialShape([size, *p.shape[1:]]) for inp, p in zip(model.inputs, pooled, strict=True)}
            )
            request = self._core.compile_model(model, "CPU", self._config).create_infer_request()
            self._requests[size] = request
        feed = {}
        for i, p in enumerate(pooled):
            batch = np.zeros((size, *p.shape[1:]), np.float32)
            batch[:count] = p
            feed[i] = batch
        request.infer(feed, share_inputs=True)
        return np.array(request.get_output_tensor(0).data[:count])


class JointHead:
    """A joint IR run the fast way: numpy RoIAlign of each channels-last map + a static-batch head.

    Args:
        model: the joint IR (path or ``ov.Model``).
        core: an ``ov.Core`` to compile with (a private one when None).

    Raises:
        ModelError: the IR does not keep the joint-mode contract (see the module docstring).
    """

    def __init__(self, model: str | Path | ov.Model, core: ov.Core | None = None) -> None:
        self._core = core or ov.Core()
        ir = model if isinstance(model, ov.Model) else self._core.read_model(str(model))
        self.layers = joint_layers(ir)
        self.threshold = joint_threshold(ir)
        head, self.settings = head_after_roi_aligns(ir)
        self.dim = int(head.outputs[0].get_partial_shape()[1].get_length())
        self.map_shapes = [tuple(int(d) for d in p.get_partial_shape().to_shape()) for p in ir.inputs[:-1]]
        #: The head after the ROIAlign ops, compiled per batch bucket: pooled maps → embeddings.
        self.head = BucketedHead(self._core, head)

    def pool(self, maps_hwc: Sequence[FloatArray], boxes: FloatArray) -> list[FloatArray]:
        """RoIAligned ``(n, h, w, C)`` features of ``boxes`` (input pixels) on each ``(H, W, C)`` map."""
        if len(maps_hwc) != len(self.settings):
            raise ModelError(f"reason=maps: the joint IR pools {len(self.settings)} map(s), got {len(maps_hwc)}")
        return [
            roi_align_hwc(m, boxes, s.output_hw, s.spatial_scale, s.sampling_ratio)
            for m, s in zip(maps_hwc, self.settings, strict=True)
        ]

    def __call__(self, maps_hwc: Sequence[FloatArray], boxes: FloatArray) -> FloatArray:
        """``(n, D)`` L2-normalised embeddings of ``boxes`` (letterboxed input pixels)."""
        if len(boxes) == 0:
            return np.zeros((0, self.dim), np.float32)
        return self.head(*self.pool(maps_hwc, boxes))
