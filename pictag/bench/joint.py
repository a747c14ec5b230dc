"""What joint-mode re-identification adds to a frame, measured (`pictag bench joint`).

Joint mode takes re-id features from the detector's own inference: the detector IR
gets one extra output (a backbone layer's feature map, `pictag.models.backbone`),
and a small IR RoIAligns the person boxes on it and runs the head
(`pictag.models.joint`). Its cost per frame is therefore

    (detector with the extra output - detector alone) + RoIAlign and head for N boxes,

and the issue's goal is ≤ 1 ms for 10 persons. Crop mode for the same persons (each
crop through a backbone prefix or a separate re-id network) is measured beside it
for scale.

Every figure comes from the same process, in interleaved rounds (plain detector,
detector with features, RoIAlign + head, crop models, one after the other on each
frame), because absolute times on a shared machine drift: only differences and
ratios inside one run are trusted. The detector difference is the median of the
per-frame paired differences; a negative value means "within noise of zero".
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag.bench.micro import FrameArray, detector_model, person_boxes
from pictag.bench.ovbench import cpu_config
from pictag.bench.stats import percentiles
from pictag.config.detector import DetectorConfig
from pictag.config.reid import ReidConfig
from pictag.detection.feature_maps import LAYER_STRIDE, add_feature_outputs
from pictag.detection.letterbox import fit, letterbox
from pictag.errors import ModelError, PictagError
from pictag.reid.joint_head import BucketedHead, JointHead, head_after_roi_aligns, joint_layers
from pictag.reid.model_files import joint_model_path, resolve_model_file
from pictag.reid.openvino_embedder import OpenVINOCropEmbedder

__all__ = ["BucketedHead", "bench_joint", "head_after_roi_align", "joint_model_path", "with_channels_last_map"]

#: The issue's budget for joint mode: milliseconds added per frame for 10 persons.
GOAL_MS = 1.0
#: Crop-mode models timed beside joint mode (the shipped lite model and the default).
DEFAULT_CROP_MODELS = ("pictag/reid-lite", "intel/person-reidentification-retail-0287")


def with_channels_last_map(model: ov.Model, layer: int | Sequence[int]) -> ov.Model:
    """The detector plus each layer's feature map as extra outputs, channels last ``(1, H, W, C)``."""
    layers = (layer,) if isinstance(layer, int) else tuple(layer)
    return add_feature_outputs(model, layers, channels_last=True)


def _boxes(frame: FrameArray, config: DetectorConfig, persons: int, assets_dir: str | None) -> npt.NDArray[np.float32]:
    """``persons`` real person boxes of the frame (repeated when fewer were found), frame pixels."""
    found = person_boxes(frame, config, assets_dir, limit=persons)
    return np.resize(found, (persons, 4)).astype(np.float32)


class _Timer:
    """Named wall-clock samples in milliseconds (kept only when ``keep`` is on: not in warm-up)."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self.keep = False

    def time(self, name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = fn()
        if self.keep:
            self.samples.setdefault(name, []).append((time.perf_counter() - start) * 1e3)
        return out

    def last(self, name: str) -> float:
        return self.samples[name][-1]

    def p50(self, name: str) -> float:
        return float(np.median(self.samples[name]))


def bench_joint(
    frames: Sequence[FrameArray],
    *,
    persons: int = 10,
    rounds: int = 20,
    joint_model: str | Sequence[str] = "pictag-lite-joint",
    crop_models: Sequence[str] = DEFAULT_CROP_MODELS,
    detector: DetectorConfig | None = None,
    assets_dir: str | None = None,
) -> dict[str, Any]:
    """Joint-mode cost per frame for ``persons`` people, with crop mode beside it.

    Args:
        frames: real frames (their detected persons give the boxes).
        persons: boxes per frame (the goal is stated for 10).
        rounds: passes over ``frames``; every pass times every model on every frame.
        joint_model: the joint-mode IR (features + boxes → embeddings), or several: each is
            timed in turn on every frame (interleaved), the first one's figures at the top level,
            every one's under ``candidates``.
        crop_models: re-id models timed in crop mode on the same boxes (missing ones are skipped).
        detector: detector settings (model and precision); the input size is the joint IR's.
        assets_dir: where the detector and OMZ models are found.

    Returns:
        ``{"detector_ms", "detector_with_features_ms", "extra_output_ms", "roi_head_ms",
        "joint_added_ms", "goal_ms", "goal_met", "crop_mode_ms": {model: ms}, ...}``,
        all milliseconds per frame (p50).

    Raises:
        ModelError: the joint IR is missing or does not fit the detector.
    """
    names = [joint_model] if isinstance(joint_model, str) else list(joint_model)
    all_paths = []
    for i, name in enumerate(names):
        path = joint_model_path(name)
        if not path.is_file():
            raise ModelError(f"model={path} reason=missing: no joint-mode re-id IR there")
        all_paths.append(_JointPaths(path, detector or DetectorConfig(), assets_dir, prefix=f"{i}:" if i else ""))
    paths = all_paths[0]
    if any(p.size != paths.size for p in all_paths):
        raise ModelError("reason=input_size: joint IRs made for different detector input sizes cannot be compared")
    inputs = []
    for frame in frames:
        frame_boxes = _boxes(frame, paths.config, persons, assets_dir)
        box = fit(frame.shape[1], frame.shape[0], paths.size)
        inputs.append((frame, letterbox(frame, paths.size)[0], frame_boxes, box.to_input(frame_boxes)))
    crop = {m: _crop_embedder(m, assets_dir) for m in crop_models}
    crop_embedders = {m: e for m, e in crop.items() if e is not None}

    timer = _Timer()
    agreement: dict[str, list[float]] = {p.prefix: [] for p in all_paths}
    for r in range(rounds + 1):
        timer.keep = r > 0  # round 0 warms every model up
        for frame, tensor, frame_boxes, input_boxes in inputs:
            for p in all_paths:
                agreement[p.prefix].append(p.time_frame(timer, tensor, input_boxes))
            for name, emb in crop_embedders.items():
                timer.time(name, functools.partial(emb.embed, frame, frame_boxes))
    return {
        "detector": paths.config.model,
        "precision": paths.config.precision,
        "input_size": paths.size,
        "joint_model": str(path.name),
        "layer": paths.layer,
        "layers": list(paths.layers),
        "persons": persons,
        "frames": len(frames),
        "rounds": rounds,
        **_summary(timer, paths.diffs, paths.diffs_hwc),
        "numpy_path_min_cosine": round(min(agreement[""]), 6),
        "crop_mode_ms": {name: round(timer.p50(name), 3) for name in crop_embedders},
        "candidates": {
            name: {
                "joint_model": p.path.name,
                "layers": list(p.layers),
                **_summary(timer, p.diffs, p.diffs_hwc, p.prefix),
                "numpy_path_min_cosine": round(min(agreement[p.prefix]), 6),
            }
            for name, p in zip(names, all_paths, strict=True)
        },
    }


class _JointPaths:
    """The compiled models of both joint-mode paths, and how one frame is timed through them."""

    def __init__(self, path: Path, detector: DetectorConfig, assets_dir: str | None, prefix: str = "") -> None:
        core = ov.Core()
        self.path, self.prefix = path, prefix
        roi_ir = core.read_model(str(path))
        self.layers = joint_layers(roi_ir)
        self.layer = self.layers[0]
        self.size = roi_ir.inputs[0].get_partial_shape()[2].get_length() * LAYER_STRIDE[self.layer]
        self.config = detector.model_copy(update={"input_size": self.size, "num_requests": 1})
        precision = "f32" if self.config.precision == "int8" else self.config.precision
        compile_cfg = cpu_config("LATENCY", precision)

        def compiled(model: ov.Model, cfg: dict[str, str] = compile_cfg) -> ov.InferRequest:
            return core.compile_model(model, "CPU", cfg).create_infer_request()

        self.plain = compiled(detector_model(self.config, assets_dir))
        self.with_maps = compiled(add_feature_outputs(detector_model(self.config, assets_dir), self.layers))
        self.with_hwc = compiled(with_channels_last_map(detector_model(self.config, assets_dir), self.layers))
        self.roi = compiled(roi_ir, cpu_config("LATENCY", "f32"))
        self.joint = JointHead(core.read_model(str(path)), core)
        self.diffs: list[float] = []
        self.diffs_hwc: list[float] = []

    def pool(
        self, maps: list[npt.NDArray[np.float32]], boxes: npt.NDArray[np.float32]
    ) -> list[npt.NDArray[np.float32]]:
        """numpy RoIAlign of each channels-last ``(1, H, W, C)`` map."""
        return self.joint.pool([m[0] for m in maps], boxes)

    def time_frame(self, timer: _Timer, tensor: npt.NDArray[np.float32], boxes: npt.NDArray[np.float32]) -> float:
        """Time every model on one frame; returns how well the two paths agree (min cosine)."""
        timer.time(self.prefix + "detector", lambda: self.plain.infer({0: tensor}))
        timer.time(self.prefix + "with_features", lambda: self.with_maps.infer({0: tensor}))
        n = len(self.layers)
        feed = {i: self.with_maps.get_output_tensor(i + 1).data for i in range(n)}
        feed[n] = boxes
        timer.time(self.prefix + "roi_head", lambda: self.roi.infer(feed))
        timer.time(self.prefix + "with_hwc_map", lambda: self.with_hwc.infer({0: tensor}))
        hwc = [self.with_hwc.get_output_tensor(i + 1).data for i in range(n)]
        pooled = timer.time(self.prefix + "roi_align_numpy", lambda: self.pool(hwc, boxes))
        embedded = timer.time(self.prefix + "head", lambda: self.joint.head(*pooled))
        if timer.keep:
            self.diffs.append(timer.last(self.prefix + "with_features") - timer.last(self.prefix + "detector"))
            self.diffs_hwc.append(timer.last(self.prefix + "with_hwc_map") - timer.last(self.prefix + "detector"))
        return _min_cosine(self.roi.get_output_tensor(0).data, embedded)


def _summary(timer: _Timer, diffs: list[float], diffs_hwc: list[float], prefix: str = "") -> dict[str, Any]:
    """Per-frame medians, the paired extra-output costs and the goal verdict."""
    extra = float(np.median(diffs))
    extra_hwc = float(np.median(diffs_hwc))
    roi_ms = timer.p50(prefix + "roi_head")
    numpy_ms = timer.p50(prefix + "roi_align_numpy") + timer.p50(prefix + "head")
    graph_added = max(extra, 0.0) + roi_ms
    numpy_added = max(extra_hwc, 0.0) + numpy_ms
    added = min(graph_added, numpy_added)
    return {
        "detector_ms": round(timer.p50(prefix + "detector"), 3),
        "detector_with_features_ms": round(timer.p50(prefix + "with_features"), 3),
        "extra_output_ms": round(extra, 3),
        "extra_output_ms_p5_p95": [round(float(v), 3) for v in np.percentile(diffs, (5, 95))],
        "roi_head_ms": round(roi_ms, 3),
        "roi_head_ms_p95": percentiles(timer.samples[prefix + "roi_head"], (95,))["p95"],
        "detector_with_hwc_map_ms": round(timer.p50(prefix + "with_hwc_map"), 3),
        "extra_hwc_output_ms": round(extra_hwc, 3),
        "roi_align_numpy_ms": round(timer.p50(prefix + "roi_align_numpy"), 3),
        "head_ms": round(timer.p50(prefix + "head"), 3),
        "numpy_path_ms": round(numpy_ms, 3),
        "joint_added_graph_ms": round(graph_added, 3),
        "joint_added_numpy_ms": round(numpy_added, 3),
        "joint_added_ms": round(added, 3),
        "joint_added_vs_detector": round(added / timer.p50(prefix + "detector"), 4),
        "goal_ms": GOAL_MS,
        "goal_met": added <= GOAL_MS,
    }


def _min_cosine(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    """Smallest row-wise cosine between two embedding matrices (1.0: the paths agree)."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.min(np.sum(a * b, axis=1)))


def _crop_embedder(model: str, assets_dir: str | None) -> OpenVINOCropEmbedder | None:
    """The runtime's crop embedder for a model (its default precision), or None when missing."""
    cfg = ReidConfig(model=model)
    try:
        path = resolve_model_file(model, cfg.precision, assets_dir)
    except PictagError:
        return None
    return OpenVINOCropEmbedder(
        path, input_format=cfg.input_format, precision=cfg.precision, num_requests=cfg.num_requests
    )


def head_after_roi_align(model: ov.Model) -> tuple[ov.Model, dict[str, Any]]:
    """`pictag.reid.joint_head.head_after_roi_aligns` for a one-layer IR, settings as a dict (older callers).

    Raises:
        ModelError: the IR has more than one feature input, or is off the joint-mode contract.
    """
    head, settings = head_after_roi_aligns(model)
    if len(settings) != 1:
        raise ModelError(
            f"model={model.get_friendly_name()} reason=not_joint: expected one ROIAlign, found {len(settings)}"
        )
    s = settings[0]
    return head, {
        "output_hw": s.output_hw,
        "spatial_scale": s.spatial_scale,
        "sampling_ratio": s.sampling_ratio,
        "mode": s.mode,
        "aligned_mode": s.aligned_mode,
    }
