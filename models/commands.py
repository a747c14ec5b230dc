"""Implementations behind ``pictag eval reid``, ``pictag train reid``, ``pictag models export|quantize``.

The argparse side lives in ``pictag/cli/reid_cmds.py`` (no torch there); these functions take
plain values and return JSON-able dicts. Torch/Ultralytics/NNCF are imported where needed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov

from pictag import assets
from pictag.errors import ModelError
from pictag.models import evaluate as ev
from pictag.models.backbone import LAYER_STRIDE, cut_prefix
from pictag.reid.joint_head import joint_layers
from pictag.reid.model_files import JOINT_LAYER_KEY, joint_model_path, resolve_model_file
from pictag.reid.openvino_embedder import OpenVINOCropEmbedder

log = logging.getLogger(__name__)

DETECTOR = "yolo11n_int8_openvino_model"
JOINT_SUFFIX = "-joint"


def _detector_xml(name: str, assets_dir: str | None = None) -> Path:
    path = assets.resolve(name, assets_dir)
    if path.is_dir():
        xmls = sorted(path.glob("*.xml"))
        if not xmls:
            raise ModelError(f"model={path} reason=no_xml: expected an OpenVINO export folder")
        return xmls[0]
    return path


def eval_reid(
    videos: list[str],
    gts: list[str],
    models: list[str],
    frame_offset: int = 1,
    plot: str | None = None,
    detector: str = DETECTOR,
    assets_dir: str | None = None,
) -> dict[str, Any]:
    """Every model on the same time-gap sets; JSON contract ``{"models": {NAME: {...}}}``."""
    evalset = ev.build_eval_set(videos, gts, frame_offset)
    results: dict[str, Any] = {}
    embs: dict[str, np.ndarray] = {}
    for spec in models:
        name, _, path = spec.partition("=")
        if name.endswith(JOINT_SUFFIX):
            res, emb = eval_joint(path or name, evalset, videos, detector, assets_dir)
        else:
            target = path or ev.KNOWN_MODELS.get(name, name)
            embedder = OpenVINOCropEmbedder(resolve_model_file(target, "f32", assets_dir))
            res, emb = ev.evaluate_model(name, embedder.embed_crops, evalset)
        results[name] = res
        embs[name] = emb
    if plot:
        ev.plot_histograms(embs, evalset, plot)
    return {
        "protocol": {
            "videos": [str(v) for v in videos],
            "gallery": int(len(evalset.gallery)),
            "queries": int(len(evalset.query)),
            "identities": int(len(np.unique(evalset.crops.ids))),
        },
        "models": results,
    }


def eval_joint(
    name: str, evalset: ev.EvalSet, videos: list[str], detector: str, assets_dir: str | None = None
) -> tuple[dict[str, Any], np.ndarray]:
    """A joint-mode model: detector feature map + RoIAlign + head on the ground-truth boxes."""
    from pictag.models.joint import DetectorWithFeatures
    from pictag.models.joint_data import joint_outputs

    core = ov.Core()
    roi_model = core.read_model(str(joint_model_path(name)))
    fmap = roi_model.inputs[0].get_partial_shape()
    channels, map_h = fmap[1].get_length(), fmap[2].get_length()
    layers = joint_layers(roi_model)
    det = DetectorWithFeatures(
        _detector_xml(detector, assets_dir), layers, size=map_h * LAYER_STRIDE[layers[0]], core=core
    )
    used = np.union1d(evalset.gallery, evalset.query)
    crops = evalset.crops.subset(used)
    emb_used, ms = joint_outputs(crops, dict(enumerate(videos)), det, roi_model, core, progress=name)
    emb = np.zeros((len(evalset.crops), emb_used.shape[1]), np.float32)
    emb[used] = emb_used / np.linalg.norm(emb_used, axis=1, keepdims=True)
    result = ev.score_embeddings(emb, evalset)
    result["ms_per_crop"] = ms
    log.info(
        "%s (joint, layers %s, %d channels): rank1 %.3f map %.3f",
        name,
        layers,
        channels,
        result["rank1"],
        result["map"],
    )
    return result, emb


def write_json(data: dict[str, Any], path: str | None) -> None:
    """Write ``data`` to ``path`` (pretty) when given."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2) + "\n")


def train_reid(
    scene: str,
    eval_scene: str | None,
    out: Path,
    work: Path,
    *,
    layer: int = 6,
    head: str = "attention",
    steps: int = 600,
    views: int = 4,
    every: int = 1,
    seed: int = 0,
    joint: bool = True,
    name: str = "reid-lite",
    assets_dir: str | None = None,
) -> dict[str, Any]:
    """Train, export (FP32 head + INT8 head on the INT8 detector prefix), verify and measure.

    Writes into ``out``: ``NAME.pt`` (checkpoint), ``NAME.xml`` (+``-int8``), with ``joint``
    also ``NAME-joint.xml`` (RoIAlign + head for the detector's feature map), and
    ``NAME.json`` (settings, history, metrics).
    """
    import torch

    from pictag.models.crops import time_gap_split
    from pictag.models.data import DETECTOR_IR, DataConfig, build_train_data, scene_crops
    from pictag.models.export import cosine_agreement, head_to_ov, save_reid_ir, stitch
    from pictag.models.features import cached, prefix_runner
    from pictag.models.heads import build_head, param_count
    from pictag.models.metrics import retrieval_scores
    from pictag.models.quantize import quantize_model
    from pictag.models.train import TrainConfig, embed_features, train_head

    torch.set_num_threads(2)
    data_cfg = DataConfig(scene=scene, layer=layer, views=views, every=every, seed=seed)
    data, _ = build_train_data(data_cfg, work, assets_dir)
    detector_xml = assets.resolve(DETECTOR_IR, assets_dir)
    channels, grid_h, grid_w = data.inputs(np.array([0]), np.random.default_rng(0)).shape[1:]
    evaluate = None
    if eval_scene:
        evc = scene_crops(eval_scene, assets_dir=assets_dir)
        g, q = time_gap_split(evc.ids, evc.frames)
        eval_feats = cached(
            work,
            f"evfeats_l{layer}_{eval_scene}",
            lambda: prefix_runner(detector_xml, layer)(evc.crops),
        )

        def evaluate(model: torch.nn.Module) -> dict[str, float]:
            e = embed_features(model, eval_feats)
            s = retrieval_scores(e[q], evc.ids[q], e[g], evc.ids[g])
            return {"rank1": s.rank1, "map": s.map}

    model = build_head(head, channels, (grid_h, grid_w))
    config = TrainConfig(steps=steps, seed=seed, eval_every=max(steps // 4, 1))
    start = time.perf_counter()
    history = train_head(model, data, config, evaluate)
    train_s = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "head": head,
        "layer": layer,
        "channels": int(channels),
        "grid": [int(grid_h), int(grid_w)],
        "backbone": DETECTOR,
        "data": asdict(data_cfg),
        "train": asdict(config),
        "params": param_count(model),
    }
    torch.save({"meta": meta, "state_dict": model.state_dict()}, out / f"{name}.pt")
    # Export: head (float) stitched on the detector's INT8 prefix; then an INT8 head.
    core = ov.Core()
    prefix = cut_prefix(core.read_model(str(detector_xml)), layer, (256, 128))
    head_ir = head_to_ov(model, (int(channels), int(grid_h), int(grid_w)))
    fp32_path = save_reid_ir(stitch(prefix, head_ir), out / f"{name}.xml")
    calib = data.inputs(
        np.random.default_rng(seed).choice(len(data.view_crop), 300, replace=False),
        np.random.default_rng(seed),
    ).numpy()
    head_int8 = quantize_model(head_to_ov(model, (int(channels), int(grid_h), int(grid_w))), [c[None] for c in calib])
    prefix = cut_prefix(core.read_model(str(detector_xml)), layer, (256, 128))
    int8_path = save_reid_ir(stitch(prefix, head_int8), out / f"{name}-int8.xml")
    report: dict[str, Any] = {
        "meta": meta,
        "train_seconds": train_s,
        "history": {"steps": history.steps, "seconds": history.seconds, "evals": history.evals},
    }
    if eval_scene:
        torch_emb = embed_features(model, eval_feats)
        ir_emb = OpenVINOCropEmbedder(fp32_path).embed_crops(evc.crops)
        report["export_cosine_mean_min"] = cosine_agreement(torch_emb, ir_emb)
    if joint:
        report["joint"] = train_joint(
            model, scene, layer, (int(grid_h), int(grid_w)), out, name, work, seed, assets_dir
        )
    (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    report["paths"] = [str(fp32_path), str(int8_path)]
    return report


def train_joint(
    crop_head: Any,
    scene: str,
    layer: int,
    grid: tuple[int, int],
    out: Path,
    name: str,
    work: Path,
    seed: int,
    assets_dir: str | None,
) -> dict[str, Any]:
    """Joint-mode head: trained on RoIAligned detector features of the labelled crops of ``scene``.

    Starts from the crop-mode head (same input shape) and fine-tunes it on the joint features
    with the same losses (teacher = 0277 on the crops). Saves ``NAME-joint.xml``.
    """
    import copy

    import torch

    from pictag.models.data import DETECTOR_IR, SCENES, DataConfig, training_crops
    from pictag.models.export import head_to_ov
    from pictag.models.features import cached, crops_key
    from pictag.models.joint import DetectorWithFeatures, roi_head_model
    from pictag.models.joint_data import joint_outputs, roi_feature_model
    from pictag.models.train import TrainConfig, TrainData, feature_inputs, train_head

    crops, labels, teacher = training_crops(DataConfig(scene=scene, unlabelled=False), work, assets_dir)
    det_xml = assets.resolve(DETECTOR_IR, assets_dir)
    det = DetectorWithFeatures(det_xml, layer)
    channels = crop_head.channels
    video = assets.resolve(SCENES[scene][0], assets_dir)
    seq = int(crops.seq[0])
    feats = cached(
        work,
        f"joint_l{layer}_{crops_key(crops.crops)}",
        lambda: joint_outputs(
            crops,
            {seq: video},
            det,
            roi_feature_model(det, channels, grid),
            progress="joint features",
        )[0].astype(np.float16),
    )
    flipped = np.ascontiguousarray(feats[..., ::-1])
    all_feats = np.concatenate([feats, flipped])
    data = TrainData(feature_inputs(all_feats), np.tile(np.arange(len(crops)), 2), labels, teacher)
    head = copy.deepcopy(crop_head)
    train_head(head, data, TrainConfig(steps=300, seed=seed, lr=1e-3, unlabelled_batch=0))
    size = det.size // det.stride
    model = roi_head_model(head_to_ov(head, (channels, *grid), batch=-1), channels, grid, det.stride, (size, size))
    model.set_rt_info(str(layer), JOINT_LAYER_KEY)
    path = out / f"{name}-joint.xml"
    ov.save_model(model, str(path), compress_to_fp16=False)
    torch.save({"state_dict": head.state_dict()}, out / f"{name}-joint.pt")
    return {"path": str(path), "crops": len(crops)}


def export_checkpoint(
    checkpoint: str, out: str | None, imgsz: int = 640, layers: tuple[int, ...] = (6,)
) -> dict[str, Any]:
    """Ultralytics YOLO ``.pt`` (or ``.yaml``) → OpenVINO IR folder, checked for the re-id cut."""
    import shutil

    from pictag.models.torchvision_stub import import_ultralytics

    import_ultralytics()
    from ultralytics import YOLO  # type: ignore[attr-defined]

    model = YOLO(checkpoint)
    exported = Path(
        model.export(format="openvino", imgsz=imgsz, half=False, int8=False, dynamic=False, verbose=False)
    ).resolve()
    if out and Path(out).resolve() != exported:
        target = Path(out).resolve()
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(exported), target)
        exported = target
    xml = next(exported.glob("*.xml"))
    core = ov.Core()
    ir = core.read_model(str(xml))
    checks = {}
    for layer in layers:
        prefix = cut_prefix(ir, layer, (256, 128))
        checks[f"layer{layer}"] = [int(d) for d in prefix.outputs[0].get_shape()]
    return {
        "ir": str(xml),
        "outputs": [str(o.get_partial_shape()) for o in ir.outputs],
        "reid_prefix": checks,
    }


def quantize_detector(model_dir: str, video: str, out: str, frames: int = 300, holdout: int = 50) -> dict[str, Any]:
    """NNCF INT8 of a detector IR calibrated on the user's own video; reports detection agreement.

    Calibration frames and held-out frames are disjoint (every other sampled frame).
    """
    import shutil

    from pictag.models.quantize import detection_agreement, frame_samples, quantize_model

    src = Path(model_dir)
    xml = next(src.glob("*.xml")) if src.is_dir() else src
    core = ov.Core()
    model = core.read_model(str(xml))
    size = int(model.inputs[0].get_partial_shape()[2].get_length())
    samples = frame_samples(video, size, frames + holdout)
    held, calib = samples[:: max(1, len(samples) // holdout)][:holdout], samples
    held_ids = {id(s) for s in held}
    calib = [s for s in samples if id(s) not in held_ids]
    int8 = quantize_model(model, calib, subset_size=len(calib))
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        for extra in src.iterdir():
            if extra.suffix not in (".xml", ".bin"):
                shutil.copy(extra, target / extra.name)
    int8_xml = target / xml.name
    ov.save_model(int8, str(int8_xml), compress_to_fp16=False)
    ref = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    q = core.compile_model(str(int8_xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    ref_out = [ref(s)[0] for s in held]
    q_out = [q(s)[0] for s in held]
    timing = {}
    for label, compiled in (("fp32", ref), ("int8", q)):
        compiled(held[0])
        start = time.perf_counter()
        for s in held[:20]:
            compiled(s)
        timing[f"ms_{label}"] = (time.perf_counter() - start) * 1e3 / min(20, len(held))
    return {
        "ir": str(int8_xml),
        "calibration_frames": len(calib),
        "heldout_frames": len(held),
        "agreement_with_fp32": detection_agreement(np.array(ref_out), np.array(q_out)),
        **timing,
    }
