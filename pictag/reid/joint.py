"""Joint-mode re-identification: person embeddings from the detector's own feature maps.

The detector already computed rich features for the whole frame; joint mode pools each
person box out of one (or several) of its intermediate maps and runs a small head, so there
is no second pass over pixels and no crop ever leaves the detector.

A joint-mode model is an OpenVINO IR with the contract of `pictag.reid.joint_head`
(feature maps + boxes → embeddings, one ROIAlign per feature input, rt_info naming the layers
and the model's own match threshold).

At run time the IR's ROIAlign ops are not executed: OpenVINO's CPU ROIAlign costs more than
the whole joint-mode budget, so `pictag.reid.roi_align.roi_align_hwc` pools in numpy
(separable, equal to the op to float rounding) from channels-last maps the detector outputs
directly, and only the head runs in OpenVINO, compiled for a few static batch sizes (a
dynamic batch re-infers shapes on every call: ~4x slower for 10 boxes here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag.detection.base import Detector
from pictag.detection.feature_maps import LAYER_STRIDE, FeatureMaps
from pictag.errors import ModelError
from pictag.ov import read_ir
from pictag.reid.base import FloatArray, FrameArray, l2_normalize
from pictag.reid.joint_head import BucketedHead, RoiSettings, head_after_roi_aligns, joint_layers, joint_threshold
from pictag.reid.roi_align import roi_align_hwc

log = logging.getLogger(__name__)


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
        self.threshold = joint_threshold(model)
        self.layers = joint_layers(model)
        head, self.settings = head_after_roi_aligns(model)
        for layer, roi, param in zip(self.layers, self.settings, model.inputs[:-1], strict=True):
            self._check_map(layer, roi, param, input_size)
        self.dim = int(head.outputs[0].get_partial_shape()[-1].get_length())
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = str(threads)
        self._head = BucketedHead(core, head, config=config)

    def _check_map(self, layer: int, roi: RoiSettings, param: Any, input_size: int) -> None:
        stride = LAYER_STRIDE.get(layer)
        if stride is None or abs(roi.spatial_scale * stride - 1.0) > 1e-6:
            raise ModelError(
                f"model={self.path} layer={layer} reason=stride: ROIAlign scale {roi.spatial_scale} "
                f"does not match the layer's stride {stride}"
            )
        shape = param.get_partial_shape()
        if not shape.is_dynamic and shape[2].get_length() * stride != input_size:
            raise ModelError(
                f"model={self.path} layer={layer} reason=input_size: trained for a "
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
        pooled = [
            roi_align_hwc(features.map_of(layer), input_boxes, roi.output_hw, roi.spatial_scale, roi.sampling_ratio)
            for layer, roi in zip(self.layers, self.settings, strict=True)
        ]
        return l2_normalize(self._head(*pooled))

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
