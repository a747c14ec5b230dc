"""Person crops for re-identification: which boxes are worth embedding, and cutting them out.

An embedding of a half-visible, occluded or tiny person matches the wrong people, so
identity code embeds only *good* crops (`CropQuality.mask`). The checks are vectorised over
all boxes of a frame: they run on every frame of every camera.

`extract_crops` cuts the boxes out and resizes them to the model's input size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from pictag.config.reid import ReidConfig

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


def _as_boxes(xyxy: npt.ArrayLike) -> FloatArray:
    return np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)


def inside_fraction(xyxy: npt.ArrayLike, width: int, height: int) -> FloatArray:
    """Fraction of each box's area that lies inside a ``width`` x ``height`` frame, ``(n,)``.

    Ground-truth boxes extend past the frame when a person walks out; detector boxes are
    clipped, so for those use `touches_edge` instead.
    """
    b = _as_boxes(xyxy)
    w = np.clip(b[:, 2] - b[:, 0], 0, None)
    h = np.clip(b[:, 3] - b[:, 1], 0, None)
    iw = np.clip(np.minimum(b[:, 2], width) - np.maximum(b[:, 0], 0), 0, None)
    ih = np.clip(np.minimum(b[:, 3], height) - np.maximum(b[:, 1], 0), 0, None)
    area = w * h
    return np.where(area > 0, iw * ih / np.maximum(area, 1e-9), 0.0).astype(np.float32)


def touches_edge(xyxy: npt.ArrayLike, width: int, height: int, margin: float) -> BoolArray:
    """True for boxes within ``margin`` pixels of the frame border (likely cut by it), ``(n,)``."""
    b = _as_boxes(xyxy)
    return (b[:, 0] < margin) | (b[:, 1] < margin) | (b[:, 2] > width - margin) | (b[:, 3] > height - margin)


def occluded_fraction(xyxy: npt.ArrayLike) -> FloatArray:
    """Largest fraction of each box covered by any single other box of the same frame, ``(n,)``.

    An upper bound of how much of the person another person (or a false box) hides; 0 for a
    lone box.
    """
    b = _as_boxes(xyxy)
    n = b.shape[0]
    if n < 2:
        return np.zeros(n, dtype=np.float32)
    iw = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    np.fill_diagonal(inter, 0.0)
    area = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    frac: FloatArray = (inter / np.maximum(area, 1e-9)[:, None]).max(axis=1).astype(np.float32)
    return frac


@dataclass(frozen=True)
class CropQuality:
    """Thresholds deciding whether a person box gives a trustworthy embedding.

    Attributes:
        min_height: smallest box height in pixels (a 256x128 model needs real detail).
        min_confidence: lowest detector score.
        max_overlap: largest fraction of the box another box may cover.
        edge_margin: boxes closer than this (pixels) to the border count as cut by it.
        min_inside: smallest fraction of the box inside the frame (for unclipped boxes).
    """

    min_height: float = 60.0
    min_confidence: float = 0.5
    max_overlap: float = 0.3
    edge_margin: float = 2.0
    min_inside: float = 1.0

    @classmethod
    def from_config(cls, config: ReidConfig) -> CropQuality:
        """The thresholds of a `ReidConfig`."""
        return cls(
            min_height=float(config.min_box_height),
            min_confidence=config.min_crop_confidence,
            max_overlap=config.max_crop_overlap,
            edge_margin=float(config.edge_margin_px),
        )

    def mask(
        self,
        xyxy: npt.ArrayLike,
        confidence: npt.ArrayLike,
        frame_shape: tuple[int, ...],
    ) -> BoolArray:
        """Boolean ``(n,)`` mask of the boxes good enough to embed.

        Args:
            xyxy: ``(n, 4)`` boxes in frame pixels (all boxes of the frame: overlap is
                measured against each other).
            confidence: ``(n,)`` detector scores.
            frame_shape: ``frame.shape`` (height first).
        """
        b = _as_boxes(xyxy)
        conf = np.asarray(confidence, dtype=np.float32).reshape(-1)
        if conf.shape[0] != b.shape[0]:
            raise ValueError(f"confidence must have shape ({b.shape[0]},), got {conf.shape}")
        height, width = int(frame_shape[0]), int(frame_shape[1])
        ok = (b[:, 3] - b[:, 1]) >= self.min_height
        ok &= conf >= self.min_confidence
        ok &= ~touches_edge(b, width, height, self.edge_margin)
        ok &= inside_fraction(b, width, height) >= self.min_inside
        ok &= occluded_fraction(b) <= self.max_overlap
        return ok


def extract_crops(frame: npt.NDArray[np.uint8], xyxy: npt.ArrayLike, size_hw: tuple[int, int]) -> npt.NDArray[np.uint8]:
    """Cut every box out of ``frame`` and resize it to ``size_hw`` (bilinear).

    Boxes are clipped to the frame and rounded outwards to whole pixels first (as OMZ's
    demos do), so a person at the edge is stretched rather than padded with black.
    A loop of ``cv2.resize`` calls writing into one preallocated array is the fast path
    here: 16 crops take ~0.6 ms, five times less than one ``cv2.remap`` over a stacked
    sampling grid of all boxes (measured on 768x576 frames).

    Args:
        frame: ``(H, W, C) uint8`` image.
        xyxy: ``(n, 4)`` boxes in frame pixels.
        size_hw: output crop height and width, e.g. ``(256, 128)``.

    Returns:
        ``(n, h, w, C) uint8`` crops in the frame's channel order.
    """
    b = _as_boxes(xyxy)
    out_h, out_w = size_hw
    img = frame if frame.ndim == 3 else frame[:, :, None]
    fh, fw, channels = img.shape
    out = np.empty((b.shape[0], out_h, out_w, channels), dtype=np.uint8)
    if b.shape[0] == 0:
        return out
    x1 = np.clip(np.floor(b[:, 0]), 0, fw - 1).astype(np.int64)
    y1 = np.clip(np.floor(b[:, 1]), 0, fh - 1).astype(np.int64)
    x2 = np.maximum(np.clip(np.ceil(b[:, 2]), 0, fw).astype(np.int64), x1 + 1)
    y2 = np.maximum(np.clip(np.ceil(b[:, 3]), 0, fh).astype(np.int64), y1 + 1)
    for i in range(b.shape[0]):
        crop = img[y1[i] : y2[i], x1[i] : x2[i]]
        out[i] = cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_LINEAR).reshape(out_h, out_w, channels)
    return out
