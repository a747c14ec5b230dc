"""Retrieval metrics and the time-gap split (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.models.crops import time_gap_split
from pictag.models.metrics import histogram_overlap, retrieval_scores


def _unit(v: list[list[float]]) -> np.ndarray:
    a = np.asarray(v, np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_perfect_and_imperfect_rankings() -> None:
    gallery = _unit([[1, 0], [0, 1], [1, 1]])
    g_ids = np.array([1, 2, 3])
    # query 1 finds id 1 first; query 2 (id 2) finds id 3 first, then id 2 (rank 2, AP 0.5)
    query = _unit([[1, 0.1], [0.6, 1]])
    s = retrieval_scores(query, np.array([1, 2]), gallery, g_ids)
    assert s.rank1 == pytest.approx(0.5)
    assert s.rank5 == pytest.approx(1.0)
    assert s.map == pytest.approx((1.0 + 0.5) / 2)
    assert s.queries == 2


def test_queries_without_gallery_identity_are_left_out() -> None:
    s = retrieval_scores(_unit([[1, 0], [0, 1]]), np.array([1, 9]), _unit([[1, 0]]), np.array([1]))
    assert s.queries == 1 and s.rank1 == 1.0


def test_overlap_of_separated_and_identical_distributions() -> None:
    assert histogram_overlap([0.9, 0.95], [0.0, 0.1]) == 0.0
    assert histogram_overlap([0.5, 0.5], [0.5, 0.5]) == pytest.approx(1.0)


def test_time_gap_split_keeps_a_gap_per_identity() -> None:
    ids = np.array([7] * 10 + [8] * 5 + [9] * 2)
    frames = np.array(list(range(10))[::-1] + [3, 1, 2, 5, 4] + [0, 1])
    gallery, query = time_gap_split(ids, frames)
    assert sorted(frames[gallery[ids[gallery] == 7]]) == [0, 1, 2, 3]
    assert sorted(frames[query[ids[query] == 7]]) == [6, 7, 8, 9]
    assert sorted(frames[gallery[ids[gallery] == 8]]) == [1, 2]
    assert sorted(frames[query[ids[query] == 8]]) == [4, 5]
    assert 9 not in ids[gallery] and 9 not in ids[query]  # too short for a gap
