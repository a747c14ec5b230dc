"""Vectorised box geometry shared by NMS, tracking, evaluation and privacy masks."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


def box_iou(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """Pairwise IoU of two box sets.

    Args:
        a: ``(n, 4)`` boxes x1, y1, x2, y2.
        b: ``(m, 4)`` boxes x1, y1, x2, y2.

    Returns:
        ``(n, m)`` float32 IoU matrix (0 where a box has no area).
    """
    a = np.asarray(a, dtype=np.float32).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float32).reshape(-1, 4)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]), dtype=np.float32)
    ix1 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix2 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    out = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
    return out.astype(np.float32)


def xywh_to_xyxy(boxes: npt.ArrayLike) -> FloatArray:
    """Top-left x, y, width, height (MOTChallenge layout) to corner layout."""
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1).astype(np.float32)


def clip_boxes(boxes: npt.ArrayLike, width: int, height: int) -> FloatArray:
    """Clip ``(n, 4)`` xyxy boxes to a ``width`` x ``height`` frame."""
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).copy()
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
    return b
