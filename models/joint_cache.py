"""Joint-mode training samples: the detector's own RoIAligned features of every person box, per frame view.

Joint mode embeds a person from the detector's feature maps of the whole frame, so its
training data are frames, not crops: each frame of a source (a labelled scene, or unlabelled
footage) is augmented into ``views`` (view 0: the frame as is; 1: mirrored; 2..: random
zoom, mirror, colour jitter, per-person hue shift, box jitter, occlusion), letterboxed as the
runtime does it, run through the INT8 detector with extra feature outputs, and every person
box is RoIAligned on each layer's map with `pictag.reid.roi_align` (the runtime's numpy
RoIAlign). The teachers (OMZ 0277, 0287) embed a crop of the *same augmented frame* at the
same box, so distillation targets match what the student sees.

Boxes: labelled scenes use the ground truth with the evaluation protocol's filter
(`pictag.models.crops.select_boxes`: >= 60 px tall, >= 60 % inside), in the exact row order
of `crops_from_video`, so view 0 of a scene *is* its `pictag eval reid` set. MOT17-mini
uses its ground-truth boxes (visibility >= 0.5) without identities; other footage uses the
detector's own person boxes of view 0 that pass the runtime's crop filter.

Everything is cached per source in ``work/<source>-<key>/`` as ``.npy`` files (memory-mapped
when read), so a run that is stopped resumes at the next source.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag import assets
from pictag.detection.decode import decode_yolo
from pictag.models.augment import _colour_jitter, _hue_shift
from pictag.models.crops import CROP_HW, load_gt, select_boxes
from pictag.models.features import CropModelRunner, teacher_runner
from pictag.models.joint import DetectorWithFeatures
from pictag.reid.crops import CropQuality, extract_crops
from pictag.reid.model_files import resolve_model_file
from pictag.reid.roi_align import roi_align

log = logging.getLogger(__name__)

DETECTOR_IR = "yolo11n_int8_openvino_model/yolo11n.xml"
#: Teachers whose embeddings are stored for every sample (training time only).
TEACHERS = {
    "0277": "intel/person-reidentification-retail-0277",
    "0287": "intel/person-reidentification-retail-0287",
}
#: Runtime crop filter for detector-found boxes of unlabelled footage.
UNLABELLED_QUALITY = CropQuality(min_height=60, min_confidence=0.6, max_overlap=0.3, edge_margin=2)


@dataclass(frozen=True)
class Source:
    """A video (or image folder) the joint-mode data is made from.

    Attributes:
        name: short unique name (fold names for labelled scenes: ``pets``, ``tud``).
        video: asset name of the video, GIF or image folder.
        gt: MOTChallenge gt.txt asset; None: boxes come from the detector.
        labelled: identities of ``gt`` are labels (False: gt boxes used without identities).
        frame_offset: gt frame number of video frame 0.
        min_visibility: MOT17 visibility filter of gt boxes.
    """

    name: str
    video: str
    gt: str | None = None
    labelled: bool = False
    frame_offset: int = 1
    min_visibility: float = 0.0


#: Labelled scenes: the leave-one-scene-out folds.
LABELLED: dict[str, Source] = {
    "pets": Source("pets", "vtest.avi", "mot/PETS09-S2L1/gt/gt.txt", labelled=True),
    "tud": Source("tud", "TUD-Campus.mp4", "mot/TUD-Campus/gt/gt.txt", labelled=True),
}
_GIFS = (
    "classroom",
    "face-demographics-walking-and-pause",
    "face-demographics-walking",
    "head-pose-face-detection-female-and-male",
    "person-bicycle-car-detection",
    "store-aisle-detection",
    "worker-zone-detection",
)
_MOT17 = ("02", "04", "05", "09", "10", "11", "13")
#: Unlabelled footage: every frame of every clip we have that is not a labelled scene.
UNLABELLED: dict[str, Source] = {
    "one-by-one": Source("one-by-one", "one-by-one-person-detection.mp4"),
    **{f"gif-{g}": Source(f"gif-{g}", f"videos/intel-previews/{g}.gif") for g in _GIFS},
    **{
        f"mot17-{s}": Source(
            f"mot17-{s}",
            f"mot/MOT17-mini/train/MOT17-{s}-FRCNN/img1",
            f"mot/MOT17-mini/train/MOT17-{s}-FRCNN/gt/gt.txt",
            min_visibility=0.5,
        )
        for s in _MOT17
    },
}
SOURCES: dict[str, Source] = {**LABELLED, **UNLABELLED}


@dataclass(frozen=True)
class ViewConfig:
    """How frames are augmented into views (view 0 is always the untouched frame, 1 its mirror).

    Attributes:
        views: views per frame.
        zoom: (lowest, highest) zoom; > 1 crops a window of the frame (people look bigger),
            < 1 pads it (smaller).
        colour: colour jitter strength (brightness, contrast, saturation).
        hue: largest per-person hue shift (OpenCV units, 0..90); a hue-shifted labelled box
            loses its label (its clothes changed colour) and is used for distillation only.
        hue_prob: probability of a hue shift per box.
        box_jitter: largest box shift/scale as a fraction of its size.
        erase_prob: probability of a random occluding rectangle inside a box.
        seed: base seed (views are seeded by source, frame and view).
    """

    views: int = 4
    zoom: tuple[float, float] = (0.8, 1.5)
    colour: float = 0.3
    hue: int = 30
    hue_prob: float = 0.5
    box_jitter: float = 0.08
    erase_prob: float = 0.3
    seed: int = 0


@dataclass(frozen=True)
class FeatureConfig:
    """Which detector layers are pooled, to which grids (one cache per setting)."""

    layers: tuple[int, ...] = (2, 4, 6, 16, 19)
    grids: tuple[tuple[int, int], ...] = ((16, 8),) * 5
    size: int = 640
    teachers: tuple[str, ...] = ("0277", "0287")
    max_frames: int | None = None
    every: int = 1
    views: ViewConfig = field(default_factory=ViewConfig)

    def key(self, source: Source) -> str:
        """Cache folder name: source + hash of every setting that changes the arrays."""
        text = json.dumps({"source": asdict(source), "cfg": asdict(self)}, sort_keys=True)
        return f"{source.name}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"

    def feature_name(self, layer: int, grid: tuple[int, int]) -> str:
        """Array name of one pooled level."""
        return f"l{layer}_{grid[0]}x{grid[1]}"


@dataclass(frozen=True)
class SourceSamples:
    """All samples of one source (every box of every frame view), arrays memory-mapped.

    Attributes:
        source: where they come from.
        feats: level name → ``(n, C, h, w) float16`` RoIAligned features.
        teachers: teacher name → ``(n, 256) float16`` embeddings of the same view's crop.
        ids: ``(n,)`` identity (gt id for labelled scenes, -1 otherwise; the hue-shifted
            boxes of labelled scenes are -1 too: their clothes changed colour).
        person: ``(n,)`` gt id even where ``ids`` is -1 (-1 for unlabelled footage).
        frames: ``(n,)`` video frame index.
        views: ``(n,)`` view index (0: the untouched frame).
        box: ``(n,)`` index of the box in its frame's box list of view 0.
    """

    source: Source
    feats: dict[str, npt.NDArray[np.float16]]
    teachers: dict[str, npt.NDArray[np.float16]]
    ids: npt.NDArray[np.int64]
    person: npt.NDArray[np.int64]
    frames: npt.NDArray[np.int64]
    views: npt.NDArray[np.int64]
    box: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def iter_frames(path: Path, every: int = 1, stop: int | None = None) -> Iterator[tuple[int, npt.NDArray[np.uint8]]]:
    """``(index, BGR frame)`` of a video, GIF or image folder (every k-th, up to ``stop`` frames)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".jpg", ".png"))
        for i, f in enumerate(files[:stop]):
            if i % every == 0:
                img = cv2.imread(str(f))
                if img is not None:
                    yield i, img
        return
    cap = cv2.VideoCapture(str(path))
    i = 0
    try:
        while stop is None or i < stop:
            ok, frame = cap.read()
            if not ok:
                break
            if i % every == 0:
                yield i, frame
            i += 1
    finally:
        cap.release()


def _gt_by_frame(
    source: Source, frame_wh: tuple[int, int], assets_dir: str | None
) -> dict[int, npt.NDArray[np.float64]]:
    """Ground-truth rows per gt frame, filtered and ordered as `crops_from_video` does."""
    assert source.gt is not None
    gt = select_boxes(load_gt(assets.resolve(source.gt, assets_dir)), frame_wh, 60.0, 0.6, source.min_visibility)
    return {int(f): gt[gt[:, 0] == f] for f in np.unique(gt[:, 0]).astype(int)}


def _xyxy(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    return np.concatenate([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]], axis=1).astype(np.float32)


@dataclass(frozen=True)
class _View:
    frame: npt.NDArray[np.uint8]
    boxes: npt.NDArray[np.float32]
    keep: npt.NDArray[np.bool_]
    hue_shifted: npt.NDArray[np.bool_]


def make_view(
    frame: npt.NDArray[np.uint8], boxes: npt.NDArray[np.float32], view: int, cfg: ViewConfig, rng: np.random.Generator
) -> _View:
    """One view of a frame and its boxes (frame pixels of the view), with which boxes survive."""
    n = len(boxes)
    none = np.zeros(n, bool)
    if view == 0:
        return _View(frame, boxes, np.ones(n, bool), none)
    h, w = frame.shape[:2]
    out = frame
    b = boxes.astype(np.float32).copy()
    flip = view == 1 or rng.random() < 0.5
    if flip:
        out = np.ascontiguousarray(out[:, ::-1])
        b[:, [0, 2]] = w - b[:, [2, 0]]
    if view == 1:
        return _View(out, b, np.ones(n, bool), none)
    zoom = float(np.exp(rng.uniform(np.log(cfg.zoom[0]), np.log(cfg.zoom[1]))))
    if zoom >= 1.0:
        ww, wh = int(round(w / zoom)), int(round(h / zoom))
        x0, y0 = int(rng.integers(0, w - ww + 1)), int(rng.integers(0, h - wh + 1))
        out = np.ascontiguousarray(out[y0 : y0 + wh, x0 : x0 + ww])
        b -= np.array([x0, y0, x0, y0], np.float32)
    else:
        cw, ch = int(round(w / zoom)), int(round(h / zoom))
        x0, y0 = int(rng.integers(0, cw - w + 1)), int(rng.integers(0, ch - h + 1))
        canvas = np.full((ch, cw, 3), 114, np.uint8)
        canvas[y0 : y0 + h, x0 : x0 + w] = out
        out = canvas
        b += np.array([x0, y0, x0, y0], np.float32)
    out = _colour_jitter(out, rng, cfg.colour)
    # box jitter: the detector's boxes are never exactly the ground truth
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    j = rng.uniform(-cfg.box_jitter, cfg.box_jitter, (n, 4)).astype(np.float32)
    b = b + j * np.stack([bw, bh, bw, bh], axis=1)
    oh, ow = out.shape[:2]
    inside_w = np.clip(np.minimum(b[:, 2], ow) - np.maximum(b[:, 0], 0), 0, None)
    inside_h = np.clip(np.minimum(b[:, 3], oh) - np.maximum(b[:, 1], 0), 0, None)
    area = np.maximum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), 1e-6)
    keep = (inside_w * inside_h / area >= 0.6) & ((b[:, 3] - b[:, 1]) >= 40)
    b = np.clip(b, 0, [ow, oh, ow, oh]).astype(np.float32)
    out, hue = _person_edits(out, b, keep, cfg, rng)
    return _View(out, b, keep, hue)


def _person_edits(
    frame: npt.NDArray[np.uint8],
    boxes: npt.NDArray[np.float32],
    keep: npt.NDArray[np.bool_],
    cfg: ViewConfig,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """Per-person hue shift (new clothes colour) and occlusion inside each kept box (``keep`` is updated)."""
    out = frame.copy()
    hue = np.zeros(len(boxes), bool)
    for i in range(len(boxes)):
        if not keep[i]:
            continue
        x1, y1, x2, y2 = (int(round(v)) for v in boxes[i])
        if x2 - x1 < 4 or y2 - y1 < 4:
            keep[i] = False
            continue
        if cfg.hue > 0 and rng.random() < cfg.hue_prob:
            out[y1:y2, x1:x2] = _hue_shift(np.ascontiguousarray(out[y1:y2, x1:x2]), rng, cfg.hue)
            hue[i] = True
        if rng.random() < cfg.erase_prob:
            bh, bw = y2 - y1, x2 - x1
            eh, ew = int(bh * rng.uniform(0.15, 0.4)), int(bw * rng.uniform(0.3, 0.8))
            ey, ex = y1 + int(rng.integers(0, max(bh - eh, 1))), x1 + int(rng.integers(0, max(bw - ew, 1)))
            out[ey : ey + eh, ex : ex + ew] = rng.integers(0, 256, (eh, ew, 3), dtype=np.uint8)
    return out, hue


def _seed(cfg: ViewConfig, source: str, frame: int, view: int) -> int:
    digest = hashlib.sha1(f"{cfg.seed}/{source}/{frame}/{view}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


class _Extractor:
    """Detector (+ feature maps), teachers and RoIAlign for one feature config."""

    def __init__(self, cfg: FeatureConfig, assets_dir: str | None) -> None:
        core = ov.Core()
        self.cfg = cfg
        self.detector = DetectorWithFeatures(assets.resolve(DETECTOR_IR, assets_dir), cfg.layers, cfg.size, core)
        self.teachers: dict[str, CropModelRunner] = {
            t: teacher_runner(resolve_model_file(TEACHERS[t], "f32", assets_dir), core) for t in cfg.teachers
        }

    def person_boxes(self, raw: npt.NDArray[np.float32], lb: Any, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
        det = decode_yolo(raw, lb, confidence=0.25, iou=0.5, max_detections=300, classes=np.array([0]))  # type: ignore[arg-type]
        ok = UNLABELLED_QUALITY.mask(det.xyxy, det.confidence, shape)
        return det.xyxy[ok].astype(np.float32)

    def maps(self, frame: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32]], Any]:
        """Detection output, the feature map of every layer and the letterbox of one frame."""
        return self.detector.maps(frame)

    def pool(
        self, maps: list[npt.NDArray[np.float32]], lb: Any, boxes: npt.NDArray[np.float32]
    ) -> dict[str, npt.NDArray[np.float32]]:
        """Pooled features per level of ``boxes`` (frame pixels)."""
        boxes_in = lb.to_input(boxes)
        return {
            self.cfg.feature_name(layer, grid): roi_align(m, boxes_in, grid, 1.0 / stride)
            for m, layer, grid, stride in zip(maps, self.cfg.layers, self.cfg.grids, self.detector.strides, strict=True)
        }

    def teach(self, frame: npt.NDArray[np.uint8], boxes: npt.NDArray[np.float32]) -> dict[str, npt.NDArray[np.float32]]:
        crops = extract_crops(frame, boxes, CROP_HW)
        return {t: runner(crops, np.float32) for t, runner in self.teachers.items()}


def _frame_samples(
    ex: _Extractor,
    source: Source,
    index: int,
    frame: npt.NDArray[np.uint8],
    gt: dict[int, npt.NDArray[np.float64]] | None,
) -> list[dict[str, npt.NDArray[np.generic]]]:
    """Every view of one frame: arrays of the kept boxes (empty list: no box in this frame)."""
    cfg = ex.cfg
    raw, maps, lb = ex.maps(frame)
    if gt is not None:
        rows = gt.get(index + source.frame_offset)
        if rows is None or len(rows) == 0:
            return []
        boxes = _xyxy(rows)
        ids = rows[:, 1].astype(np.int64) if source.labelled else None
    else:
        boxes, ids = ex.person_boxes(raw, lb, frame.shape), None
        if len(boxes) == 0:
            return []
    first = make_view(frame, boxes, 0, cfg.views, np.random.default_rng(0))
    pooled = ex.pool(maps, lb, boxes)
    person = ids if ids is not None else np.full(len(boxes), -1, np.int64)
    out = []
    for v in range(cfg.views.views):
        if v == 0:
            view, kept = first, np.arange(len(boxes))
        else:
            rng = np.random.default_rng(_seed(cfg.views, source.name, index, v))
            full = make_view(frame, boxes, v, cfg.views, rng)
            kept = np.flatnonzero(full.keep)
            if kept.size == 0:
                continue
            view = _View(full.frame, full.boxes[kept], full.keep[kept], full.hue_shifted[kept])
            _, view_maps, view_lb = ex.maps(view.frame)
            pooled = ex.pool(view_maps, view_lb, view.boxes)
        labels = person[kept] if source.labelled else np.full(len(kept), -1, np.int64)
        labels = np.where(view.hue_shifted, -1, labels)
        out.append(
            {
                **{f"feat_{k}": p.astype(np.float16) for k, p in pooled.items()},
                **{f"teacher_{t}": e.astype(np.float16) for t, e in ex.teach(view.frame, view.boxes).items()},
                "ids": labels.astype(np.int64),
                "person": person[kept].astype(np.int64),
                "frames": np.full(len(kept), index, np.int64),
                "views": np.full(len(kept), v, np.int64),
                "box": kept.astype(np.int64),
            }
        )
    return out


def _frame_size(path: Path) -> tuple[int, int]:
    for _, frame in iter_frames(path, stop=1):
        return int(frame.shape[1]), int(frame.shape[0])
    raise FileNotFoundError(f"no frame could be read from {path}")


def build_source(
    source: Source, cfg: FeatureConfig, work: Path, assets_dir: str | None = None, extractor: _Extractor | None = None
) -> SourceSamples:
    """The samples of one source: loaded from ``work`` when cached, else computed and saved.

    Returns memory-mapped arrays (training reads only the levels it uses).
    """
    folder = work / cfg.key(source)
    done = folder / "done.json"
    if not done.exists():
        _compute_source(source, cfg, folder, extractor or _Extractor(cfg, assets_dir), assets_dir)
    return load_source(source, cfg, work)


#: Frames per saved chunk: a stopped run resumes at the last full chunk.
CHUNK_FRAMES = 50


def _compute_source(source: Source, cfg: FeatureConfig, folder: Path, ex: _Extractor, assets_dir: str | None) -> None:
    """Compute every sample of a source in chunks of frames, then join the chunks into one ``.npy`` per array."""
    video = assets.resolve(source.video, assets_dir)
    gt = _gt_by_frame(source, _frame_size(video), assets_dir) if source.gt else None
    chunks = folder / "chunks"
    chunks.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    parts: list[dict[str, npt.NDArray[np.generic]]] = []
    frames = 0

    def flush(first: int) -> None:
        if parts:
            joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
            np.savez(chunks / f"{first:07d}.npz", **joined)  # type: ignore[arg-type]
        else:
            np.savez(chunks / f"{first:07d}.npz", empty=np.zeros(0))
        parts.clear()

    chunk_start = 0
    for index, frame in iter_frames(video, cfg.every, cfg.max_frames):
        chunk = (frames // CHUNK_FRAMES) * CHUNK_FRAMES
        if chunk != chunk_start:
            if not (chunks / f"{chunk_start:07d}.npz").exists():
                flush(chunk_start)
            chunk_start = chunk
            log.info("%s: %d frames, %.0f s", source.name, frames, time.perf_counter() - start)
        frames += 1
        if (chunks / f"{chunk:07d}.npz").exists():
            continue
        parts.extend(_frame_samples(ex, source, index, frame, gt))
    if not (chunks / f"{chunk_start:07d}.npz").exists():
        flush(chunk_start)
    _join_chunks(cfg, folder, chunks)
    (folder / "done.json").write_text(
        json.dumps(
            {
                "frames": frames,
                "samples": int(np.load(folder / "ids.npy").shape[0]),
                "seconds": time.perf_counter() - start,
                "config": asdict(cfg),
                "source": asdict(source),
            },
            indent=2,
        )
    )
    log.info("%s: cached %s", source.name, folder)


def _join_chunks(cfg: FeatureConfig, folder: Path, chunks: Path) -> None:
    """One memory-mapped ``.npy`` per array from the chunk files (in frame order); chunks removed."""
    files = sorted(chunks.glob("*.npz"))
    loaded = [np.load(f) for f in files]
    loaded = [z for z in loaded if "ids" in z.files]
    for key in _array_keys(cfg):
        if not loaded:
            np.save(folder / f"{key}.npy", _empty(key, cfg))
            continue
        shapes = [z[key].shape for z in loaded]
        total = sum(s[0] for s in shapes)
        out = np.lib.format.open_memmap(folder / f"{key}.npy", "w+", loaded[0][key].dtype, (total, *shapes[0][1:]))
        pos = 0
        for z in loaded:
            arr = z[key]
            out[pos : pos + len(arr)] = arr
            pos += len(arr)
        out.flush()
        del out
    for f in files:
        f.unlink()
    chunks.rmdir()


def _array_keys(cfg: FeatureConfig) -> list[str]:
    return [
        *(f"feat_{cfg.feature_name(k, g)}" for k, g in zip(cfg.layers, cfg.grids, strict=True)),
        *(f"teacher_{t}" for t in cfg.teachers),
        "ids",
        "person",
        "frames",
        "views",
        "box",
    ]


def _empty(key: str, cfg: FeatureConfig) -> npt.NDArray[np.generic]:
    if key.startswith("teacher_"):
        return np.zeros((0, 256), np.float16)
    if key.startswith("feat_"):
        return np.zeros((0, 1, 1, 1), np.float16)
    return np.zeros(0, np.int64)


def load_source(source: Source, cfg: FeatureConfig, work: Path) -> SourceSamples:
    """A cached source (memory-mapped)."""
    folder = work / cfg.key(source)

    def arr(key: str) -> npt.NDArray[np.generic]:
        return np.load(folder / f"{key}.npy", mmap_mode="r")

    return SourceSamples(
        source=source,
        feats={
            cfg.feature_name(k, g): arr(f"feat_{cfg.feature_name(k, g)}")
            for k, g in zip(cfg.layers, cfg.grids, strict=True)
        },  # type: ignore[misc]
        teachers={t: arr(f"teacher_{t}") for t in cfg.teachers},  # type: ignore[misc]
        ids=np.asarray(arr("ids")),
        person=np.asarray(arr("person")),
        frames=np.asarray(arr("frames")),
        views=np.asarray(arr("views")),
        box=np.asarray(arr("box")),
    )


def build_all(
    names: list[str], cfg: FeatureConfig, work: Path, assets_dir: str | None = None
) -> dict[str, SourceSamples]:
    """Every named source (`SOURCES`), cached; the detector and teachers are loaded once, only if needed."""
    extractor: _Extractor | None = None
    out = {}
    for name in names:
        source = SOURCES[name]
        if not (work / cfg.key(source) / "done.json").exists() and extractor is None:
            extractor = _Extractor(cfg, assets_dir)
        out[name] = build_source(source, cfg, work, assets_dir, extractor)
    return out
