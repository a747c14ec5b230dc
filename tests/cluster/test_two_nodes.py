"""Two Ray nodes on one machine: placement by node label, node loss and return.

Node A (the head) and node B carry the custom resources ``node_a`` / ``node_b``.
A camera pinned to node B must really run there and its events must reach the
head; killing node B marks its camera offline while node A's camera keeps
delivering; starting node B again brings the camera back without any action.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster

from pictag.actors import names
from pictag.config import parse_config
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(600)

FAST_HEALTH = {"health_check_period_ms": 1000, "health_check_failure_threshold": 3, "health_check_timeout_ms": 1000}


@pytest.fixture
def two_node_cluster():
    """Head (node_a) + worker (node_b); the shared local Ray is stopped for the duration."""
    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(
        initialize_head=True,
        connect=False,
        head_node_args={
            "num_cpus": 2,
            "resources": {"node_a": 1},
            "object_store_memory": 200 * 1024 * 1024,
            "include_dashboard": False,
            "_system_config": FAST_HEALTH,
        },
    )
    worker = cluster.add_node(num_cpus=2, resources={"node_b": 1}, object_store_memory=200 * 1024 * 1024)
    ray.init(address=cluster.address, namespace=names.NAMESPACE, log_to_driver=False)
    try:
        yield cluster, worker
    finally:
        ray.shutdown()
        cluster.shutdown()


def _cameras(runtime: Any) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in ray.get(runtime.controller.list_cameras.remote(), timeout=60)}


def _processed(runtime: Any, cam: str) -> int:
    return int(_cameras(runtime)[cam]["counters"]["processed"])


def test_camera_follows_its_node_through_loss_and_return(two_node_cluster, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    cluster, worker = two_node_cluster
    video = str(asset("vtest.avi"))
    config = parse_config(
        {
            "cameras": [
                {"id": "front", "url": video, "loop": True, "analysis_fps": 4, "node": "node_a"},
                {"id": "back", "url": video, "loop": True, "analysis_fps": 4, "node": "node_b"},
            ],
            "reid": {"enabled": False},
            "storage": {"path": str(tmp_path / "cluster.duckdb")},
        }
    )
    runtime = start_runtime(config, with_serve=False)
    try:
        wait_for(
            lambda: all(c["counters"]["processed"] > 5 for c in _cameras(runtime).values()),
            180,
            interval=1.0,
            message="both cameras processing",
        )
        cams = _cameras(runtime)
        assert cams["back"]["node_id"] == worker.node_id, "camera pinned to node_b runs elsewhere"
        assert cams["front"]["node_id"] != worker.node_id

        cluster.remove_node(worker)
        lost_at = time.monotonic()
        wait_for(
            lambda: _cameras(runtime)["back"]["status"] == "offline",
            60,
            interval=1.0,
            message="camera of the dead node reported offline",
        )
        reason = _cameras(runtime)["back"]["reason"]
        assert "down" in reason or "lost" in reason, reason
        before = _processed(runtime, "front")
        wait_for(
            lambda: _processed(runtime, "front") > before + 10,
            60,
            interval=1.0,
            message="node A's camera still delivering",
        )
        offline_s = time.monotonic() - lost_at

        cluster.add_node(num_cpus=2, resources={"node_b": 1}, object_store_memory=200 * 1024 * 1024)
        back_at = time.monotonic()
        wait_for(
            lambda: _cameras(runtime)["back"]["status"] == "live",
            180,
            interval=1.0,
            message="camera back after the node returned",
        )
        before = _processed(runtime, "back")
        wait_for(
            lambda: _processed(runtime, "back") > before + 5,
            120,
            interval=1.0,
            message="camera of the returned node processing again",
        )
        print(f"offline detected in {offline_s:.1f} s; back live {time.monotonic() - back_at:.1f} s after restart")
    finally:
        runtime.stop()
