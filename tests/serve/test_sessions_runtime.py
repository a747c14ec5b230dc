"""Login sessions in the real runtime (Ray Serve + store actor): a killed replica keeps them, logout ends them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(300)

TOKEN = "runtime-session-token-7f3e"  # noqa: S105
COOKIE = "pictag_token"


def _replica_names(ray) -> list[str]:
    return sorted(
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["namespace"] == "serve" and "PictagApi" in a["name"] and a["name"].startswith("SERVE_REPLICA")
    )


def test_sessions_outlive_a_killed_replica_and_end_at_logout(ray_session, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    ray = ray_session
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = parse_config(
        {"cameras": [], "server": {"port": port, "auth_token": TOKEN}, "storage": {"path": str(tmp_path / "s.duckdb")}}
    )
    runtime = start_runtime(config)
    try:
        wait_for(lambda: httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200, 60, message="API")
        res = httpx.post(f"{base}/api/v1/login", json={"token": TOKEN}, timeout=10)
        assert res.status_code == 200, res.text
        session = res.cookies[COOKIE]
        jar = {COOKIE: session}
        assert httpx.get(f"{base}/api/v1/cameras", cookies=jar, timeout=10).status_code == 200

        [replica] = _replica_names(ray)
        ray.kill(ray.get_actor(replica, namespace="serve"), no_restart=True)

        def new_replica_serves() -> bool:
            names = _replica_names(ray)
            if not names or names == [replica]:
                return False
            try:
                return httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(new_replica_serves, 90, interval=0.5, message="Serve replaced the killed replica")
        again = wait_for(
            lambda: httpx.get(f"{base}/api/v1/cameras", cookies=jar, timeout=10),
            30,
            message="an answer from the new replica",
        )
        assert again.status_code == 200, "the session must survive the replica restart"

        out = httpx.post(f"{base}/api/v1/logout", cookies=jar, timeout=10)
        assert out.status_code == 200
        assert httpx.get(f"{base}/api/v1/cameras", cookies=jar, timeout=10).status_code == 401
    finally:
        runtime.stop()
