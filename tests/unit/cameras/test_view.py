"""The merged camera view and the health summary."""

from __future__ import annotations

from pictag.cameras.supervision import CameraState
from pictag.cameras.view import camera_view, detector_counters, health_view
from pictag.config import CameraConfig
from pictag.supervision import StageHealth

CAM = CameraConfig(id="door", url="rtsp://user:secret@cam/stream", name="Front door", frame_size=(320, 240))


def _running(stats: dict) -> CameraState:
    cam = CameraState.new(CAM, 1.0)
    cam.started(object(), 1.0)
    cam.answered(stats)
    return cam


def test_view_merges_capture_detector_and_identity_counters() -> None:
    cam = _running({"decoded": 100, "sent": 40, "skipped": 5, "idle": 5, "frame_size": [640, 480], "node_id": "n1"})
    det = {"dropped_at_detector": 10, "detected": 30, "frame_age_ms": {"p50": 5.0, "p95": 9.0}}
    ident = {"processed": 29, "occupancy": 2, "stages_ms": {"detect_ms": {"p50": 1.0}}}
    view = camera_view(cam, det, ident)
    assert view["name"] == "Front door" and "secret" not in view["url"]
    assert view["counters"]["dropped"] == 10 and view["counters"]["processed"] == 29
    assert view["skip_rate"] == round((5 + 10) / 50, 4)
    assert view["frame_size"] == [640, 480] and view["node_id"] == "n1" and view["occupancy"] == 2
    assert view["latency_ms"] == {"p50": None, "p95": None, "p99": None}
    assert (view["status"], view["reason_code"], view["since"]) == ("connecting", None, 1.0)


def test_a_stopped_camera_shows_no_stale_counters() -> None:
    cam = _running({"decoded": 100})
    cam.stopped()
    view = camera_view(cam, {}, {})
    assert view["counters"]["decoded"] == 0 and view["frame_size"] == (320, 240) and view["skip_rate"] == 0.0


def test_a_down_stage_overrides_the_status() -> None:
    health = StageHealth("detector@head#0", "detector", "", 0.0)
    health.died("AssetError: model missing", 9.0, recreate=True)
    view = camera_view(_running({}), {}, {}, health)
    assert view["status"] == "error" and view["reason_code"] == "stage_down" and view["since"] == 9.0
    assert view["reason"] == "detector stage down: AssetError: model missing"


def test_detector_counters_merge_per_node() -> None:
    merged = detector_counters(
        [("", {"cameras": {"a": {"detected": 1}}}), ("", {"cameras": {"b": {"detected": 2}}}), ("shop", {})]
    )
    assert merged == {"": {"a": {"detected": 1}, "b": {"detected": 2}}, "shop": {}}


def test_health_is_degraded_when_a_stage_is_down() -> None:
    up = StageHealth("store", "store", "", 0.0)
    up.answered(1.0)
    assert health_view([up], ["live", "live", "offline"]) == {
        "status": "ok",
        "stages": {"store": up.view()},
        "cameras": {"live": 2, "offline": 1},
    }
    down = StageHealth("identity", "identity", "", 0.0)
    down.died("gone", 2.0, recreate=False)
    assert health_view([up, down], [])["status"] == "degraded"
