"""Unlabelled person crops from every video and image we have, found by a detector.

For distillation the teacher provides the target, so any person crop helps: more scenes,
clothes, poses and lighting than the 19 + 8 labelled identities. The OMZ
person-detection-retail-0013 SSD is used (runs on OpenVINO, simple output), with the same
quality filter the runtime applies before embedding.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag.models.crops import CROP_HW, CropSet
from pictag.reid.crops import CropQuality, extract_crops

log = logging.getLogger(__name__)

DETECTOR = "intel/person-detection-retail-0013"


class PersonDetector:
    """OMZ person-detection-retail-0013: BGR frame → xyxy boxes and scores."""

    def __init__(self, xml: str | Path, core: ov.Core | None = None) -> None:
        core = core or ov.Core()
        self._compiled = core.compile_model(str(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        shape = self._compiled.inputs[0].get_shape()
        self._hw = (int(shape[2]), int(shape[3]))

    def __call__(
        self, frame: npt.NDArray[np.uint8], min_score: float = 0.5
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        h, w = frame.shape[:2]
        blob = cv2.resize(frame, (self._hw[1], self._hw[0])).transpose(2, 0, 1)[None].astype(np.float32)
        det = self._compiled(blob)[0].reshape(-1, 7)
        det = det[(det[:, 2] >= min_score) & (det[:, 1] == 1)]
        boxes = det[:, 3:7] * np.array([w, h, w, h], np.float32)
        return boxes.astype(np.float32), det[:, 2].astype(np.float32)


def _frames(source: Path, every: int) -> Iterator[tuple[int, npt.NDArray[np.uint8]]]:
    if source.is_dir():
        for i, path in enumerate(sorted(p for p in source.iterdir() if p.suffix.lower() in (".jpg", ".png"))):
            if i % every == 0:
                img = cv2.imread(str(path))
                if img is not None:
                    yield i, img
        return
    cap = cv2.VideoCapture(str(source))
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            yield i, frame
        i += 1
    cap.release()


def detector_crops(
    sources: list[tuple[Path, int]],
    detector: PersonDetector,
    quality: CropQuality,
    seq_base: int = 100,
) -> CropSet:
    """Good-quality detector crops from videos or image folders, each sampled every k-th frame.

    Args:
        sources: ``(video file or image folder, every)`` pairs.
        detector: the person detector.
        quality: the runtime's crop filter (height, score, edge, overlap).
        seq_base: first `CropSet.seq` value (one per source).
    """
    parts: list[CropSet] = []
    for s, (source, every) in enumerate(sources):
        crops, frames, boxes = [], [], []
        for index, frame in _frames(source, every):
            xyxy, score = detector(frame)
            ok = quality.mask(xyxy, score, frame.shape)
            if ok.any():
                crops.append(extract_crops(frame, xyxy[ok], CROP_HW))
                frames.append(np.full(int(ok.sum()), index, np.int64))
                boxes.append(xyxy[ok])
        if not crops:
            continue
        n = sum(len(c) for c in crops)
        log.info("unlabelled crops: %d from %s", n, source)
        parts.append(
            CropSet(
                np.concatenate(crops),
                np.full(n, -1, np.int64),
                np.concatenate(frames),
                np.full(n, seq_base + s, np.int64),
                np.concatenate(boxes),
            )
        )
    if not parts:
        return CropSet(
            np.zeros((0, *CROP_HW, 3), np.uint8),
            *(np.zeros(0, np.int64),) * 3,
            np.zeros((0, 4), np.float32),
        )
    return CropSet.concat(parts)
