"""`pictag up --camera ...` as a user runs it: events arrive, Ctrl-C leaves no Ray process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.sync.client import connect

from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(300)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_up_with_camera_option_then_ctrl_c_stops_everything(asset, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PICTAG_ASSETS": str(asset("vtest.avi").parent.parent)}
    cmd = [
        sys.executable,
        "-m",
        "pictag.cli.main",
        "up",
        "--camera",
        f"door={asset('vtest.avi')}",
        "--port",
        str(port),
        "--db",
        str(tmp_path / "up.duckdb"),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    started = time.monotonic()
    descendants: set[int] = set()
    try:

        def healthy() -> bool:
            descendants.update(p.pid for p in psutil.Process(proc.pid).children(recursive=True))
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 120, interval=0.5, message="pictag up serving")
        with connect(f"ws://127.0.0.1:{port}/ws/events", open_timeout=30) as ws:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                event = json.loads(ws.recv(timeout=deadline - time.monotonic()))
                if event["type"] == "track.started":
                    break
        assert event["type"] == "track.started" and event["camera_id"] == "door"
        first_event_s = time.monotonic() - started
        descendants.update(p.pid for p in psutil.Process(proc.pid).children(recursive=True))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            pytest.fail(f"pictag up did not stop within 90 s of Ctrl-C:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-3000:]
    assert "dashboard http://127.0.0.1:" in out and "stopped." in out
    assert len(descendants) > 3, "expected Ray's processes under pictag up"

    def all_gone() -> bool:
        return not any(_alive(pid) for pid in descendants)

    wait_for(all_gone, 30, message="every Ray process started by pictag up gone")
    print(f"first track.started {first_event_s:.1f} s after start")
