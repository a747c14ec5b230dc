"""The cost benchmark runs and tracks its synthetic crowd (timing itself is not asserted)."""

from __future__ import annotations

from pictag.tracking.bench import benchmark


def test_benchmark_tracks_the_synthetic_crowd() -> None:
    result = benchmark(people=8, frames=40)
    assert result.frames == 40 and result.people == 8
    assert 0 < result.ms_p50 <= result.ms_p95
    # Most walkers are confirmed and matched in the last frame (5 % are missed per frame).
    assert 5 <= result.tracks_last_frame <= 8
