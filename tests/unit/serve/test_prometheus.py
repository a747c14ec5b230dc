"""Prometheus rendering: HELP/TYPE lines, labels escaped, missing values skipped."""

from __future__ import annotations

from pictag.serve.prometheus import render


def test_render_cameras_and_extras() -> None:
    cams = [{
        "id": 'door"1', "status": "live", "occupancy": 2,
        "counters": {"decoded": 100, "sent": 50, "skipped": 5, "dropped": 1, "processed": 49, "reconnects": 0},
        "frame_age_ms": {"p50": 12.5, "p95": None}, "latency_ms": {"p50": 80.0, "p95": 120.0},
        "stages_ms": {"detect_ms": {"p50": 15.0}},
    }]
    text = render(cams, {"websocket_clients": 3, "store_dropped_rows_total": 0})
    assert '# TYPE pictag_camera_frames_skipped_total counter' in text
    assert 'pictag_camera_frames_skipped_total{camera="door\\"1"} 5' in text
    assert 'pictag_frame_age_ms{camera="door\\"1",quantile="50"} 12.5' in text
    assert 'quantile="95"} ' not in text.split("pictag_frame_age_ms")[-1].split("# HELP")[0]
    assert 'pictag_stage_ms{camera="door\\"1",stage="detect_ms"} 15' in text
    assert "pictag_websocket_clients 3" in text
    assert text.endswith("\n")
