"""Small rolling statistics for live counters (latency and frame-age percentiles)."""

from __future__ import annotations

from collections import deque

import numpy as np


class RollingPercentiles:
    """Percentiles over the last ``size`` samples: bounded memory, cheap to update."""

    def __init__(self, size: int = 512) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self.count = 0

    def add(self, value: float) -> None:
        """Record one sample."""
        self._values.append(float(value))
        self.count += 1

    def percentiles(self, qs: tuple[float, ...] = (50, 95, 99)) -> dict[str, float | None]:
        """``{"p50": …, "p95": …}`` of the window, None when empty."""
        if not self._values:
            return {f"p{int(q)}": None for q in qs}
        arr = np.fromiter(self._values, dtype=np.float64)
        return {f"p{int(q)}": round(float(np.percentile(arr, q)), 2) for q in qs}

    def samples(self) -> list[float]:
        """The samples currently in the window."""
        return list(self._values)
