"""Chaos: with 4 cameras running, kill -9 each actor type in turn; everything must come back.

For every kind (capture, detector, embedder, identity, store, event hub, controller, Serve
replica, Serve proxy): one process of that kind is killed with SIGKILL, then the test waits until
all four cameras are live again, every stage answers, a new event reached a WebSocket client and
new rows were committed. Committed rows counted before each kill must all still be there at the
end. The recovery table is printed and written to test-artifacts/chaos.json.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import ray
from websockets.sync.client import connect

from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: Recovery budget per kill (issue: each recovers within 15 s).
RECOVERY_S = 15.0
#: Process title prefix of each actor kind (Ray names worker processes ``ray::<Class>``).
KINDS = (
    ("capture", "ray::CaptureActor"),
    ("detector", "ray::DetectorActor"),
    ("embedder", "ray::EmbedderActor"),
    ("identity", "ray::IdentityActor"),
    ("store", "ray::StoreActor"),
    ("event hub", "ray::EventHub"),
    ("controller", "ray::ControllerActor"),
    ("Serve replica", "ray::ServeReplica"),
    ("Serve proxy", "ray::ProxyActor"),
)
ARTIFACTS = Path(os.environ.get("PICTAG_TEST_ARTIFACTS", "test-artifacts"))


class EventListener:
    """A WebSocket client on /ws/events that reconnects (the proxy or replica may be the one killed)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.received: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with connect(self.url, open_timeout=5) as ws:
                    while not self._stop.is_set():
                        try:
                            ws.recv(timeout=1.0)
                        except TimeoutError:
                            continue
                        self.received.append(time.time())
            except Exception:
                self._stop.wait(0.3)

    def since(self, ts: float) -> bool:
        return any(t > ts for t in self.received[-500:])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class ApiProber:
    """Asks a few routes every 0.1 s and keeps every answer's status and Retry-After header."""

    ROUTES = ("/api/v1/cameras", "/api/v1/tracks?limit=5", "/api/v1/stats", "/api/v1/visits?limit=5")

    def __init__(self, base: str) -> None:
        self.base = base
        self.answers: list[tuple[float, str, int, str | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                for route in self.ROUTES:
                    try:
                        res = client.get(self.base + route)
                    except httpx.HTTPError:
                        continue  # the proxy itself is down: no answer at all
                    self.answers.append((time.time(), route, res.status_code, res.headers.get("retry-after")))
                self._stop.wait(0.1)

    def between(self, start: float, end: float) -> list[tuple[float, str, int, str | None]]:
        return [a for a in self.answers if start <= a[0] <= end]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def _pid_of(prefix: str) -> int:
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = proc.info["cmdline"] or []
        if cmd and cmd[0].startswith(prefix):
            return int(proc.info["pid"])
    raise AssertionError(f"no process {prefix}")


def _recovered(runtime: Any, base: str, listener: EventListener, killed_at: float, rows_before: int) -> bool:
    try:
        if httpx.get(f"{base}/api/v1/health", timeout=3).status_code != 200:
            return False
        cams = ray.get(runtime.controller.list_cameras.remote(), timeout=3)
        if len(cams) != 4 or any(c["status"] != "live" for c in cams):
            return False
        rows = ray.get(runtime.store.row_counts.remote(), timeout=3)["events"]
    except Exception:
        return False
    return listener.since(killed_at) and rows > rows_before


def test_every_actor_kind_recovers_from_kill_9(ray_session, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    video = str(asset("videos/vtest.avi"))
    config = parse_config(
        {
            "cameras": [{"id": f"cam{i}", "url": video, "loop": True, "analysis_fps": 5} for i in range(4)],
            "storage": {"path": str(tmp_path / "chaos.duckdb"), "flush_interval_s": 0.5},
            "server": {"port": port},
        }
    )
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(config)
    listener = EventListener(f"ws://127.0.0.1:{port}/ws/events")
    prober = ApiProber(base)
    table: list[dict[str, Any]] = []
    committed: list[int] = []
    try:
        wait_for(lambda: _recovered(runtime, base, listener, 0.0, 0), 120, interval=0.5, message="pipeline running")
        for kind, prefix in KINDS:
            rows = ray.get(runtime.store.row_counts.remote(), timeout=30)["events"]
            committed.append(rows)
            pid = _pid_of(prefix)
            killed_at = time.time()
            os.kill(pid, signal.SIGKILL)
            start = time.monotonic()
            wait_for(
                lambda killed_at=killed_at, rows=rows: _recovered(runtime, base, listener, killed_at, rows),
                60,
                interval=0.25,
                message=f"recovery after killing the {kind}",
            )
            answers = prober.between(killed_at, time.time())
            table.append(
                {
                    "kind": kind,
                    "pid": pid,
                    "recovery_s": round(time.monotonic() - start, 1),
                    "api_answers": len(answers),
                    "api_503": sum(1 for a in answers if a[2] == 503),
                    "api_other_5xx": sorted({f"{a[1]} {a[2]}" for a in answers if a[2] >= 500 and a[2] != 503}),
                    "api_503_without_retry_after": sum(1 for a in answers if a[2] == 503 and not a[3]),
                }
            )
        final = ray.get(runtime.store.row_counts.remote(), timeout=30)["events"]
    finally:
        prober.stop()
        listener.stop()
        runtime.stop()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "chaos.json").write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print("\n".join(f"{r['kind']:14s} {r['recovery_s']:5.1f} s  API 503s {r['api_503']}" for r in table))
    assert final >= max(committed), "committed rows were lost"
    # While the store, the identity stage or the controller restarts, routes answer (503 + Retry-After), never 500.
    for row in table:
        if row["kind"] in ("store", "identity", "controller"):
            assert not row["api_other_5xx"] and not row["api_503_without_retry_after"], row
    slow = [r for r in table if r["recovery_s"] > RECOVERY_S]
    assert not slow, f"recovered later than {RECOVERY_S:.0f} s: {slow}"
