"""Shipped re-id thresholds: every entry valid, lookups exact (model and precision)."""

from __future__ import annotations

import pytest

from pictag.reid.thresholds import load_thresholds, shipped_threshold


def test_every_shipped_threshold_is_a_cosine_with_its_source() -> None:
    table = load_thresholds()
    assert {"intel/person-reidentification-retail-0287", "intel/person-reidentification-retail-0288"} <= set(table)
    for by_precision in table.values():
        for precision, entry in by_precision.items():
            assert precision in ("f32", "bf16", "int8")
            assert -1.0 <= entry.threshold <= 1.0
            assert entry.source.startswith("pictag calibrate")


@pytest.mark.parametrize(
    ("model", "precision", "expected"),
    [
        ("intel/person-reidentification-retail-0287", "f32", 0.4371),
        ("intel/person-reidentification-retail-0287", "int8", 0.4406),
        ("intel/person-reidentification-retail-0288", "f32", 0.5007),
        ("pictag/reid-lite", "f32", 0.6213),
        ("intel/person-reidentification-retail-0288", "int8", None),  # no INT8 IR of 0288
        ("my/own-model.xml", "f32", None),
    ],
)
def test_lookup(model: str, precision: str, expected: float | None) -> None:
    found = shipped_threshold(model, precision)
    assert (found.threshold if found else None) == expected
