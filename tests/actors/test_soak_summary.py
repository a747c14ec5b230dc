"""`pictag bench soak`'s verdict: growth after the settling period, in total and per role."""

from __future__ import annotations

from pictag.actors.bench_soak import PSS_GROWTH_BUDGET_MB, Sample, SoakParams, summarise


def reading(t_s: float, store_mb: float, store_threads: int, processed: int) -> Sample:
    pss = {"store": store_mb, "detector": 250.0}
    threads = {"store": store_threads, "detector": 40}
    return Sample(
        t_s=t_s,
        pss_mb=sum(pss.values()),
        rss_mb=0.0,
        fds=100,
        threads=sum(threads.values()),
        processes=2,
        processed=processed,
        live_cameras=8,
        object_store_mb=1.0,
        pss_by_role=pss,
        threads_by_role=threads,
    )


def test_growth_is_measured_from_the_settled_reading_and_split_by_role() -> None:
    params = SoakParams(minutes=10, settle_s=300)
    samples = [reading(0, 100, 10, 0), reading(290, 150, 12, 2900), reading(600, 150 + 60, 15, 6000)]
    summary = summarise(samples, params, recoveries=[6.5])
    assert summary["settled_at_s"] == 290  # the reading nearest to settle_s
    assert summary["pss_growth_after_settle_mb"] == 60
    assert summary["pss_growth_by_role_mb"] == {"detector": 0.0, "store": 60.0}
    assert summary["pss_within_budget"] is (60 <= PSS_GROWTH_BUDGET_MB)
    assert summary["threads_growth_after_settle"] == 3
    assert summary["threads_growth_by_role"] == {"detector": 0, "store": 3}
    assert summary["processed_fps"] == 10.0
    assert summary["camera_recoveries_s"] == [6.5]
