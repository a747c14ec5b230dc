"""Joint mode: re-id features from the detector's own inference (RoIAlign on its feature maps).

The detector IR gets an extra output (`pictag.models.backbone.add_feature_outputs`): the
feature map of one YOLO layer for the whole letterboxed frame. A second small IR takes that
map and the person boxes (in letterboxed input pixels), RoIAligns each box to the head's
``h x w`` grid and runs the head: re-identification without a second pass over pixels.
Both are plain OpenVINO (the ``ROIAlign`` op), so the runtime needs no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import openvino as ov
import openvino.opset13 as ops

from pictag.models.backbone import LAYER_STRIDE, add_feature_outputs

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the square network input: ``input = frame * scale + pad``."""

    scale: float
    pad_x: float
    pad_y: float

    def boxes_to_input(self, xyxy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Frame-pixel boxes → network-input-pixel boxes."""
        out = xyxy.astype(np.float32) * self.scale
        out[:, [0, 2]] += self.pad_x
        out[:, [1, 3]] += self.pad_y
        return out


def letterbox(frame: npt.NDArray[np.uint8], size: int = 640) -> tuple[npt.NDArray[np.float32], Letterbox]:
    """Ultralytics-style letterbox: keep aspect, pad with grey 114 (centred); NCHW RGB / 255."""
    h, w = frame.shape[:2]
    scale = min(size / h, size / w)
    nh, nw = round(h * scale), round(w * scale)
    px, py = (size - nw) / 2, (size - nh) / 2
    canvas = np.full((size, size, 3), PAD_VALUE, np.uint8)
    top, left = round(py - 0.1), round(px - 0.1)
    canvas[top : top + nh, left : left + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    blob = canvas[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return blob, Letterbox(scale, float(left), float(top))


class DetectorWithFeatures:
    """The detector IR with an extra feature-map output of ``layer``."""

    def __init__(
        self,
        detector_xml: str | Path,
        layer: int = 6,
        size: int = 640,
        core: ov.Core | None = None,
        precision: str = "f32",
    ) -> None:
        core = core or ov.Core()
        model = add_feature_outputs(core.read_model(str(detector_xml)), (layer,))
        model.reshape({model.inputs[0]: ov.PartialShape([1, 3, size, size])})
        self.layer, self.size, self.stride = layer, size, LAYER_STRIDE[layer]
        self._compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": precision})
        self._request = self._compiled.create_infer_request()

    def __call__(
        self, frame: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], Letterbox]:
        """Detection output, feature map ``(1, C, H/s, W/s)`` and the letterbox of one frame."""
        blob, lb = letterbox(frame, self.size)
        self._request.infer({0: blob})
        return (
            self._request.get_output_tensor(0).data.copy(),
            self._request.get_output_tensor(1).data.copy(),
            lb,
        )


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
    fmap = ops.parameter([1, channels, *map_hw], ov.Type.f32, name="features")
    boxes = ops.parameter([-1, 4], ov.Type.f32, name="boxes")
    count = ops.gather(
        ops.shape_of(boxes),
        ops.constant(np.array([0], np.int64)),
        ops.constant(np.array(0, np.int64)),
    )
    batch_idx = ops.broadcast(ops.constant(np.array(0, np.int32)), count)
    pooled = ops.roi_align(
        fmap,
        boxes,
        batch_idx,
        grid[0],
        grid[1],
        sampling_ratio,
        1.0 / stride,
        "avg",
        aligned_mode="half_pixel_for_nn",
    )
    if head is None:
        return ov.Model([pooled.output(0)], [fmap, boxes], "pictag_roi_features")
    (param,) = head.get_parameters()
    for target in list(param.output(0).get_target_inputs()):
        target.replace_source_output(pooled.output(0))
    model = ov.Model([r.input_value(0) for r in head.get_results()], [fmap, boxes], "pictag_joint_reid")
    model.outputs[0].get_tensor().set_names({"embedding"})
    return model
