"""Retention: when the purge runs, what it deletes, and what it reports.

The purge deletes every event, sighting, visit, identity and embedding older
than ``privacy.retention_days`` (SQL in `pictag.storage.maintenance`), then
compacts the file so the deleted rows' bytes leave the disk. It runs once at
start-up (a box that was off for a month must not keep old data until the
next scheduled run) and then every ``privacy.purge_interval_h`` hours; a
failed run is retried sooner, with back-off.

This module is the schedule and the bookkeeping; the `MaintenanceActor`
(``actors/maintenance.py``) does the calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECONDS_PER_DAY = 86_400.0
#: Retry delays after a failed purge (seconds), then the last one repeats.
RETRY_BACKOFF_S = (60.0, 300.0, 900.0, 3600.0)


def retention_cutoff(now: float, retention_days: float) -> float:
    """Epoch seconds before which data is deleted.

    Raises:
        ValueError: a retention that is not positive (it would delete everything).
    """
    if not retention_days > 0:
        raise ValueError(f"retention_days={retention_days} reason=not_positive; use days > 0")
    return now - retention_days * SECONDS_PER_DAY


@dataclass(frozen=True)
class PurgeReport:
    """What one purge did (kept for ``status()`` and the logs; holds no personal data)."""

    started_at: float
    cutoff: float
    deleted: dict[str, int] = field(default_factory=dict)
    compacted_bytes: tuple[int, int] | None = None
    duration_s: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the purge (and compaction, if any) succeeded."""
        return self.error is None

    @property
    def total_deleted(self) -> int:
        """Rows deleted over every table."""
        return sum(self.deleted.values())


def should_compact(deleted: dict[str, int]) -> bool:
    """Compact only when rows went away: a compaction copies the whole file."""
    return any(n > 0 for n in deleted.values())


@dataclass
class PurgeSchedule:
    """When the next purge is due: at start-up, every interval, sooner after failures.

    Times are epoch seconds from the caller (``time.time()``): the schedule is pure.
    """

    interval_s: float
    next_due: float = 0.0  # due at once: the start-up run
    failures: int = 0

    def __post_init__(self) -> None:
        if not self.interval_s > 0:
            raise ValueError(f"interval_s={self.interval_s} reason=not_positive")

    def due(self, now: float) -> bool:
        """True when a purge should run now."""
        return now >= self.next_due

    def seconds_until_due(self, now: float) -> float:
        """How long to sleep before the next purge (0 when due)."""
        return max(0.0, self.next_due - now)

    def record(self, report: PurgeReport, now: float) -> None:
        """Plan the next run from this run's outcome."""
        if report.ok:
            self.failures = 0
            self.next_due = now + self.interval_s
            return
        delay = RETRY_BACKOFF_S[min(self.failures, len(RETRY_BACKOFF_S) - 1)]
        self.failures += 1
        self.next_due = now + min(delay, self.interval_s)

    def run_soon(self, now: float) -> None:
        """Make a purge due now (retention was shortened: apply it without waiting)."""
        self.next_due = min(self.next_due, now)
