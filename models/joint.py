"""Joint mode: re-id features from the detector's own inference (RoIAlign on its feature maps).

The detector IR gets an extra output (`pictag.models.backbone.add_feature_outputs`): the
feature map of one YOLO layer for the whole letterboxed frame. A second small IR takes that
map and the person boxes (in letterboxed input pixels), RoIAligns each box to the head's
``h x w`` grid and runs the head: re-identification without a second pass over pixels.
Both are plain OpenVINO (the ``ROIAlign`` op), so the runtime needs no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import openvino as ov
import openvino.opset13 as ops

from pictag.detection.letterbox import Letterbox, letterbox
from pictag.models.backbone import LAYER_STRIDE, add_feature_outputs


class DetectorWithFeatures:
    """The detector IR with extra feature-map outputs of one or more ``layers``.

    Frames are letterboxed exactly as the runtime does (`pictag.detection.letterbox`).
    """

    def __init__(
        self,
        detector_xml: str | Path,
        layer: int | Sequence[int] = 6,
        size: int = 640,
        core: ov.Core | None = None,
        precision: str = "f32",
    ) -> None:
        core = core or ov.Core()
        self.layers = (layer,) if isinstance(layer, int) else tuple(layer)
        model = add_feature_outputs(core.read_model(str(detector_xml)), self.layers)
        model.reshape({model.inputs[0]: ov.PartialShape([1, 3, size, size])})
        self.layer, self.size, self.stride = self.layers[0], size, LAYER_STRIDE[self.layers[0]]
        self.strides = tuple(LAYER_STRIDE[k] for k in self.layers)
        self._compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": precision})
        self._request = self._compiled.create_infer_request()

    def maps(
        self, frame: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32]], Letterbox]:
        """Detection output, one ``(1, C, H/s, W/s)`` map per layer, and the frame's letterbox."""
        blob, lb = letterbox(frame, self.size)
        self._request.infer({0: blob})
        outs = [self._request.get_output_tensor(i + 1).data.copy() for i in range(len(self.layers))]
        return self._request.get_output_tensor(0).data.copy(), outs, lb

    def __call__(
        self, frame: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], Letterbox]:
        """Detection output, the first layer's feature map ``(1, C, H/s, W/s)`` and the letterbox."""
        det, maps, lb = self.maps(frame)
        return det, maps[0], lb


@dataclass(frozen=True)
class RoiLevel:
    """One feature input of a joint IR: the layer's map shape and the RoIAlign grid."""

    channels: int
    grid: tuple[int, int]
    stride: int
    map_hw: tuple[int, int]


def roi_head_model(
    head: ov.Model | None,
    channels: int,
    grid: tuple[int, int],
    stride: int,
    map_hw: tuple[int, int],
    sampling_ratio: int = 2,
) -> ov.Model:
    """Feature map ``1 x C x H x W`` + boxes ``n x 4`` (input pixels) → RoIAlign → head → ``n x D``.

    With ``head=None`` the model outputs the RoIAligned features (``n x C x h x w``), used to
    build training data for a joint-mode head.
    """
    return roi_heads_model(head, [RoiLevel(channels, grid, stride, map_hw)], sampling_ratio)


def roi_heads_model(head: ov.Model | None, levels: Sequence[RoiLevel], sampling_ratio: int = 2) -> ov.Model:
    """One feature map per level + boxes → one RoIAlign per map → head (one input per level) → embedding.

    The result keeps the joint-mode contract of `pictag.reid.joint_head`: inputs
    ``features_<i>`` (``1 x C x H x W``) then ``boxes`` (``n x 4``), output ``embedding``;
    each feature input feeds exactly one ``ROIAlign`` (avg, half_pixel_for_nn). Without a
    head the model outputs the pooled features of every level.
    """
    fmaps = [
        ops.parameter(
            [1, lv.channels, *lv.map_hw], ov.Type.f32, name="features" if len(levels) == 1 else f"features_{i}"
        )
        for i, lv in enumerate(levels)
    ]
    boxes = ops.parameter([-1, 4], ov.Type.f32, name="boxes")
    count = ops.gather(
        ops.shape_of(boxes),
        ops.constant(np.array([0], np.int64)),
        ops.constant(np.array(0, np.int64)),
    )
    batch_idx = ops.broadcast(ops.constant(np.array(0, np.int32)), count)
    pooled = [
        ops.roi_align(
            fmap,
            boxes,
            batch_idx,
            lv.grid[0],
            lv.grid[1],
            sampling_ratio,
            1.0 / lv.stride,
            "avg",
            aligned_mode="half_pixel_for_nn",
        )
        for fmap, lv in zip(fmaps, levels, strict=True)
    ]
    if head is None:
        return ov.Model([p.output(0) for p in pooled], [*fmaps, boxes], "pictag_roi_features")
    params = head.get_parameters()
    if len(params) != len(levels):
        raise ValueError(f"head has {len(params)} inputs for {len(levels)} feature levels")
    for param, p in zip(params, pooled, strict=True):
        for target in list(param.output(0).get_target_inputs()):
            target.replace_source_output(p.output(0))
    model = ov.Model([r.input_value(0) for r in head.get_results()], [*fmaps, boxes], "pictag_joint_reid")
    model.outputs[0].get_tensor().set_names({"embedding"})
    return model
