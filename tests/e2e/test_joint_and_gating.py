"""The runtime with joint re-id (identities survive a restart) and motion gating on a still scene."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import ray

from pictag.config import parse_config
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(420)


def _camera(runtime: Any, camera_id: str) -> dict[str, Any]:
    return next(c for c in ray.get(runtime.controller.list_cameras.remote(), timeout=30) if c["id"] == camera_id)


def _events(runtime: Any, kind: str) -> list[dict[str, Any]]:
    ray.get(runtime.store.flush.remote(), timeout=30)
    return [e.payload for e in ray.get(runtime.store.list_events.remote(event_type=kind, limit=1000))]


def test_joint_reid_identities_survive_a_restart(ray_session, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    config = parse_config(
        {
            "cameras": [{"id": "pets", "url": str(asset("videos/vtest.avi")), "loop": True, "analysis_fps": 7}],
            "reid": {"type": "joint"},  # the default joint model with its own calibrated threshold
            "storage": {"path": str(tmp_path / "joint.duckdb"), "flush_interval_s": 0.2},
        }
    )
    runtime = start_runtime(config, with_serve=False)
    try:
        stages = ray.get(runtime.controller.stages.remote(), timeout=30)
        assert all("embedder" not in roles for roles in stages.values()), "joint mode needs no embedder actor"

        def three_created() -> list[dict[str, Any]] | None:
            created = _events(runtime, "identity.created")
            return created if len(created) >= 3 else None

        created = wait_for(three_created, 120, message="identities created from joint embeddings")
        detector = next(a for roles in stages.values() for r, a in roles.items() if r.startswith("detector"))
        assert ray.get(detector.stats.remote())["cameras"]["pets"]["crops_embedded"] > 0
        before = ray.get(runtime.identity.gallery_stats.remote())
    finally:
        runtime.stop()
    known = {e["person_id"] for e in created}
    assert before["active_identities"] >= 3

    runtime = start_runtime(config, with_serve=False)
    try:
        assert ray.get(runtime.identity.ready.remote(), timeout=60)["active_identities"] >= before["active_identities"]
        matched = wait_for(
            lambda: [e for e in _events(runtime, "identity.matched") if e["person_id"] in known] or None,
            120,
            message="a person of the first run recognised after the restart",
        )
        assert matched[0]["similarity"] >= matched[0]["threshold"]
    finally:
        runtime.stop()


def _still_scene(path: Path, frames: int = 50) -> Path:
    """A textured, empty 'shop' that never changes (no person for the detector to find)."""
    rng = np.random.default_rng(3)
    room = cv2.GaussianBlur(rng.integers(0, 255, (432, 768, 3), dtype=np.uint8), (9, 9), 0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (768, 432))
    for _ in range(frames):
        writer.write(room)
    writer.release()
    return path


def test_a_still_scene_is_idle_not_skipped(ray_session, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    video = _still_scene(tmp_path / "still.avi")
    config = parse_config(
        {
            "cameras": [{"id": "still", "url": str(video), "loop": True, "analysis_fps": 10}],
            "runtime": {"idle_keyframe_s": 2.0},
            "storage": {"path": str(tmp_path / "still.duckdb")},
        }
    )
    runtime = start_runtime(config, with_serve=False)
    try:
        # Frames offered while the detector still compiles are skipped: measure after the first answer.
        first = wait_for(
            lambda: _camera(runtime, "still")["counters"]["processed"] >= 1 and _camera(runtime, "still"),
            120,
            message="the detector's first answer",
        )["counters"]
        last = wait_for(
            lambda: (c := _camera(runtime, "still")["counters"])["idle"] >= first["idle"] + 60 and c,
            120,
            message="idle frames counted on a still scene",
        )
    finally:
        runtime.stop()
    delta = {k: last[k] - first[k] for k in ("sent", "skipped", "idle", "dropped", "processed")}
    # ~10 frames/s offered, one keyframe per 2 s detected: the rest is idle, nothing was too busy.
    assert delta["skipped"] == 0 and delta["dropped"] == 0, delta
    assert 1 <= delta["sent"] <= delta["idle"] / 8, delta
    assert delta["processed"] >= 1, delta
