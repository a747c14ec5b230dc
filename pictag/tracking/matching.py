"""Association maths: cost matrices and gated optimal assignment.

Shapes: ``n`` tracks (rows) against ``m`` detections (columns); every cost is a
``(n, m) float64`` matrix where lower is better and ``1.0`` means "no overlap".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from pictag.geometry import box_iou

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Assignment:
    """Result of one association step.

    Attributes:
        matches: ``(k, 2) int64`` rows of (track index, detection index).
        unmatched_tracks: ``(n - k,) int64`` track indices left over, ascending.
        unmatched_detections: ``(m - k,) int64`` detection indices left over, ascending.
    """

    matches: I64
    unmatched_tracks: I64
    unmatched_detections: I64


def iou_cost(track_boxes: npt.ArrayLike, det_boxes: npt.ArrayLike) -> F64:
    """``1 - IoU`` between ``(n, 4)`` and ``(m, 4)`` xyxy boxes."""
    return 1.0 - box_iou(track_boxes, det_boxes).astype(np.float64)


def fuse_score(cost: F64, scores: npt.ArrayLike) -> F64:
    """ByteTrack's score fusion: ``1 - IoU · score`` so that, at equal overlap, the
    more confident detection wins (a weak duplicate box rarely steals a track)."""
    s = np.asarray(scores, dtype=np.float64).reshape(1, -1)
    return 1.0 - (1.0 - cost) * s


def linear_assignment(cost: F64, max_cost: float) -> Assignment:
    """Minimum-cost matching in which no pair above ``max_cost`` is allowed.

    Solved as the augmented problem LAPJV's ``cost_limit`` solves: each row and
    column may stay unmatched at a price of ``max_cost / 2``, so a pair is only
    taken when it is worth it and gated pairs never leak in through a rectangular
    matrix (as a plain ``linear_sum_assignment`` followed by a filter would).

    Args:
        cost: ``(n, m)`` costs; NaN or ``inf`` marks a forbidden pair.
        max_cost: the largest cost that may still be matched.
    """
    n, m = cost.shape
    if n == 0 or m == 0:
        return Assignment(np.zeros((0, 2), np.int64), np.arange(n, dtype=np.int64), np.arange(m, dtype=np.int64))
    gated = np.where(np.isfinite(cost) & (cost <= max_cost), cost, np.inf)
    half = max_cost / 2.0
    big = np.full((n + m, m + n), np.inf)
    big[:n, :m] = gated
    big[:n, m:] = np.where(np.eye(n, dtype=bool), half, np.inf)
    big[n:, :m] = np.where(np.eye(m, dtype=bool), half, np.inf)
    big[n:, m:] = 0.0
    rows, cols = linear_sum_assignment(big)
    real = (rows < n) & (cols < m)
    matches = np.stack([rows[real], cols[real]], axis=1).astype(np.int64)
    matched_rows = np.zeros(n, bool)
    matched_rows[matches[:, 0]] = True
    matched_cols = np.zeros(m, bool)
    matched_cols[matches[:, 1]] = True
    return Assignment(matches, np.flatnonzero(~matched_rows), np.flatnonzero(~matched_cols))
