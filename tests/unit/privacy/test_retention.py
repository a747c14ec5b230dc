"""Retention schedule and cut-off arithmetic."""

from __future__ import annotations

import pytest

from pictag.privacy.retention import (
    RETRY_BACKOFF_S,
    PurgeReport,
    PurgeSchedule,
    retention_cutoff,
    should_compact,
)

T0 = 1_800_000_000.0
DAY = 86_400.0


@pytest.mark.parametrize(("days", "cutoff"), [(30, T0 - 30 * DAY), (0.5, T0 - DAY / 2), (3650, T0 - 3650 * DAY)])
def test_cutoff_is_now_minus_retention(days: float, cutoff: float) -> None:
    assert retention_cutoff(T0, days) == pytest.approx(cutoff)


@pytest.mark.parametrize("days", [0, -1, float("nan")])
def test_a_retention_that_would_delete_everything_is_refused(days: float) -> None:
    with pytest.raises(ValueError, match="not_positive"):
        retention_cutoff(T0, days)


@pytest.mark.parametrize(
    ("deleted", "compact"),
    [
        ({}, False),
        ({"events": 0, "sightings": 0}, False),
        ({"events": 0, "identities": 2}, True),
    ],
)
def test_compaction_only_when_rows_went_away(deleted: dict[str, int], compact: bool) -> None:
    assert should_compact(deleted) is compact


def test_first_purge_is_due_at_start_then_every_interval() -> None:
    schedule = PurgeSchedule(interval_s=DAY)
    assert schedule.due(T0) and schedule.seconds_until_due(T0) == 0
    schedule.record(PurgeReport(T0, T0 - 30 * DAY, {"events": 3}), T0 + 5)
    assert not schedule.due(T0 + 10)
    assert schedule.next_due == T0 + 5 + DAY
    assert schedule.seconds_until_due(T0 + 5) == DAY


def test_failures_retry_sooner_with_backoff_capped_by_the_interval() -> None:
    schedule = PurgeSchedule(interval_s=DAY)
    failed = PurgeReport(T0, T0, error="StorageError: locked")
    delays = []
    for _ in range(len(RETRY_BACKOFF_S) + 2):
        schedule.record(failed, T0)
        delays.append(schedule.next_due - T0)
    assert delays == [*RETRY_BACKOFF_S, RETRY_BACKOFF_S[-1], RETRY_BACKOFF_S[-1]]
    schedule.record(PurgeReport(T0, T0), T0)
    assert schedule.failures == 0 and schedule.next_due == T0 + DAY
    short = PurgeSchedule(interval_s=120.0)
    short.record(failed, T0)
    short.record(failed, T0)
    assert short.next_due == T0 + 120.0


def test_run_soon_never_postpones() -> None:
    schedule = PurgeSchedule(interval_s=DAY, next_due=T0 + DAY)
    schedule.run_soon(T0)
    assert schedule.due(T0)
    schedule.run_soon(T0 + 50)
    assert schedule.next_due == T0


def test_report_totals() -> None:
    report = PurgeReport(T0, T0, {"events": 4, "visits": 1})
    assert report.ok and report.total_deleted == 5
    assert not PurgeReport(T0, T0, error="x").ok


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        PurgeSchedule(interval_s=0)
