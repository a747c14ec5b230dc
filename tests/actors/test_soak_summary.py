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


def test_the_verdict_takes_the_median_of_two_minutes_at_each_end_so_one_peak_cannot_decide_it() -> None:
    params = SoakParams(minutes=30, settle_s=300)
    flat = [reading(t, 150, 10, int(t) * 10) for t in range(0, 1801, 30)]
    peaked = flat[:-1] + [reading(1800, 150 + 80, 10, 18000)]  # one transient peak, the last reading
    summary = summarise(peaked, params, recoveries=[])
    assert summary["pss_growth_after_settle_mb"] == 80  # the single readings see the peak
    assert summary["pss_growth_median_mb"] == 0  # the medians of the windows do not
    assert summary["pss_growth_by_role_median_mb"] == {"detector": 0.0, "store": 0.0}
    assert summary["pss_within_budget"] is True

    rising = [reading(t, 150 + t / 20, 10, int(t) * 10) for t in range(0, 1801, 30)]  # +75 MiB over 25 min
    summary = summarise(rising, params, recoveries=[])
    assert summary["pss_growth_median_mb"] == 72.0  # median at 1740 s (of 1680..1800) minus at 300 s
    assert summary["pss_growth_by_role_median_mb"]["store"] == 72.0
    assert summary["pss_within_budget"] is False
