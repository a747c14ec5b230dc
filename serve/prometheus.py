"""Prometheus text exposition (format 0.0.4) of the runtime's counters.

Written by hand instead of pulling in a client library: the values already
exist as plain dicts (the controller's camera view, store and hub counters);
this only renders them with HELP/TYPE lines and escaped labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Sample = tuple[dict[str, str], float]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def metric(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    """HELP/TYPE lines and one line per sample; samples with a None value are skipped."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        if value is None:
            continue
        label_text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
        lines.append(f"{name}{{{label_text}}} {float(value):g}" if label_text else f"{name} {float(value):g}")
    return lines


COUNTERS = (
    ("decoded", "Frames decoded by the camera source."),
    ("sent", "Frames sent to detection."),
    ("skipped", "Frames skipped at the source because the in-flight window was full."),
    ("dropped", "Frames replaced by a newer one while waiting at a stage."),
    ("processed", "Frames that reached the identity stage."),
    ("reconnects", "Times the camera stream came back after a loss."),
)


def render(cameras: list[dict[str, Any]], extra: dict[str, Any]) -> str:
    """The whole exposition for the camera views and the global gauges in ``extra``."""
    lines: list[str] = []
    for key, help_text in COUNTERS:
        lines += metric(
            f"pictag_camera_frames_{key}_total",
            "counter",
            help_text,
            (({"camera": c["id"]}, c["counters"].get(key, 0)) for c in cameras),
        )
    lines += metric(
        "pictag_camera_up",
        "gauge",
        "1 when the camera is live.",
        (({"camera": c["id"], "status": c["status"]}, 1.0 if c["status"] == "live" else 0.0) for c in cameras),
    )
    lines += metric(
        "pictag_camera_occupancy",
        "gauge",
        "People currently tracked on the camera.",
        (({"camera": c["id"]}, c.get("occupancy", 0)) for c in cameras),
    )
    for field, name, help_text in (
        ("frame_age_ms", "pictag_frame_age_ms", "Age of a frame when detection starts (rolling window)."),
        ("latency_ms", "pictag_latency_ms", "Capture to identity-stage latency (rolling window)."),
    ):
        lines += metric(
            name,
            "gauge",
            help_text,
            (
                ({"camera": c["id"], "quantile": q[1:]}, c.get(field, {}).get(q))
                for c in cameras
                for q in ("p50", "p95")
            ),
        )
    lines += metric(
        "pictag_stage_ms",
        "gauge",
        "Per-stage time in milliseconds (rolling p50).",
        (
            ({"camera": c["id"], "stage": stage}, (v or {}).get("p50"))
            for c in cameras
            for stage, v in c.get("stages_ms", {}).items()
        ),
    )
    for key, help_text in (
        ("websocket_clients", "Connected event WebSocket clients on this replica."),
        ("event_hub_queue", "Events in the hub's ring buffer sequence (monotonic)."),
        ("store_pending_rows", "Rows buffered for the next DuckDB write."),
        ("store_dropped_rows_total", "Rows dropped because the write buffer was full."),
        ("identities", "Identities in the gallery."),
        ("open_visits", "Visits currently open (people in the shop)."),
    ):
        if key in extra:
            kind = "counter" if key.endswith("_total") else "gauge"
            lines += metric(f"pictag_{key}", kind, help_text, [({}, extra[key])])
    return "\n".join(lines) + "\n"
