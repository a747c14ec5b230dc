"""Joint-mode re-identification: person embeddings from the detector's own feature maps.

The detector already computed rich features for the whole frame; joint mode pools each
person box out of one (or several) of its intermediate maps and runs a small head, so there
is no second pass over pixels and no crop ever leaves the detector.

A joint-mode model is an OpenVINO IR (trained by `pictag train reid`, see docs/reid.md):

- inputs: one feature-map parameter per detector layer (``1 x C x H x W`` at the detector's
  input size), then ``boxes`` (``n x 4``, x1 y1 x2 y2 in network-input pixels);
- each feature input feeds exactly one ``ROIAlign`` (mode ``avg``, aligned mode
  ``half_pixel_for_nn``); everything after the ROIAlign ops is the head;
- rt_info ``pictag_layers`` (comma-separated, in feature-input order) or ``pictag_layer``,
  and the model's own match threshold (`pictag.reid.threshold`).

At run time the IR's ROIAlign ops are not executed: OpenVINO's CPU ROIAlign costs more than
the whole joint-mode budget, so `pictag.reid.roi_align.roi_align_hwc` pools in numpy
(separable, equal to the op to float rounding) from channels-last maps the detector outputs
directly, and only the head runs in OpenVINO, compiled for a few static batch sizes (a
dynamic batch re-infers shapes on every call: ~4x slower for 10 boxes here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import openvino as ov
import openvino.opset13 as ops

from pictag.detection.base import Detector
from pictag.detection.feature_maps import LAYER_STRIDE, FeatureMaps
from pictag.errors import ModelError
from pictag.ov import read_ir
from pictag.reid.base import FloatArray, FrameArray, l2_normalize
from pictag.reid.roi_align import roi_align_hwc

log = logging.getLogger(__name__)

#: rt_info key naming the detector layers of the feature inputs (comma-separated, in order).
LAYERS_KEY = "pictag_layers"
#: Older single-layer key (the first shipped joint model).
LAYER_KEY = "pictag_layer"
#: Layer assumed when a joint-mode IR names none (YOLO11n P4).
DEFAULT_LAYER = 6
#: The only ROIAlign semantics the numpy pooling reproduces.
SUPPORTED_ROI_MODE = ("avg", "half_pixel_for_nn")
#: Smallest compiled batch of the head; larger ones double (4, 8, 16, ...).
SMALLEST_BUCKET = 4


@dataclass(frozen=True)
class RoiSpec:
    """One ``ROIAlign`` of a joint-mode IR: which layer it pools and how."""

    layer: int
    output_hw: tuple[int, int]
    spatial_scale: float
    sampling_ratio: int


def rt_text(model: ov.Model, key: str) -> str | None:
    """A string rt_info value of an IR, or None."""
    if not model.has_rt_info(key):
        return None
    return str(model.get_rt_info(key).astype(str))


def model_layers(model: ov.Model) -> tuple[int, ...]:
    """The detector layers of a joint IR's feature inputs, in input order."""
    text = rt_text(model, LAYERS_KEY) or rt_text(model, LAYER_KEY)
    if text is None:
        return (DEFAULT_LAYER,)
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ModelError(f"model={model.get_friendly_name()} reason=bad_rt_info {LAYERS_KEY}={text!r}") from None


def split_joint_ir(model: ov.Model) -> tuple[ov.Model, tuple[RoiSpec, ...]]:
    """Cut a joint IR after its ROIAlign ops: the head, and what each ROIAlign did.

    The head takes one channels-last pooled tensor ``(n, h, w, C)`` per ROIAlign, in the order
    of the returned specs (the feature inputs' order); the graph transposes it back inside
    OpenVINO. The model is changed in place: pass a fresh read or a clone.

    Raises:
        ModelError: not a joint-mode IR (no ROIAlign, one not fed by a feature input, several
            on one input, or ROIAlign semantics the numpy pooling does not reproduce).
    """
    name = model.get_friendly_name()
    layers = model_layers(model)
    features = [p for p in model.get_parameters() if p.get_friendly_name() != "boxes"]
    if len(features) != len(layers):
        raise ModelError(
            f"model={name} reason=not_joint: {len(features)} feature inputs but layers {layers} in rt_info"
        )
    rois = [op for op in model.get_ordered_ops() if op.get_type_name() == "ROIAlign"]
    by_input: dict[int, Any] = {}
    for roi in rois:
        source = roi.input_value(0).get_node()
        index = next((i for i, p in enumerate(features) if p.get_friendly_name() == source.get_friendly_name()), None)
        if index is None or index in by_input:
            raise ModelError(f"model={name} reason=not_joint: every feature input must feed exactly one ROIAlign")
        by_input[index] = roi
    if sorted(by_input) != list(range(len(features))):
        raise ModelError(f"model={name} reason=not_joint: expected one ROIAlign per feature input, found {len(rois)}")
    specs: list[RoiSpec] = []
    pooled_inputs: list[Any] = []
    for index in range(len(features)):
        roi = by_input[index]
        attrs = roi.get_attributes()
        mode = (str(attrs["mode"]), str(attrs.get("aligned_mode", "asymmetric")))
        if mode != SUPPORTED_ROI_MODE:
            raise ModelError(f"model={name} reason=roi_mode {mode}: only {SUPPORTED_ROI_MODE} is supported")
        n, c, h, w = roi.get_output_partial_shape(0)
        pooled = ops.parameter(ov.PartialShape([n, h, w, c]), ov.Type.f32, name=f"pooled_l{layers[index]}")
        nchw = ops.transpose(pooled, ops.constant(np.array([0, 3, 1, 2], np.int64)))
        for target in list(roi.output(0).get_target_inputs()):
            target.replace_source_output(nchw.output(0))
        pooled_inputs.append(pooled)
        specs.append(
            RoiSpec(
                layer=layers[index],
                output_hw=(int(attrs["pooled_h"]), int(attrs["pooled_w"])),
                spatial_scale=float(attrs["spatial_scale"]),
                sampling_ratio=int(attrs["sampling_ratio"]),
            )
        )
    head = ov.Model([r.input_value(0) for r in model.get_results()], pooled_inputs, "pictag_joint_head")
    return head, tuple(specs)


class BucketedHead:
    """A head compiled for fixed batch sizes (4, 8, 16, ...); boxes are zero-padded up.

    With a dynamic batch OpenVINO's CPU plugin re-infers shapes and runs a reference
    Broadcast on every call: 0.67 ms for 10 boxes here, against 0.18 ms for the same head
    compiled for a static batch. A handful of compiled sizes covers any frame.
    """

    def __init__(self, core: ov.Core, head: ov.Model, *, threads: int = 1, smallest: int = SMALLEST_BUCKET) -> None:
        self._core = core
        self._head = head
        self._smallest = smallest
        self._threads = threads
        self._requests: dict[int, ov.InferRequest] = {}

    def bucket(self, count: int) -> int:
        """The compiled batch size used for ``count`` boxes (next power of two, at least the smallest)."""
        size = self._smallest
        while size < count:
            size *= 2
        return size

    def _request(self, size: int) -> ov.InferRequest:
        request = self._requests.get(size)
        if request is None:
            model = self._head.clone()
            model.reshape({inp: ov.PartialShape([size, *inp.get_partial_shape()[1:]]) for inp in model.inputs})
            config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
            if self._threads > 0:
                config["INFERENCE_NUM_THREADS"] = str(self._threads)
            request = self._core.compile_model(model, "CPU", config).create_infer_request()
            self._requests[size] = request
        return request

    def __call__(self, pooled: tuple[FloatArray, ...]) -> FloatArray:
        """Embeddings ``(n, D)`` of one pooled ``(n, h, w, C)`` tensor per head input."""
        count = len(pooled[0])
        size = self.bucket(count)
        request = self._request(size)
        inputs = {}
        for index, part in enumerate(pooled):
            batch = np.zeros((size, *part.shape[1:]), np.float32)
            batch[:count] = part
            inputs[index] = batch
        request.infer(inputs, share_inputs=True)
        return np.array(request.get_output_tensor(0).data[:count], dtype=np.float32)


class JointEmbedder:
    """Embeds person boxes from a frame's `FeatureMaps` (the detector's own inference).

    In the runtime the detector actor passes each frame's maps (`embed_features`). Tools that
    only have pixels and boxes (evaluation, calibration, the baseline loop) call `embed` without
    maps: the embedder then runs ``detector`` (built by ``detector_factory`` on first use, with
    the feature outputs this model needs) on the frame to get them — the same maps, the same
    numbers as the runtime.

    Args:
        path: the joint-mode IR.
        input_size: the detector's network input size (the maps' resolution follows from it).
        core: an ``ov.Core`` to share; a private one when None.
        threads: OpenVINO threads of the head (1: it is tiny, and the detector's streams own the cores).
        detector_factory: builds a detector exposing the given layers, for `embed` without maps.

    Raises:
        ModelError: not a joint-mode IR, or its maps do not fit a detector of ``input_size``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        input_size: int = 640,
        core: ov.Core | None = None,
        threads: int = 1,
        detector_factory: Callable[[tuple[int, ...]], Detector] | None = None,
    ) -> None:
        self.path = Path(path)
        self._detector_factory = detector_factory
        self._detector: Detector | None = None
        core = core or ov.Core()
        model = read_ir(self.path, core)
        self.rt_info = {key: rt_text(model, key) for key in ("pictag_threshold", "pictag_threshold_source")}
        head, self.specs = split_joint_ir(model)
        self.layers = tuple(spec.layer for spec in self.specs)
        feature_inputs = [p for p in model.get_parameters() if p.get_friendly_name() != "boxes"]
        for spec, param in zip(self.specs, feature_inputs, strict=True):
            self._check_map(spec, param, input_size)
        self.dim = int(head.outputs[0].get_partial_shape()[-1].get_length())
        self._head = BucketedHead(core, head, threads=threads)

    def _check_map(self, spec: RoiSpec, param: Any, input_size: int) -> None:
        stride = LAYER_STRIDE.get(spec.layer)
        if stride is None or abs(spec.spatial_scale * stride - 1.0) > 1e-6:
            raise ModelError(
                f"model={self.path} layer={spec.layer} reason=stride: ROIAlign scale {spec.spatial_scale} "
                f"does not match the layer's stride {stride}"
            )
        shape = param.get_partial_shape()
        if not shape.is_dynamic and shape[2].get_length() * stride != input_size:
            raise ModelError(
                f"model={self.path} layer={spec.layer} reason=input_size: trained for a "
                f"{shape[2].get_length() * stride} px detector input, the detector uses {input_size} "
                "(set detector.input_size to match)"
            )

    @property
    def feature_layers(self) -> tuple[int, ...]:
        """Detector layers whose maps this model needs."""
        return self.layers

    def embed_features(self, features: FeatureMaps, boxes_xyxy: npt.ArrayLike) -> FloatArray:
        """Embeddings ``(n, dim)`` (L2-normalised) of frame-pixel boxes, from one frame's maps.

        Raises:
            KeyError: the maps lack a layer this model pools from.
        """
        boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
        if len(boxes) == 0:
            return np.zeros((0, self.dim), np.float32)
        input_boxes = features.letterbox.to_input(boxes)
        pooled = tuple(
            roi_align_hwc(
                features.map_of(spec.layer), input_boxes, spec.output_hw, spec.spatial_scale, spec.sampling_ratio
            )
            for spec in self.specs
        )
        return l2_normalize(self._head(pooled))

    def embed(self, frame: FrameArray, boxes_xyxy: FloatArray, features: FeatureMaps | None = None) -> FloatArray:
        """The `pictag.reid.base.Embedder` call: from ``features``, else from the detector run on ``frame``.

        Raises:
            ModelError: no feature maps and no detector to compute them.
        """
        if features is None:
            features = self._features_of(frame)
        return self.embed_features(features, boxes_xyxy)

    def _features_of(self, frame: FrameArray) -> FeatureMaps:
        if self._detector is None:
            if self._detector_factory is None:
                raise ModelError(
                    f"model={self.path} reason=no_features: joint re-id needs the detector's feature maps "
                    f"of layers {self.layers}"
                )
            self._detector = self._detector_factory(self.layers)
        features = self._detector.detect_full(frame).features
        if features is None:
            raise ModelError(f"model={self.path} reason=no_features: the detector exposes no feature maps")
        return features
