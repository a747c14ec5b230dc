"""The arithmetic behind every benchmark figure: percentiles, windows, counters, ratios."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.actors.bench_runtime import transit_ms, window_latency
from pictag.actors.bench_suite import saturating_fps
from pictag.bench.stats import (
    CameraCounters,
    cpu_percent,
    percentiles,
    rate,
    ratio,
    total_counters,
    window_samples,
)


def test_percentiles_match_numpy_and_name_each_quantile() -> None:
    values = list(np.random.default_rng(1).exponential(100.0, 1000))
    got = percentiles(values)
    assert set(got) == {"p50", "p95", "p99"}
    for q in (50, 95, 99):
        assert got[f"p{q}"] == pytest.approx(np.percentile(values, q), abs=0.01)
    assert got["p50"] < got["p95"] < got["p99"]


def test_percentiles_of_nothing_are_none() -> None:
    assert percentiles([], (50, 95)) == {"p50": None, "p95": None}


@pytest.mark.parametrize(
    ("samples", "start", "end", "expected"),
    [
        ([1, 2, 3, 4, 5], 3, 5, [4, 5]),  # two new samples: the newest two
        ([1, 2, 3, 4, 5], 5, 5, []),  # nothing new
        ([3, 4, 5], 0, 5, [3, 4, 5]),  # buffer shorter than the window: all of it
        ([1, 2, 3], 0, 3, [1, 2, 3]),  # window covers everything ever recorded
        ([7, 8, 9], 9, 4, []),  # counter reset (actor restarted): nothing
    ],
)
def test_window_samples_keeps_only_what_the_window_recorded(
    samples: list[float], start: int, end: int, expected: list[float]
) -> None:
    assert window_samples(samples, start, end) == expected


def test_counter_deltas_and_rates() -> None:
    before = CameraCounters.from_mapping(
        {"decoded": 10, "sent": 8, "skipped": 2, "dropped": 0, "processed": 7, "unknown": 99}
    )
    after = CameraCounters.from_mapping({"decoded": 110, "sent": 88, "skipped": 12, "dropped": 3, "processed": 84})
    d = after - before
    assert (d.offered, d.processed, d.skipped, d.dropped) == (90, 77, 10, 3)
    assert d.skip_rate == pytest.approx(13 / 90, abs=1e-4)
    assert d.processed_fraction == pytest.approx(77 / 90, abs=1e-4)
    assert total_counters([d, d]).processed == 154
    assert CameraCounters().skip_rate == 0.0 and CameraCounters().processed_fraction == 0.0


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [(30.0, 20.0, 1.5), (1.0, 3.0, 0.33), (None, 2.0, None), (2.0, None, None), (2.0, 0.0, None)],
)
def test_ratio(ours: float | None, theirs: float | None, expected: float | None) -> None:
    assert ratio(ours, theirs) == expected


def test_rate_and_cpu_percent() -> None:
    assert rate(50, 10.0) == 5.0 and rate(5, 0.0) == 0.0
    assert cpu_percent(30.0, 10.0) == 300.0
    assert cpu_percent(1.0, 0.0) == 0.0


def test_window_latency_cuts_every_buffer_to_the_window_and_keeps_frames_aligned() -> None:
    before = {"c1": {"latency": (3, [100, 110, 120]), "stages": {"detect_ms": (3, [50, 55, 60])}}}
    after = {
        "c1": {
            "latency": (5, [100, 110, 120, 130, 140]),
            "stages": {"detect_ms": (5, [50, 55, 60, 65, 70])},
        },
        "c2": {"latency": (2, [90, 95]), "stages": {}},  # a camera that appeared during the window
    }
    got = window_latency(before, after)
    assert got["c1"] == {"latency": [130, 140], "stages": {"detect_ms": [65, 70]}}
    assert got["c2"]["latency"] == [90, 95]


def test_transit_is_latency_minus_the_timed_stages_of_the_same_frame() -> None:
    stages = {"queue_ms": [5.0, 10.0], "detect_ms": [40.0, 50.0], "track_ms": [1.0, 2.0]}
    assert transit_ms([60.0, 70.0], stages) == pytest.approx([14.0, 8.0])
    assert transit_ms([60.0], stages) == []  # misaligned buffers: no answer rather than a wrong one


@pytest.mark.parametrize(
    ("ceiling", "cameras", "expected"),
    [(40.0, 1, 60.0), (40.0, 4, 20.0), (70.0, 4, 27.0), (None, 2, 60.0), (8.0, 4, 20.0)],
)
def test_saturating_offer_is_half_above_the_ceiling(ceiling: float | None, cameras: int, expected: float) -> None:
    assert saturating_fps(ceiling, cameras, fps=10.0) == expected
