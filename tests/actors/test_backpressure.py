"""Backpressure on a real Ray runtime: a detector slower than the cameras.

The detector runs at 1280 px (about 4x the work of 640) with one inference
request, while two cameras offer 30 frames/s each from files decoded as fast as
they are taken. Without backpressure the object store and the latency would grow
with every second; with the in-flight window and latest-wins slots they stay flat
and the skipped-frame counters grow instead.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import ray

from pictag.actors.diagnostics import object_store_used_bytes
from pictag.config import parse_config
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(300)

FRAME_BYTES = 768 * 576 * 3
OBSERVE_S = 20.0


def _cameras(runtime: Any) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in ray.get(runtime.controller.list_cameras.remote(), timeout=30)}


def test_slow_detector_skips_frames_with_bounded_memory_and_latency(ray_session, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    video = str(asset("vtest.avi"))
    config = parse_config(
        {
            "cameras": [
                {"id": f"c{i}", "url": video, "loop": True, "realtime": False, "analysis_fps": 30} for i in (1, 2)
            ],
            "detector": {"input_size": 1280, "num_requests": 1},
            "storage": {"path": str(tmp_path / "bp.duckdb")},
        }
    )
    runtime = start_runtime(config, with_serve=False)
    try:

        def processing() -> dict[str, Any] | None:
            cams = _cameras(runtime)
            return cams if all(c["counters"]["processed"] > 3 for c in cams.values()) else None

        wait_for(processing, 120, interval=1.0, message="both cameras processing")
        first = _cameras(runtime)
        samples: list[int] = []
        deadline = time.monotonic() + OBSERVE_S
        while time.monotonic() < deadline:
            samples.append(object_store_used_bytes())
            time.sleep(0.25)
        last = _cameras(runtime)
    finally:
        runtime.stop()

    for cam_id in ("c1", "c2"):
        before, after = first[cam_id]["counters"], last[cam_id]["counters"]
        offered = (after["sent"] + after["skipped"]) - (before["sent"] + before["skipped"])
        skipped = after["skipped"] - before["skipped"]
        processed = after["processed"] - before["processed"]
        assert skipped > 0.3 * offered, (cam_id, before, after)  # the slow stage really is the bottleneck
        assert processed > 0, (cam_id, before, after)
        p95 = last[cam_id]["latency_ms"]["p95"]
        assert p95 is not None and p95 < 5000, f"{cam_id} latency p95 {p95} ms grew: frames are queueing"
    # Unbounded, 2 cameras x 30 frames/s would pile up ~1.6 GB in 20 s. Bounded, each camera holds at
    # most its in-flight window plus one waiting frame per stage (and Ray frees released frames
    # lazily): a couple of dozen frames, and no growth from the first half of the window to the second.
    half = len(samples) // 2
    peak = max(samples)
    assert peak < 2 * 16 * FRAME_BYTES, f"object store peaked at {peak / 1e6:.1f} MB"
    assert max(samples[half:]) <= max(samples[:half]) + 4 * FRAME_BYTES, (
        f"object store grew: {max(samples[:half]) / 1e6:.1f} MB -> {max(samples[half:]) / 1e6:.1f} MB"
    )
