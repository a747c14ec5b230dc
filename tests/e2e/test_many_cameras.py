"""Eight RTSP cameras from one real server on this 2-core machine for 60 s.

Every camera must deliver track events; the object store stays bounded and the
runtime's memory does not keep growing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import ray

from pictag.actors.diagnostics import object_store_used_bytes, ray_process_memory
from pictag.config import parse_config
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(600)

CAMERAS = 8
RUN_S = 60.0


def _cameras(runtime: Any) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in ray.get(runtime.controller.list_cameras.remote(), timeout=30)}


def test_eight_rtsp_cameras_for_a_minute(ray_session, rtsp_shared_server, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    cams = [
        {"id": f"cam{i}", "url": rtsp_shared_server.url(f"/cam{i}"), "analysis_fps": 2} for i in range(1, CAMERAS + 1)
    ]
    config = parse_config({"cameras": cams, "storage": {"path": str(tmp_path / "eight.duckdb")}})
    runtime = start_runtime(config, with_serve=False)
    try:
        wait_for(
            lambda: all(c["status"] == "live" for c in _cameras(runtime).values()),
            90,
            interval=1.0,
            message="all eight cameras live",
        )
        started = time.monotonic()
        memory: list[tuple[float, float]] = []
        store_peak = 0
        while time.monotonic() - started < RUN_S:
            memory.append((time.monotonic() - started, ray_process_memory()["rss_mb"]))
            store_peak = max(store_peak, object_store_used_bytes())
            time.sleep(2.0)
        cams_now = _cameras(runtime)
        ray.get(runtime.store.flush.remote(), timeout=30)
        tracks = ray.get(runtime.store.list_tracks.remote(limit=1000), timeout=30)
    finally:
        runtime.stop()

    per_camera = {cid: sum(1 for t in tracks if t.camera_id == cid) for cid in cams_now}
    assert all(c["counters"]["processed"] > 30 for c in cams_now.values()), {
        cid: c["counters"] for cid, c in cams_now.items()
    }
    assert all(n > 0 for n in per_camera.values()), per_camera
    assert store_peak < 100e6, f"object store peaked at {store_peak / 1e6:.0f} MB"
    early = max(rss for t, rss in memory if t < 25)
    late = max(rss for t, rss in memory if t >= RUN_S - 20)
    assert late < early * 1.15 + 50, f"RSS grew from {early:.0f} MB to {late:.0f} MB"
    print(
        f"8 cameras: RSS {early:.0f} -> {late:.0f} MB, object store peak {store_peak / 1e6:.1f} MB, "
        f"tracks per camera {per_camera}"
    )
