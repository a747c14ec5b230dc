"""Single-PC mode: every socket of every Ray and PicTag process listens on loopback only.

Starts the real `pictag up` (a camera looping a video, so capture, detector and embedder
actors run too), then reads the listening TCP sockets and bound UDP sockets of every
process of that Ray session: the `pictag up` process tree plus any process whose command
line names the session's temp folder. Before the fix 19 of 20 listening sockets were on
all interfaces or the machine's network address (GCS, raylet, every worker, the agents,
the Serve replica).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psutil
import pytest

from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(400)

#: Processes that must have been inspected, so a pass means the whole session was looked at.
EXPECTED = (
    "gcs_server",
    "raylet",
    "ray::StoreActor",
    "ray::DetectorActor",
    "ray::EmbedderActor",
    "ray::CaptureActor",
    "ray::ServeReplica",
    "ray::ProxyActor",
    "ray::DashboardAgent",
    "ray::RuntimeEnvAgent",
)


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _session_processes(root: int, temp_dir: str) -> list[psutil.Process]:
    found = {root: psutil.Process(root)}
    found.update({p.pid: p for p in found[root].children(recursive=True)})
    for proc in psutil.process_iter(["cmdline"]):
        if temp_dir in " ".join(proc.info["cmdline"] or ()):
            found[proc.pid] = proc
    return list(found.values())


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def _server_sockets(procs: list[psutil.Process]) -> list[tuple[str, str, int]]:
    """(process, address, port) of every listening TCP and bound, unconnected UDP socket."""
    rows = []
    for proc in procs:
        try:
            name = " ".join(proc.cmdline())[:60]
            conns = proc.net_connections(kind="inet")
        except psutil.Error:
            continue
        for conn in conns:
            listening = conn.status == psutil.CONN_LISTEN or (conn.type == 2 and not conn.raddr)  # 2: SOCK_DGRAM
            if listening and conn.laddr:
                rows.append((name, conn.laddr.ip, conn.laddr.port))
    return rows


def _camera_processed(base: str) -> bool:
    try:
        cams = httpx.get(f"{base}/api/v1/cameras", timeout=5).json()["items"]
    except (httpx.HTTPError, ValueError, KeyError):
        return False
    return any(c["id"] == "door" and c["counters"]["processed"] > 0 for c in cams)


def test_single_pc_mode_listens_on_loopback_only(asset, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    temp_dir = tempfile.mkdtemp(prefix="pt-lo-", dir="/tmp")  # Ray needs a short path (socket names)
    config = tmp_path / "cams.yaml"
    config.write_text(
        f"cameras:\n  - id: door\n    url: {asset('vtest.avi')}\n    loop: true\n    analysis_fps: 5\n"
        f"storage:\n  path: {tmp_path / 'lo.duckdb'}\nserver:\n  port: {port}\nruntime:\n  temp_dir: {temp_dir}\n"
    )
    env = {**os.environ, "PICTAG_ASSETS": str(asset("vtest.avi").parent.parent)}
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)  # the default a user gets
    proc = subprocess.Popen(
        [sys.executable, "-m", "pictag.cli.main", "up", "-c", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(lambda: _camera_processed(base), 180, interval=1.0, message="camera frames processed")
        procs = _session_processes(proc.pid, temp_dir)
        names = " | ".join(_cmdline(p) for p in procs)
        missing = [e for e in EXPECTED if e not in names]
        assert not missing, f"processes not found: {missing}"
        sockets = _server_sockets(procs)
        for name, address, number in sorted(sockets, key=lambda r: r[2]):
            print(f"{'loopback' if _loopback(address) else 'EXPOSED '} {address}:{number}  {name}")
        exposed = [s for s in sockets if not _loopback(s[1])]
        print(f"{len(procs)} processes, {len(sockets)} server sockets, {len(exposed)} not on loopback")
        assert len(sockets) >= len(EXPECTED)
        assert not exposed, f"sockets on other interfaces: {exposed}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert proc.returncode == 0, out[-3000:]
