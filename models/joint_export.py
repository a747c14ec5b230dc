"""Export a trained joint-mode head to the runtime's joint IR, and embed frames with one (calibration).

The IR keeps the contract of `pictag.reid.joint_head`: one feature-map input per detector
layer (``1 x C x H x W`` at the detector's input size), then ``boxes`` (``n x 4``,
letterboxed input pixels); one ``ROIAlign`` (avg, half_pixel_for_nn) per feature input;
output ``embedding`` (``n x D``, L2-normalised); rt_info ``pictag_layers`` (+ ``pictag_layer``
for one layer), and once calibrated ``pictag_threshold`` / ``pictag_threshold_source``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag.models.backbone import LAYER_STRIDE
from pictag.models.joint import DetectorWithFeatures, RoiLevel, roi_heads_model
from pictag.reid.base import l2_normalize
from pictag.reid.joint_head import LAYER_KEY, LAYERS_KEY, THRESHOLD_KEY, THRESHOLD_SOURCE_KEY, JointHead


def parse_level(name: str) -> tuple[int, tuple[int, int]]:
    """``l4_16x8`` → ``(4, (16, 8))``."""
    layer, _, grid = name[1:].partition("_")
    h, _, w = grid.partition("x")
    return int(layer), (int(h), int(w))


def head_ir(head: object, levels: Sequence[tuple[int, tuple[int, int]]]) -> ov.Model:
    """The torch `MultiLevelHead` (+ L2 normalisation) as an ``ov.Model``, one dynamic-batch input per level."""
    import torch

    from pictag.models.heads import NormalizedMulti

    module = NormalizedMulti(head).eval()  # type: ignore[arg-type]
    examples = tuple(torch.zeros(2, c, h, w) for c, (h, w) in levels)
    with torch.no_grad():
        return ov.convert_model(module, example_input=examples, input=[(-1, c, h, w) for c, (h, w) in levels])


def export_joint_ir(
    head: object,
    level_names: Sequence[str],
    path: str | Path,
    *,
    size: int = 640,
    threshold: tuple[float, str] | None = None,
) -> Path:
    """Save ``head`` (a trained `MultiLevelHead`) as a joint IR for the detector's ``size`` input."""
    parsed = [parse_level(n) for n in level_names]
    shapes = [(c, hw) for c, hw in head.levels]  # type: ignore[attr-defined]
    levels = [
        RoiLevel(c, grid, LAYER_STRIDE[layer], (size // LAYER_STRIDE[layer],) * 2)
        for (layer, grid), (c, _) in zip(parsed, shapes, strict=True)
    ]
    model = roi_heads_model(head_ir(head, shapes), levels)
    layers = [str(layer) for layer, _ in parsed]
    model.set_rt_info(",".join(layers), LAYERS_KEY)
    if len(layers) == 1:
        model.set_rt_info(layers[0], LAYER_KEY)
    if threshold is not None:
        set_threshold(model, *threshold)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(path), compress_to_fp16=False)
    return path


def set_threshold(model: ov.Model, threshold: float, source: str) -> None:
    """Write the calibrated match threshold (and how it was measured) into the IR's rt_info."""
    model.set_rt_info(f"{threshold:.4f}", THRESHOLD_KEY)
    model.set_rt_info(source, THRESHOLD_SOURCE_KEY)


def write_threshold(path: str | Path, threshold: float, source: str) -> None:
    """Set the threshold of a saved joint IR in place (weights unchanged)."""
    core = ov.Core()
    model = core.read_model(str(path))
    set_threshold(model, threshold, source)
    tmp = Path(path).with_suffix(".tmp.xml")
    ov.save_model(model, str(tmp), compress_to_fp16=False)
    tmp.replace(path)
    tmp.with_suffix(".bin").replace(Path(path).with_suffix(".bin"))


class JointFrameEmbedder:
    """An `pictag.reid.Embedder` for a joint IR: the detector runs on the frame, boxes pooled from its maps.

    For calibration and evaluation from frames (`pictag calibrate --joint-model`): the same
    letterbox, detector maps and numpy RoIAlign + head as the runtime's joint path.
    """

    def __init__(self, joint_xml: str | Path, detector_xml: str | Path, core: ov.Core | None = None) -> None:
        core = core or ov.Core()
        self._joint = JointHead(joint_xml, core)
        size = self._joint.map_shapes[0][2] * LAYER_STRIDE[self._joint.layers[0]]
        self._detector = DetectorWithFeatures(detector_xml, self._joint.layers, size, core)
        self.dim = self._joint.dim

    def embed(self, frame: npt.NDArray[np.uint8], boxes_xyxy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """``(n, D)`` embeddings of frame-pixel boxes."""
        if len(boxes_xyxy) == 0:
            return np.zeros((0, self.dim), np.float32)
        _, maps, lb = self._detector.maps(frame)
        hwc = [np.ascontiguousarray(m[0].transpose(1, 2, 0)) for m in maps]
        return l2_normalize(self._joint(hwc, lb.to_input(np.asarray(boxes_xyxy, np.float32))))
