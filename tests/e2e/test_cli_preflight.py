"""`pictag up` and `pictag demo` with no assets at all: a clear error within seconds, nothing started.

A real subprocess each, as a new user runs it: empty $PICTAG_ASSETS, an empty home (so an empty
~/.cache/pictag), and for the demo a network that refuses downloads (a proxy on a closed port, so
the test means the same with or without internet access).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import free_port

pytestmark = pytest.mark.timeout(120)

#: Exit within this many seconds (no Ray start is attempted; measured ~1 s here).
MAX_SECONDS = 15


def _run(args: list[str], home: Path, cwd: Path) -> tuple[int, str, float]:
    closed = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "PICTAG_ASSETS": str(home / "assets"),
        "HOME": str(home),
        "https_proxy": closed,
        "http_proxy": closed,
        "HTTPS_PROXY": closed,
        "HTTP_PROXY": closed,
    }
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pictag.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    return tmp_path


def test_up_without_models_names_them_and_how_to_get_them(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "cams.yaml"
    config.write_text(
        "cameras:\n"
        "  - id: door\n    url: rtsp://viewer:Zq7-secret@127.0.0.1:8554/door\n"
        "  - id: till\n    url: clips/till.mp4\n"
        f"storage:\n  path: {tmp_path / 'up.duckdb'}\n"
    )
    code, out, seconds = _run(["up", "-c", str(config)], home, tmp_path)
    assert code == 2, out
    assert seconds < MAX_SECONDS, f"took {seconds:.1f} s"
    assert "nothing was started" in out
    for expected in (
        "detector.model: asset 'yolo11n_int8_openvino_model' not found",
        "pictag assets fetch yolo11n_int8_openvino_model",
        "reid.model: asset 'intel/person-reidentification-retail-0287' not found",
        "pictag assets fetch intel/person-reidentification-retail-0287",
        "PICTAG_ASSETS",
        "cameras[till].url: video file",
    ):
        assert expected in out, out
    assert "starting PicTag" not in out and "Ray" not in out
    assert "Zq7-secret" not in out  # the camera password is never printed
    assert not (tmp_path / "up.duckdb").exists()
    print(f"pictag up exited {code} after {seconds:.2f} s")


def test_demo_without_models_and_network_fails_fast(home: Path, tmp_path: Path) -> None:
    code, out, seconds = _run(["demo", "--db", str(tmp_path / "demo.duckdb")], home, tmp_path)
    assert code == 2, out
    assert seconds < MAX_SECONDS, f"took {seconds:.1f} s"
    for name in (
        "one-by-one-person-detection.mp4",
        "yolo11n_int8_openvino_model",
        "intel/person-reidentification-retail-0287",
    ):
        assert f"demo asset {name}: download of" in out, out
        assert f"pictag assets fetch {name}" in out
    assert "starting PicTag" not in out
    assert not list((home / "assets").rglob("*.part")), "a failed download left a partial file"
    print(f"pictag demo exited {code} after {seconds:.2f} s")
