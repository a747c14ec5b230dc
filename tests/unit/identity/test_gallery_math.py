"""Prototype selection, the gallery slab, Hungarian assignment and appearance aggregation."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.identity.appearance import AppearanceAggregator
from pictag.identity.gallery import IdentityGallery, IdentityMeta
from pictag.identity.matching import assign
from pictag.identity.prototypes import best_similarity, merge_prototypes, select_diverse
from pictag.reid.base import l2_normalize
from pictag.reid.crops import CropQuality
from tests.unit.identity.conftest import People, frame


def test_select_diverse_starts_typical_and_spreads() -> None:
    e = l2_normalize(np.array([[1, 0.1, 0], [1, 0, 0], [1, -0.1, 0], [0, 1, 0], [0, 0, 1]], np.float32))
    picked = select_diverse(e, 3)
    # The most typical row first (closest to the mean), then the two far-away views.
    np.testing.assert_allclose(picked[0], e[0], atol=1e-6)
    assert {tuple(np.round(p, 3)) for p in picked[1:]} == {
        tuple(np.round(e[3], 3)),
        tuple(np.round(e[4], 3)),
    }
    assert select_diverse(e[:2], 4).shape == (2, 3)


def test_merge_drops_duplicates() -> None:
    e = l2_normalize(np.eye(3, dtype=np.float32))
    merged = merge_prototypes(e[:2], e[:2], 4)
    assert merged.shape == (2, 3)
    assert merge_prototypes(np.zeros((0, 3)), e, 2).shape == (2, 3)


def test_best_similarity_takes_the_closest_prototype() -> None:
    q = np.array([[1, 0], [0, 1]], np.float32)
    p = l2_normalize(np.array([[1, 1], [1, 0]], np.float32))
    np.testing.assert_allclose(best_similarity(q, p), [1.0, np.sqrt(0.5)], atol=1e-6)
    assert np.isneginf(best_similarity(q, np.zeros((0, 2)))).all()


def test_gallery_search_remove_and_growth(people: People) -> None:
    g = IdentityGallery(k=2, capacity=2)
    names = ["ann", "bob", "cy", "dee", "eve"]
    for name in names:
        g.add(IdentityMeta(name, 0.0, 0.0), people.look(name, 2))
    g.add(IdentityMeta("nobody", 0.0, 0.0))  # no prototypes yet: never matched
    sims = g.similarity(people.look("cy", 1))
    assert sims.shape == (1, 6) and g.id_at(int(np.argmax(sims))) == "cy"
    assert np.isneginf(sims[0, g.row_of("nobody")])
    assert g.remove("bob") and not g.remove("bob")
    assert sorted(g.ids) == ["ann", "cy", "dee", "eve", "nobody"]
    for name in ("ann", "eve"):
        assert g.id_at(int(np.argmax(g.similarity(people.look(name, 1))))) == name
    g.deactivate("eve")
    assert np.isneginf(g.similarity(people.look("eve", 1))[0, g.row_of("eve")])
    assert g.active_count() == 3


def test_assign_is_exclusive_and_respects_threshold_and_blocks() -> None:
    sim = np.array([[0.9, 0.8], [0.85, 0.2], [0.1, 0.3]], np.float32)
    r = assign(sim, 0.5)
    # Row 0 would take column 0 greedily; jointly, 0→1 and 1→0 score higher in total.
    assert r.identity.tolist() == [1, 0, -1]
    np.testing.assert_allclose(r.similarity[:2], [0.8, 0.85])
    blocked = np.array([[False, True], [False, False], [False, False]])
    assert assign(sim, 0.5, blocked).identity.tolist() == [0, -1, -1]
    assert assign(np.zeros((2, 0)), 0.5).identity.tolist() == [-1, -1]


def test_aggregator_warms_up_then_refreshes_and_rejects_outliers(people: People) -> None:
    agg = AppearanceAggregator(
        CropQuality(min_height=60),
        refresh_s=1.0,
        warmup_crops=2,
        prototypes=3,
        outlier_similarity=0.5,
    )
    f = frame("a", 0.0, [1, 2]).frame
    shape = (480, 640, 3)
    assert agg.select("a", f.tracks, shape, 0.0).tolist() == [True, True]
    agg.add("a", [1], people.look("ann", 1), 0.0)
    assert agg.due("a", [1], 0.1).tolist() == [True]  # still warming up
    agg.add("a", [1], people.look("ann", 1), 0.1)
    assert agg.due("a", [1], 0.5).tolist() == [False] and agg.due("a", [1], 1.2).tolist() == [True]
    out = agg.add("a", [1], people.look("bob", 1), 1.2)  # someone else under track 1
    assert out == {} and agg.appearance("a", 1).rejected == 1
    out = agg.add("a", [1], people.look("ann", 1), 2.5)
    look = out[1]
    assert look.crops == 3 and look.prototypes.shape == (3, 32)
    assert float(look.mean @ people.look("ann", 1)[0]) > 0.8
    agg.end("a", [1])
    assert agg.appearance("a", 1) is None


@pytest.mark.parametrize(
    ("box", "conf", "ok"),
    [
        ([100, 10, 150, 150], 0.9, True),
        ([100, 10, 150, 50], 0.9, False),  # too short
        ([100, 10, 150, 150], 0.3, False),  # low confidence
        ([0, 10, 50, 150], 0.9, False),  # cut by the frame edge
    ],
)
def test_only_good_crops_are_selected(box: list[float], conf: float, ok: bool) -> None:
    from pictag.detections import Detections

    agg = AppearanceAggregator(CropQuality(min_height=60, min_confidence=0.5))
    tracks = Detections(
        np.array([box], np.float32),
        np.array([conf], np.float32),
        np.zeros(1, np.int64),
        np.array([1], np.int64),
    )
    assert agg.select("a", tracks, (480, 640, 3), 0.0).tolist() == [ok]


def test_search_among_10k_identities_is_right_and_fast() -> None:
    from pictag.identity.bench import random_gallery, time_search

    timing = time_search(random_gallery(10_000), queries=2, repeats=5)
    assert timing.found
    # ~2-5 ms on an idle 2-core machine (memory-bound: 41 MB per search); generous for CI load.
    assert timing.best_ms < 250.0, timing
