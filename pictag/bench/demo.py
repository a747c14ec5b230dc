"""`pictag bench demo`: what a user of ``pictag demo`` gets, measured from the outside.

``pictag demo`` runs as a child process exactly as a user starts it. Measured:
time until it prints its URL, until the first ``track.started`` event is produced
(its timestamp in the DuckDB file) and until one arrives on ``/ws/events`` (the
client connects as soon as the server answers); frames/s and latency of the demo
camera from ``/api/v1/cameras`` over a window; RSS/PSS of the whole process tree
(the ``pictag`` process, Ray's GCS/raylet and every worker). Then Ctrl-C as a
terminal sends it (SIGINT to the process group): time to exit, exit code, and
whether any process of the tree or of its Ray session is left behind.

The WebSocket client is the ``websockets`` package (a test dependency).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from pictag.bench import procs
from pictag.bench.stats import CameraCounters, rate
from pictag.errors import PictagError

Progress = Callable[[str], None]
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 90.0
#: How long processes may take to disappear after the demo exited.
LEFTOVER_WAIT_S = 20.0


def _get_json(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback URL we built
        return json.loads(resp.read().decode())


class _FirstEvent(threading.Thread):
    """Connects to ``/ws/events`` as soon as it answers and records the first ``track.started``."""

    def __init__(self, url: str, deadline: float) -> None:
        super().__init__(name="first-event", daemon=True)
        self.url = url
        self.deadline = deadline
        self.connected_at: float | None = None
        self.received_at: float | None = None
        self.event: dict[str, Any] | None = None
        self.error: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            from websockets.sync.client import connect
        except ImportError:
            self.error = "the websockets package is not installed (pip install websockets)"
            return
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                with connect(self.url, open_timeout=2) as ws:
                    self.connected_at = time.time()
                    self._listen(ws)
                    return
            except (OSError, TimeoutError, Exception):  # server not up yet: retry
                self.stop.wait(0.2)

    def _listen(self, ws: Any) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                event = json.loads(ws.recv(timeout=1.0))
            except TimeoutError:
                continue
            if event.get("type") == "track.started":
                self.received_at = time.time()
                self.event = event
                return


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _camera(base: str) -> dict[str, Any]:
    items = _get_json(f"{base}/api/v1/cameras")["items"]
    if not items:
        raise PictagError("the demo runs no camera (GET /api/v1/cameras is empty)")
    return dict(items[0])


def _first_stored_event(db: Path, since: float) -> float | None:
    from pictag.storage import Store

    store = Store.open(db)
    try:
        events = store.list_events(event_type="track.started", since=since, limit=10000)
    finally:
        store.close()
    return min((e.ts for e in events), default=None)


def _wait_url(proc: subprocess.Popen[str], timeout: float) -> float:
    """Seconds until the demo prints its 'PicTag is running' line."""
    assert proc.stdout is not None
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        line = proc.stdout.readline()
        if "PicTag is running" in line:
            return time.monotonic() - start
        if not line and proc.poll() is not None:
            raise PictagError(f"pictag demo exited early with code {proc.returncode}")
    raise PictagError(f"pictag demo printed no URL within {timeout:.0f} s")


def measure_demo(port: int, seconds: float, progress: Progress) -> dict[str, Any]:
    """Start ``pictag demo`` on ``port``, measure it, stop it with Ctrl-C; return the figures."""
    out: dict[str, Any] = {"port": port}
    with tempfile.TemporaryDirectory(prefix="pictag-bench-demo-") as tmp:
        db = Path(tmp) / "demo.duckdb"
        cmd = [
            sys.executable,
            "-m",
            "pictag.cli.main",
            "demo",
            "--port",
            str(port),
            "--db",
            str(db),
        ]
        launched_wall = time.time()
        launched = time.monotonic()
        proc = subprocess.Popen(  # noqa: S603 - our own CLI
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        listener = _FirstEvent(f"ws://127.0.0.1:{port}/ws/events", launched + START_TIMEOUT_S)
        listener.start()
        try:
            out["url_printed_s"] = round(_wait_url(proc, START_TIMEOUT_S), 1)
            progress(f"  demo serving after {out['url_printed_s']} s; waiting for the first event")
            listener.join(max(0.0, START_TIMEOUT_S - (time.monotonic() - launched)))
            if listener.received_at is None:
                raise PictagError(f"no track.started on the WebSocket ({listener.error or 'timeout'})")
            out["first_event_ws_s"] = round(listener.received_at - launched_wall, 1)
            out["ws_connected_s"] = round((listener.connected_at or 0.0) - launched_wall, 1)
            out.update(_window(f"http://127.0.0.1:{port}", proc, seconds, progress))
        finally:
            listener.stop.set()
            out.update(_interrupt(proc))
        first = _first_stored_event(db, launched_wall)
        out["first_event_stored_s"] = None if first is None else round(first - launched_wall, 1)
    return out


def _window(base: str, proc: subprocess.Popen[str], seconds: float, progress: Progress) -> dict[str, Any]:
    """Frames/s, latency and memory of the running demo over ``seconds``."""
    root = psutil.Process(proc.pid)
    before = _camera(base)
    start = time.monotonic()
    time.sleep(seconds)
    after = _camera(base)
    wall = time.monotonic() - start
    delta = CameraCounters.from_mapping(after["counters"]) - CameraCounters.from_mapping(before["counters"])
    memory = procs.memory_totals(_tree(root))
    progress(f"  demo: {rate(delta.processed, wall):.1f} frames/s, PSS {memory.pss_mb:.0f} MiB")
    return {
        "fps_processed": round(rate(delta.processed, wall), 2),
        "skip_rate": delta.skip_rate,
        "analysis_fps": after.get("analysis_fps"),
        "latency_ms_rolling": after.get("latency_ms"),
        "stages_ms_rolling": after.get("stages_ms"),
        "rss_mb": round(memory.rss_mb, 1),
        "pss_mb": round(memory.pss_mb, 1),
        "processes": memory.processes,
        "pss_by_role": {k: round(v, 1) for k, v in sorted(memory.pss_by_role.items())},
    }


def _interrupt(proc: subprocess.Popen[str]) -> dict[str, Any]:
    """Ctrl-C the demo as a terminal would; report exit and anything left behind."""
    try:
        tree = _tree(psutil.Process(proc.pid))
    except psutil.Error:
        tree = []
    sessions = {procs.session_in_cmdline(" ".join(_safe_cmdline(p))) for p in tree} - {None}
    start = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        code = proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        code = None
    stop_s = time.monotonic() - start
    deadline = time.monotonic() + LEFTOVER_WAIT_S
    left = _alive(tree, sessions)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = _alive(tree, sessions)
    result = {
        "stop_s": round(stop_s, 1),
        "exit_code": code,
        "leftover_processes": len(left),
        "leftover": [f"{p.pid} {p.name()}" for p in left][:10],
    }
    if code is None:  # never leave a benchmark's demo running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    return result


def _safe_cmdline(p: psutil.Process) -> list[str]:
    try:
        return list(p.cmdline())
    except psutil.Error:
        return []


def _running(p: psutil.Process) -> bool:
    try:
        return bool(p.is_running() and p.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _alive(tree: list[psutil.Process], sessions: set[str | None]) -> list[psutil.Process]:
    alive = {p.pid: p for p in tree if _running(p)}
    for session in sessions:
        if session:
            alive.update({p.pid: p for p in procs.find_runtime_processes(session)})
    return list(alive.values())
