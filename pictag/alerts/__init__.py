"""Alert rules over live measurements: pure state machines with hysteresis (no I/O, no clock)."""

from pictag.alerts.engine import AlertCleared, AlertEngine, AlertRaised, AlertTransition
from pictag.alerts.snapshot import Snapshot, ZoneMeasure

__all__ = ["AlertCleared", "AlertEngine", "AlertRaised", "AlertTransition", "Snapshot", "ZoneMeasure"]
