"""Gated assignment and cost matrices."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.tracking.matching import fuse_score, iou_cost, linear_assignment

INF = np.inf


@pytest.mark.parametrize(
    ("cost", "max_cost", "matches", "free_rows", "free_cols"),
    [
        # Plain optimum.
        ([[0.1, 0.9], [0.8, 0.2]], 0.5, [[0, 0], [1, 1]], [], []),
        # A gated pair is never taken, even when the matrix would otherwise be filled.
        ([[0.1, 0.9], [0.8, 0.95]], 0.5, [[0, 0]], [1], [1]),
        # Rectangular: more detections than tracks.
        ([[0.6, 0.1, 0.3]], 0.5, [[0, 1]], [], [0, 2]),
        # More tracks than detections.
        ([[0.3], [0.2], [0.9]], 0.5, [[1, 0]], [0, 2], []),
        # NaN / inf are forbidden pairs.
        ([[np.nan, 0.2], [0.1, INF]], 0.5, [[0, 1], [1, 0]], [], []),
        # Two good pairs beat one cheaper pair ...
        ([[0.1, 0.2], [0.2, 0.9]], 0.5, [[0, 1], [1, 0]], [], []),
        # ... but two marginal pairs do not: leaving a row and a column free costs max_cost
        # (LAPJV's cost_limit semantics), less than 0.45 + 0.45 - 0.05.
        ([[0.05, 0.45], [0.45, 1.0]], 0.5, [[0, 0]], [1], [1]),
        # Nothing under the limit.
        ([[0.9, 0.8]], 0.5, [], [0], [0, 1]),
    ],
)
def test_linear_assignment(
    cost: list[list[float]],
    max_cost: float,
    matches: list[list[int]],
    free_rows: list[int],
    free_cols: list[int],
) -> None:
    result = linear_assignment(np.array(cost, dtype=np.float64), max_cost)
    got = sorted(map(tuple, result.matches.tolist()))
    assert got == sorted(map(tuple, matches))
    assert result.unmatched_tracks.tolist() == free_rows
    assert result.unmatched_detections.tolist() == free_cols


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_linear_assignment_empty(shape: tuple[int, int]) -> None:
    result = linear_assignment(np.zeros(shape), 0.5)
    assert result.matches.shape == (0, 2)
    assert result.unmatched_tracks.tolist() == list(range(shape[0]))
    assert result.unmatched_detections.tolist() == list(range(shape[1]))


def test_iou_cost_and_score_fusion() -> None:
    tracks = np.array([[0.0, 0.0, 10.0, 10.0]])
    dets = np.array([[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    cost = iou_cost(tracks, dets)
    np.testing.assert_allclose(cost, [[0.0, 1 - 1 / 3, 1.0]], atol=1e-6)
    fused = fuse_score(cost, [0.5, 1.0, 1.0])
    np.testing.assert_allclose(fused, [[0.5, 1 - 1 / 3, 1.0]], atol=1e-6)
