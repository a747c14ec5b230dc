"""RoIAligned detector features for labelled crops (joint-mode training and evaluation).

For every crop of a `CropSet` (which knows its video frame and box) the detector runs once
per frame with its extra feature output, and each box is RoIAligned to the head's grid — the
exact features the joint-mode runtime sees.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import openvino as ov
from tqdm import tqdm

from pictag.models.crops import CropSet
from pictag.models.joint import DetectorWithFeatures, roi_head_model


def _video_source(video: str | Path) -> str:
    path = Path(video)
    if path.is_dir():
        first = min(p.name for p in path.iterdir() if p.suffix == ".jpg")
        return str(path / f"%0{len(Path(first).stem)}d.jpg")
    return str(path)


def joint_outputs(
    crops: CropSet,
    videos: dict[int, str | Path],
    detector: DetectorWithFeatures,
    roi_model: ov.Model,
    core: ov.Core | None = None,
    progress: str | None = None,
) -> tuple[npt.NDArray[np.float32], float]:
    """Run ``roi_model`` (features + boxes → outputs) on each crop's frame and box.

    Args:
        crops: crops whose ``seq`` keys ``videos`` and whose ``frames``/``boxes`` locate them.
        videos: video (or image folder) per sequence index.
        detector: detector IR with the feature output.
        roi_model: from `roi_head_model` (with a head: embeddings; without: features).

    Returns:
        Outputs in crop order, and milliseconds of ``roi_model`` per crop (detector excluded:
        it runs anyway).
    """
    core = core or ov.Core()
    compiled = core.compile_model(roi_model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    out_shape = tuple(compiled.outputs[0].get_partial_shape().get_min_shape())[1:]
    result = np.zeros((len(crops), *[int(d) for d in out_shape]), np.float32)
    roi_seconds = 0.0
    for seq, video in videos.items():
        in_seq = np.flatnonzero(crops.seq == seq)
        wanted = set(crops.frames[in_seq].tolist())
        cap = cv2.VideoCapture(_video_source(video))
        index = 0
        bar = tqdm(total=len(wanted), desc=progress, leave=False, disable=progress is None)
        while wanted:
            ok, frame = cap.read()
            if not ok:
                break
            if index in wanted:
                wanted.discard(index)
                rows = in_seq[crops.frames[in_seq] == index]
                _, maps, lb = detector.maps(frame)
                feed: dict[int, npt.NDArray[np.float32]] = dict(enumerate(maps))
                feed[len(maps)] = lb.to_input(crops.boxes[rows])
                start = time.perf_counter()
                request.infer(feed)
                roi_seconds += time.perf_counter() - start
                result[rows] = request.get_output_tensor(0).data
                bar.update(1)
            index += 1
        bar.close()
        cap.release()
    return result, roi_seconds * 1e3 / max(len(crops), 1)


def roi_feature_model(detector: DetectorWithFeatures, channels: int, grid: tuple[int, int]) -> ov.Model:
    """RoIAlign only (no head): features for training a joint-mode head."""
    size = detector.size // detector.stride
    return roi_head_model(None, channels, grid, detector.stride, (size, size))
