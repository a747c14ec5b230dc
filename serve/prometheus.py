"""Prometheus exposition of the runtime's counters through ``prometheus_client``.

The values live in the actors (the controller's camera view and stage health, the store's and
hub's counters); each scrape gathers them and a custom collector turns them into metric
families, so the library does the text format (escaping, full-precision numbers: a counter of
1 234 567 prints as ``1.234567e+06`` exactly, never rounded) and the types.

Series stay stable: a camera's status is a state set (``pictag_camera_state{state=...}``, one
series per possible state, 1 for the current one) instead of a label that changes with it;
latency quantiles use Prometheus' own label values (``quantile="0.5"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

#: Every status a camera can report (the state set of ``pictag_camera_state``).
CAMERA_STATES = ("connecting", "live", "stalled", "reconnecting", "offline", "error")
#: Every status a stage can report.
STAGE_STATES = ("starting", "up", "down")

COUNTERS = (
    ("decoded", "Frames decoded by the camera source."),
    ("sent", "Frames sent to detection."),
    ("skipped", "Frames skipped at the source because the in-flight window was full."),
    ("idle", "Frames not sent to detection: nobody tracked and nothing moved (motion gating)."),
    ("stage_down", "Frames dropped at the source because the camera's detector stage was down."),
    ("dropped", "Frames replaced by a newer one while waiting at a stage."),
    ("processed", "Frames that reached the identity stage."),
    ("reconnects", "Times the camera stream came back after a loss."),
)

GLOBAL_GAUGES = (
    ("websocket_clients", "Connected event WebSocket clients on this replica."),
    ("event_hub_sequence", "Sequence number of the newest event in the hub (grows by one per event)."),
    ("store_pending_rows", "Rows buffered for the next DuckDB write."),
    ("identities", "Identities in the gallery."),
    ("open_visits", "Visits currently open (people in the shop)."),
)
GLOBAL_COUNTERS = (("store_dropped_rows", "Rows dropped because the write buffer was full."),)


@dataclass
class Snapshot:
    """What one scrape gathered from the actors."""

    cameras: list[dict[str, Any]] = field(default_factory=list)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self._s = snapshot

    def collect(self) -> Iterator[Metric]:
        cams = self._s.cameras
        for key, help_text in COUNTERS:
            family = CounterMetricFamily(f"pictag_camera_frames_{key}", help_text, labels=["camera"])
            for c in cams:
                family.add_metric([c["id"]], float(c["counters"].get(key, 0)))
            yield family
        up = GaugeMetricFamily("pictag_camera_up", "1 when the camera is live and analysed.", labels=["camera"])
        state = GaugeMetricFamily(
            "pictag_camera_state", "1 for the camera's current status, 0 for the others.", labels=["camera", "state"]
        )
        occupancy = GaugeMetricFamily("pictag_camera_occupancy", "People currently tracked.", labels=["camera"])
        for c in cams:
            up.add_metric([c["id"]], 1.0 if c["status"] == "live" else 0.0)
            for name in CAMERA_STATES:
                state.add_metric([c["id"], name], 1.0 if c["status"] == name else 0.0)
            occupancy.add_metric([c["id"]], float(c.get("occupancy", 0)))
        yield from (up, state, occupancy)
        yield from self._quantiles(cams)
        yield from self._stages()
        for key, help_text in GLOBAL_GAUGES:
            if key in self._s.values:
                yield GaugeMetricFamily(f"pictag_{key}", help_text, value=self._s.values[key])
        for key, help_text in GLOBAL_COUNTERS:
            if key in self._s.values:
                yield CounterMetricFamily(f"pictag_{key}", help_text, value=self._s.values[key])

    def _quantiles(self, cams: list[dict[str, Any]]) -> Iterator[Metric]:
        for key, name, help_text in (
            ("frame_age_ms", "pictag_frame_age_ms", "Age of a frame when detection starts (rolling window)."),
            ("latency_ms", "pictag_latency_ms", "Capture to identity-stage latency (rolling window)."),
        ):
            family = GaugeMetricFamily(name, help_text, labels=["camera", "quantile"])
            for c in cams:
                for label, q in (("0.5", "p50"), ("0.95", "p95")):
                    value = (c.get(key) or {}).get(q)
                    if value is not None:
                        family.add_metric([c["id"], label], float(value))
            yield family
        stage_ms = GaugeMetricFamily(
            "pictag_stage_ms", "Per-stage time in milliseconds (rolling median).", labels=["camera", "stage"]
        )
        for c in cams:
            for stage, v in (c.get("stages_ms") or {}).items():
                if (v or {}).get("p50") is not None:
                    stage_ms.add_metric([c["id"], stage], float(v["p50"]))
        yield stage_ms

    def _stages(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "pictag_stage_up", "1 when the pipeline stage answers, 0 when it is down.", labels=["stage", "kind"]
        )
        restarts = CounterMetricFamily(
            "pictag_stage_restarts", "Times the controller re-created the stage.", labels=["stage", "kind"]
        )
        for name, view in self._s.stages.items():
            kind = str(view.get("kind", ""))
            up.add_metric([name, kind], 0.0 if view.get("status") == "down" else 1.0)
            restarts.add_metric([name, kind], float(view.get("restarts", 0)))
        yield from (up, restarts)


def render(snapshot: Snapshot) -> bytes:
    """The text exposition (format 0.0.4) of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot))
    return generate_latest(registry)
