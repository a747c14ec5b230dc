"""Prometheus exposition: stable series, full-precision counters, proper quantile labels, stage gauges."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from pictag.serve.prometheus import CAMERA_STATES, Snapshot, render


def _camera(status: str = "live", decoded: int = 100) -> dict:
    return {
        "id": 'door"1',
        "status": status,
        "occupancy": 2,
        "counters": {"decoded": decoded, "sent": 50, "skipped": 5, "idle": 7, "dropped": 1, "processed": 49},
        "frame_age_ms": {"p50": 12.5, "p95": None},
        "latency_ms": {"p50": 80.0, "p95": 120.0},
        "stages_ms": {"detect_ms": {"p50": 15.0}},
    }


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def test_counters_quantiles_and_escaped_labels() -> None:
    text = render(Snapshot([_camera()], {}, {"websocket_clients": 3, "store_dropped_rows": 0}))
    assert b"# TYPE pictag_camera_frames_skipped_total counter" in text
    assert b'pictag_camera_frames_skipped_total{camera="door\\"1"} 5.0' in text
    got = _samples(text)
    assert got[("pictag_frame_age_ms", (("camera", 'door"1'), ("quantile", "0.5")))] == 12.5
    assert ("pictag_frame_age_ms", (("camera", 'door"1'), ("quantile", "0.95"))) not in got  # no value, no sample
    assert got[("pictag_latency_ms", (("camera", 'door"1'), ("quantile", "0.95")))] == 120.0
    assert got[("pictag_stage_ms", (("camera", 'door"1'), ("stage", "detect_ms")))] == 15.0
    assert got[("pictag_camera_frames_idle_total", (("camera", 'door"1'),))] == 7
    assert got[("pictag_websocket_clients", ())] == 3


def test_large_counters_keep_every_digit() -> None:
    """`:g` printed 1234567 as 1.23457e+06: rate() over it went in steps."""
    text = render(Snapshot([_camera(decoded=1_234_567)], {}, {}))
    assert _samples(text)[("pictag_camera_frames_decoded_total", (("camera", 'door"1'),))] == 1_234_567


def test_camera_state_is_a_stable_state_set() -> None:
    for status in ("live", "error"):
        got = _samples(render(Snapshot([_camera(status)], {}, {})))
        states = {dict(k[1])["state"]: v for k, v in got.items() if k[0] == "pictag_camera_state"}
        assert set(states) == set(CAMERA_STATES) and [s for s, v in states.items() if v == 1.0] == [status]
        assert got[("pictag_camera_up", (("camera", 'door"1'),))] == (1.0 if status == "live" else 0.0)


def test_stage_up_gauges() -> None:
    stages = {
        "detector@head#0": {"kind": "detector", "status": "down", "restarts": 2},
        "identity": {"kind": "identity", "status": "up", "restarts": 0},
    }
    got = _samples(render(Snapshot([], stages, {})))
    assert got[("pictag_stage_up", (("kind", "detector"), ("stage", "detector@head#0")))] == 0.0
    assert got[("pictag_stage_up", (("kind", "identity"), ("stage", "identity")))] == 1.0
    assert got[("pictag_stage_restarts_total", (("kind", "detector"), ("stage", "detector@head#0")))] == 2
