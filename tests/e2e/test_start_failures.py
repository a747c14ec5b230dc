"""A start that fails leaves nothing behind, and never harms a PicTag that already runs.

Real Ray and Serve. Two ways a start goes wrong after Ray is up: the web port is taken
by another program (Serve's proxy cannot bind), or PicTag already runs on this Ray. The
first once cascaded through CI: the half-started Serve kept retrying the busy port, so
the next runtime's API never came up on its own port.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from pictag.config import parse_config
from pictag.errors import PictagError
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(300)


def _config(tmp_path: Path, port: int) -> object:
    return parse_config({"cameras": [], "server": {"port": port}, "storage": {"path": str(tmp_path / "s.duckdb")}})


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_busy_port_is_named_and_the_next_start_listens_where_asked(ray_session, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    with socket.socket() as other:
        other.bind(("127.0.0.1", free_port()))
        other.listen()
        busy = other.getsockname()[1]
        with pytest.raises(PictagError, match=f"could not listen on 127.0.0.1:{busy}"):
            start_runtime(_config(tmp_path / "a", busy))

    port = free_port()
    runtime = start_runtime(_config(tmp_path / "b", port))
    try:
        wait_for(lambda: _healthy(f"http://127.0.0.1:{port}"), 60, message="API health on the new port")
    finally:
        runtime.stop()


def test_a_second_start_on_the_same_ray_leaves_the_running_one_alone(ray_session, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(_config(tmp_path / "first", port))
    try:
        wait_for(lambda: _healthy(base), 60, message="API health")
        with pytest.raises(PictagError, match="already running"):
            start_runtime(_config(tmp_path / "second", free_port()))
        assert _healthy(base), "the running PicTag must keep serving"
        assert ray_session.get(runtime.controller.stages.remote(), timeout=30) is not None  # its controller lives
    finally:
        runtime.stop()
