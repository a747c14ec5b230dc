"""Training data builder: labelled crops of one scene + unlabelled detector crops of other footage.

Scenes are named so cross-scene experiments are one word each way: train on ``pets``
(PETS09-S2L1, 19 ids), evaluate on ``tud`` (TUD-Campus, 8 ids), and vice versa. Unlabelled
crops come from footage that is *neither* scene (one-by-one shop video, MOT17-mini frames),
so the evaluation scene is never seen in training, not even without labels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pictag import assets
from pictag.models import augment as aug
from pictag.models.crops import CropSet, crops_from_video
from pictag.models.features import cached, crops_key, prefix_runner, teacher_runner
from pictag.models.train import TrainData, feature_inputs
from pictag.models.unlabelled import DETECTOR, PersonDetector, detector_crops
from pictag.reid.crops import CropQuality
from pictag.reid.model_files import resolve_model_file

log = logging.getLogger(__name__)

#: Labelled scenes: name → (video asset, gt asset, gt frame of video frame 0).
SCENES: dict[str, tuple[str, str, int]] = {
    "pets": ("vtest.avi", "mot/PETS09-S2L1/gt/gt.txt", 1),
    "tud": ("TUD-Campus.mp4", "mot/TUD-Campus/gt/gt.txt", 1),
}
#: Unlabelled footage run through the person detector (asset, every k-th frame).
UNLABELLED_VIDEOS: tuple[tuple[str, int], ...] = (("one-by-one-person-detection.mp4", 1),)
#: MOT17-mini sequences: their gt boxes (visible >= 50 %) are used as unlabelled crops (4-8
#: frames each: too short for identity labels to mean much, but 1920x1080 crowds).
MOT17_MINI = tuple(f"mot/MOT17-mini/train/MOT17-{s}-FRCNN" for s in ("02", "04", "05", "09", "10", "11", "13"))
DETECTOR_IR = "yolo11n_int8_openvino_model/yolo11n.xml"
TEACHER = "intel/person-reidentification-retail-0277"


@dataclass(frozen=True)
class DataConfig:
    """What goes into the cached training set."""

    scene: str = "pets"
    layer: int = 6
    views: int = 4
    every: int = 1
    unlabelled: bool = True
    seed: int = 0
    #: Teacher embeds every augmented view (consistent distillation) instead of the crop only.
    teacher_views: bool = True


def scene_crops(name: str, every: int = 1, assets_dir: str | None = None) -> CropSet:
    """Labelled crops of a scene (`SCENES`), ids offset so scenes never share labels."""
    video, gt, offset = SCENES[name]
    return crops_from_video(
        assets.resolve(video, assets_dir),
        assets.resolve(gt, assets_dir),
        frame_offset=offset,
        seq_index=list(SCENES).index(name),
        id_base=100_000 * list(SCENES).index(name),
        every=every,
    )


def unlabelled_crops(work: Path, assets_dir: str | None = None) -> CropSet:
    """Detector crops of `UNLABELLED`, cached in ``work`` (detection is the slow part)."""
    path = work / "unlabelled.npz"
    if path.exists():
        z = np.load(path)
        return CropSet(z["crops"], z["ids"], z["frames"], z["seq"], z["boxes"])
    detector = PersonDetector(resolve_model_file(DETECTOR))
    sources = [(assets.resolve(name, assets_dir), every) for name, every in UNLABELLED_VIDEOS]
    quality = CropQuality(min_height=60, min_confidence=0.6, max_overlap=0.3, edge_margin=2)
    parts = [detector_crops(sources, detector, quality)]
    for i, seq in enumerate(MOT17_MINI):
        root = assets.resolve(seq, assets_dir)
        part = crops_from_video(root / "img1", root / "gt" / "gt.txt", seq_index=200 + i, min_visibility=0.5)
        parts.append(CropSet(part.crops, np.full(len(part), -1, np.int64), part.frames, part.seq, part.boxes))
    crops = CropSet.concat(parts)
    work.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        crops=crops.crops,
        ids=crops.ids,
        frames=crops.frames,
        seq=crops.seq,
        boxes=crops.boxes,
    )
    return crops


def make_views(crops: np.ndarray, views: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """View 0: the crop; 1: mirrored; 2..: random augmentations. Returns (views, crop index)."""
    rng = np.random.default_rng(seed)
    out = [crops]
    if views > 1:
        out.append(aug.flip(crops))
    out.extend(aug.augment(crops, rng) for _ in range(views - 2))
    return np.concatenate(out), np.tile(np.arange(len(crops)), len(out))


def training_crops(
    config: DataConfig, work: Path, assets_dir: str | None = None
) -> tuple[CropSet, np.ndarray, np.ndarray]:
    """Labelled + unlabelled crops, their dense labels (-1: unlabelled) and teacher embeddings."""
    labelled = scene_crops(config.scene, config.every, assets_dir)
    parts = [labelled]
    if config.unlabelled:
        parts.append(unlabelled_crops(work, assets_dir))
    crops = CropSet.concat(parts)
    # Dense labels 0..n_ids-1 for labelled crops, -1 for unlabelled ones.
    lab_ids = np.unique(crops.ids[crops.ids >= 0])
    labels = np.full(len(crops), -1, np.int64)
    labels[crops.ids >= 0] = np.searchsorted(lab_ids, crops.ids[crops.ids >= 0])
    key = crops_key(crops.crops)
    teacher = cached(
        work,
        f"teacher_{key}",
        lambda: teacher_runner(resolve_model_file(TEACHER))(crops.crops, np.float32, progress="teacher 0277"),
    )
    log.info("training crops: %d (%d labelled, %d ids)", len(crops), len(labelled), len(lab_ids))
    return crops, labels, np.asarray(teacher, np.float32)


def build_train_data(config: DataConfig, work: Path, assets_dir: str | None = None) -> tuple[TrainData, CropSet]:
    """Training crops → augmented views → cached frozen-backbone features (+ labels, teacher)."""
    crops, labels, teacher = training_crops(config, work, assets_dir)
    key = crops_key(crops.crops, config.views, config.seed)
    detector = assets.resolve(DETECTOR_IR, assets_dir)

    views: list[np.ndarray] = []

    def get_views() -> np.ndarray:
        if not views:
            views.append(make_views(crops.crops, config.views, config.seed)[0])
        return views[0]

    feats = cached(
        work,
        f"feats_l{config.layer}_{key}",
        lambda: prefix_runner(detector, config.layer)(get_views(), np.float16, progress=f"backbone l{config.layer}"),
    )
    if config.teacher_views:
        teacher = cached(
            work,
            f"teacher_views_{key}",
            lambda: teacher_runner(resolve_model_file(TEACHER))(
                get_views(), np.float32, progress="teacher 0277 (views)"
            ),
        )
    view_crop = np.tile(np.arange(len(crops)), config.views)
    return TrainData(feature_inputs(feats), view_crop, labels, teacher), crops
