"""The arithmetic of a benchmark: percentiles, rates, ratios and windows over counters.

Pure functions on plain numbers so the numbers in a report can be checked by a unit
test. Every figure is measured over a *window* (after warm-up): counters are
sampled at its start and end and only the difference counts, and latency samples
are cut to the ones recorded inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: Percentiles reported for latencies.
LATENCY_QS = (50, 95, 99)


def percentiles(values: Sequence[float], qs: Sequence[float] = LATENCY_QS) -> dict[str, float | None]:
    """``{"p50": …, "p95": …}`` of ``values`` rounded to 0.01, all None when there are none.

    Linear interpolation between ranks (numpy's default), the same rule the runtime's
    rolling percentiles use, so figures from both sides are comparable.
    """
    if len(values) == 0:
        return {f"p{q:g}": None for q in qs}
    arr = np.asarray(values, dtype=np.float64)
    return {f"p{q:g}": round(float(v), 2) for q, v in zip(qs, np.percentile(arr, list(qs)), strict=True)}


def window_samples(samples: Sequence[float], count_at_start: int, count_at_end: int) -> list[float]:
    """The samples recorded inside a window, from a rolling buffer and its running count.

    ``samples`` is a rolling buffer (oldest first) whose writer had recorded
    ``count_at_end`` samples in total when it was read; ``count_at_start`` is the total
    when the window opened. The newest ``count_at_end - count_at_start`` entries belong
    to the window; when the buffer is shorter than that, every entry does (the window
    is then represented by its most recent part).
    """
    new = max(0, count_at_end - count_at_start)
    if new == 0:
        return []
    return list(samples[-new:]) if new < len(samples) else list(samples)


def rate(delta: float, seconds: float) -> float:
    """Events per second over a window (0 for an empty window)."""
    return delta / seconds if seconds > 0 else 0.0


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """``ours / theirs`` rounded to 0.01, None when either is missing or the divisor is 0."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, 2)


def cpu_percent(cpu_seconds: float, wall_seconds: float) -> float:
    """CPU time as a percentage of one core over a wall-clock window (200 = two busy cores)."""
    return round(100.0 * cpu_seconds / wall_seconds, 1) if wall_seconds > 0 else 0.0


@dataclass(frozen=True)
class CameraCounters:
    """Frame counters of one camera at one instant (as the runtime reports them).

    Attributes:
        decoded: frames the reader decoded.
        sent: frames put into the pipeline.
        skipped: frames not sent because the in-flight window was full.
        dropped: frames replaced in a stage's latest-wins slot before being worked on.
        processed: frames that reached the end of the pipeline (identity stage).
    """

    decoded: int = 0
    sent: int = 0
    skipped: int = 0
    dropped: int = 0
    processed: int = 0

    @classmethod
    def from_mapping(cls, counters: Mapping[str, int]) -> CameraCounters:
        """Read the fields from a ``counters`` dict (unknown keys ignored, missing ones 0)."""
        return cls(**{k: int(counters.get(k, 0) or 0) for k in cls.__dataclass_fields__})

    def __sub__(self, other: CameraCounters) -> CameraCounters:
        return CameraCounters(
            decoded=self.decoded - other.decoded,
            sent=self.sent - other.sent,
            skipped=self.skipped - other.skipped,
            dropped=self.dropped - other.dropped,
            processed=self.processed - other.processed,
        )

    def __add__(self, other: CameraCounters) -> CameraCounters:
        return CameraCounters(
            decoded=self.decoded + other.decoded,
            sent=self.sent + other.sent,
            skipped=self.skipped + other.skipped,
            dropped=self.dropped + other.dropped,
            processed=self.processed + other.processed,
        )

    @property
    def offered(self) -> int:
        """Frames the sampler offered to the pipeline (sent or skipped)."""
        return self.sent + self.skipped

    @property
    def skip_rate(self) -> float:
        """Share of offered frames that never reached the end (skipped at the source or dropped)."""
        return round((self.skipped + self.dropped) / self.offered, 4) if self.offered else 0.0

    @property
    def processed_fraction(self) -> float:
        """Share of offered frames neither skipped nor dropped: ``1 - skip_rate``.

        Not ``processed / offered``: over a short window the frames in flight at its edges
        would push that above 1 or below the truth.
        """
        return round(1.0 - self.skip_rate, 4) if self.offered else 0.0


def total_counters(per_camera: Sequence[CameraCounters]) -> CameraCounters:
    """Sum of several cameras' counters."""
    out = CameraCounters()
    for c in per_camera:
        out = out + c
    return out
