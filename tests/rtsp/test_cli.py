"""`pictag camera simulate` and `pictag camera check` as a user runs them."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pictag.cli.main import main

PASSWORD = "cli-Secret-4711"


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "simulate printed no URL in time"
    return proc.stdout.readline().strip()


def test_simulate_then_check(
    rtsp_available: None, asset: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**os.environ, "PICTAG_SIMULATE_PASSWORD": PASSWORD}
    video = str(asset("videos/TUD-Campus.mp4"))
    cmd = [sys.executable, "-m", "pictag.cli.main", "camera", "simulate", video,
           "--port", "0", "--mount", "/shop", "--user", "owner"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        shown = _first_line(proc, timeout=60)
        assert shown.startswith("rtsp://owner:<password>@127.0.0.1:") and shown.endswith("/shop")
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2  # the ffmpeg feeder and the GStreamer server
        url = shown.replace("<password>", PASSWORD)
        assert main(["camera", "check", url, "--timeout", "20"]) == 0
        out = capsys.readouterr().out
        assert ": live" in out and "640x480" in out
        assert PASSWORD not in out
        assert main(["camera", "check", url.replace(PASSWORD, "wrong"), "--timeout", "20"]) == 1
        assert "authentication failed (401)" in capsys.readouterr().out
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
        stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 0, stderr
    assert PASSWORD not in stderr
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, f"left behind: {alive}"
