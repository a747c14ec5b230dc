"""A stage that cannot start is visible and recovers once it can (issue: fail loudly).

The detector's model is missing when the runtime starts, so every detector constructor
raises: the camera must show `error` naming the stage, /api/v1/health 503 `degraded`, /metrics
a 0 stage gauge, a `stage.down` event; frames are counted and dropped at the source (nothing
piles up). Once the model appears, the controller's re-creation succeeds and all turns green.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import ray

from pictag.actors.diagnostics import object_store_used_bytes
from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(300)


def _camera(base: str) -> dict[str, Any]:
    return httpx.get(f"{base}/api/v1/cameras", timeout=10).json()["items"][0]


def _events(runtime: Any, kind: str) -> list[dict[str, Any]]:
    ray.get(runtime.store.flush.remote(), timeout=30)
    return [e.payload for e in ray.get(runtime.store.list_events.remote(event_type=kind, limit=100))]


def test_a_detector_that_cannot_start_is_visible_and_recovers(ray_session, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    model = tmp_path / "models" / "detector"
    port = free_port()
    config = parse_config(
        {
            "cameras": [{"id": "door", "url": str(asset("videos/vtest.avi")), "loop": True, "analysis_fps": 7}],
            "detector": {"model": str(model)},
            "storage": {"path": str(tmp_path / "stage.duckdb"), "flush_interval_s": 0.2},
            "server": {"port": port},
        }
    )
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(config)
    try:

        def degraded() -> dict[str, Any] | None:
            res = httpx.get(f"{base}/api/v1/health", timeout=10)
            return res.json() if res.status_code == 503 else None

        health = wait_for(degraded, 60, message="health 503 degraded")
        assert health["status"] == "degraded"
        [stage] = [v for name, v in health["stages"].items() if name.startswith("detector@")]
        assert stage["status"] == "down" and str(model) in stage["reason"], stage
        cam = wait_for(lambda: (c := _camera(base))["status"] == "error" and c, 30, message="camera error")
        assert cam["reason"].startswith("detector stage down:") and cam["reason_code"] == "stage_down"
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert 'pictag_stage_up{kind="detector",stage="detector@head#0"} 0.0' in metrics
        assert 'pictag_camera_up{camera="door"} 0.0' in metrics
        down = wait_for(lambda: _events(runtime, "stage.down"), 30, message="stage.down event")
        assert down[0]["cameras"] == ["door"] and down[0]["kind"] == "detector"
        # Frames meant for the dead stage are counted and dropped at the source: nothing piles up.
        first = wait_for(lambda: (c := _camera(base))["counters"]["stage_down"] > 10 and c, 30, message="drops")
        assert object_store_used_bytes() < 20 * 768 * 576 * 3

        shutil.copytree(asset("models/yolo11n_int8_openvino_model"), model)  # the model arrives

        wait_for(
            lambda: httpx.get(f"{base}/api/v1/health", timeout=10).status_code == 200,
            90,
            message="health ok after the model arrived",
        )
        cam = wait_for(
            lambda: (c := _camera(base))["status"] == "live" and c["counters"]["processed"] > 0 and c,
            60,
            message="camera live and processed again",
        )
        assert cam["counters"]["stage_down"] >= first["counters"]["stage_down"]
        # Only the recovery is news: stages answering at start-up raise no stage.up.
        up = wait_for(
            lambda: [e for e in _events(runtime, "stage.up") if e["kind"] == "detector"], 30, message="stage.up event"
        )
        assert up[0]["stage"] == "detector@head#0" and up[0]["cameras"] == ["door"]
        assert all(e["kind"] == "detector" for e in _events(runtime, "stage.up")), "start-up answers are not news"
        health = httpx.get(f"{base}/api/v1/health", timeout=10).json()
        assert next(v for n, v in health["stages"].items() if n.startswith("detector@"))["restarts"] >= 1
    finally:
        runtime.stop()
