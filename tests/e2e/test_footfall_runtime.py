"""Footfall end to end on the real runtime (Ray, Serve, detector, tracker, identity, DuckDB) on vtest.avi.

- a door line from the configuration: ``line.crossed`` events with the issue's keys arrive over
  /ws/events and are stored;
- lines and zones edited through the API while the camera runs apply live: the capture actor is
  the same one afterwards (no restart) and the new zone sees people;
- staff marking through the API;
- opening hours: with ``site.analyse_when_closed: false`` and the shop closed, no frame is sent to
  detection and every sampled frame is counted under ``closed``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import ray
from websockets.sync.client import connect

from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(480)

CAM = "vtest"
# PETS09-S2L1 (768x576): people walk left <-> right across the middle third; x = 512 is crossed
# every few seconds (docs/footfall.md: 37 crossings in the 80 s video).
DOOR = {"id": "x512", "name": "Middle", "points": [[512, 0], [512, 576]], "entrance": True}
CROSSED_KEYS = {"camera_id", "line_id", "direction", "track_id", "person_id", "ts"}


def _config(video: Path, tmp_path: Path, port: int, **site: Any) -> Any:
    return parse_config(
        {
            "cameras": [{"id": CAM, "url": str(video), "loop": True, "analysis_fps": 7, "lines": [DOOR]}],
            "storage": {"path": str(tmp_path / "pictag.duckdb"), "flush_interval_s": 0.2},
            "server": {"port": port},
            "site": site,
        }
    )


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _events(ws_url: str, wanted: str, count: int, timeout: float) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with connect(ws_url, open_timeout=30) as ws:
        while time.monotonic() < deadline and len(found) < count:
            try:
                event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                break
            if event["type"] == wanted:
                found.append(event)
    if len(found) < count:
        pytest.fail(f"{len(found)} of {count} {wanted} events within {timeout} s")
    return found


def _camera(base: str) -> dict[str, Any]:
    return next(c for c in httpx.get(f"{base}/api/v1/cameras", timeout=10).json()["items"] if c["id"] == CAM)


def test_crossings_live_edits_and_staff_on_the_real_runtime(ray_session, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(_config(asset("vtest.avi"), tmp_path, port))
    try:
        wait_for(lambda: _ok(f"{base}/api/v1/health"), 90, message="API health")
        crossed = _events(f"ws://127.0.0.1:{port}/ws/events", "line.crossed", 2, timeout=150)
        for e in crossed:
            assert CROSSED_KEYS <= set(e) and e["camera_id"] == CAM and e["line_id"] == "x512"
            assert e["direction"] in ("in", "out") and isinstance(e["track_id"], int) and e["ts"].endswith("Z")
        assert _camera(base)["frame_size"] == [768, 576]

        # live edits: a zone on the left half and the line moved; the capture actor stays the same
        capture = ray.get(runtime.controller.capture_actor.remote(CAM))
        sent = _camera(base)["counters"]["sent"]
        zone = {"id": "left", "points": [[0, 0], [384, 0], [384, 576], [0, 576]], "kind": "area"}
        assert httpx.post(f"{base}/api/v1/cameras/{CAM}/zones", json=zone, timeout=10).status_code == 201
        moved = {"name": "Middle", "points": [[500, 0], [500, 576]], "entrance": True}
        assert httpx.put(f"{base}/api/v1/cameras/{CAM}/lines/x512", json=moved, timeout=10).status_code == 200
        bad = httpx.post(f"{base}/api/v1/cameras/{CAM}/lines", json={"id": "far", "points": [[0, 0], [900, 0]]})
        assert bad.status_code == 422 and bad.json()["field"] == "points[1]"
        entered = _events(f"ws://127.0.0.1:{port}/ws/events", "zone.entered", 1, timeout=120)[0]
        assert entered["zone_id"] == "left" and entered["camera_id"] == CAM
        after = ray.get(runtime.controller.capture_actor.remote(CAM))
        assert after._actor_id == capture._actor_id  # not restarted
        assert _camera(base)["counters"]["sent"] > sent and _camera(base)["status"] == "live"
        stats = wait_for(
            lambda: (s := httpx.get(f"{base}/api/v1/stats", timeout=20).json()["footfall"])["lines"] and s,
            30,
            message="footfall in /api/v1/stats",
        )
        line = stats["lines"][0]
        assert (line["camera_id"], line["line_id"], line["entrance"]) == (CAM, "x512", True)
        assert line["in"] + line["out"] >= 2 and stats["entered"] == line["in"]

        # staff through the API
        person = next((e["person_id"] for e in crossed if e["person_id"]), None) or entered["person_id"]
        assert person, "no person id on the events"
        marked = httpx.put(f"{base}/api/v1/staff/{person}", json={"staff": True}, timeout=10)
        assert marked.status_code == 200 and marked.json()["staff_today"] is True
        assert person in httpx.get(f"{base}/api/v1/staff", timeout=10).json()["staff"]
    finally:
        runtime.stop()
    with duckdb.connect(str(tmp_path / "pictag.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM line_crossings WHERE line_id = 'x512'").fetchone()[0] >= 2
        assert con.execute("SELECT count(*) FROM zone_visits WHERE zone_id = 'left'").fetchone()[0] >= 1
        assert con.execute("SELECT count(*) FROM staff_marks").fetchone()[0] == 1
        settings = con.execute("SELECT settings FROM cameras WHERE id = ?", [CAM]).fetchone()[0]
        assert [z["id"] for z in json.loads(settings)["zones"]] == ["left"]  # the edit was persisted


def test_closed_hours_are_not_analysed_and_counted_as_closed(ray_session, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    closed_all_week = {
        day: [] for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    }
    runtime = start_runtime(
        _config(asset("vtest.avi"), tmp_path, port, analyse_when_closed=False, hours=closed_all_week)
    )
    try:
        wait_for(lambda: _ok(f"{base}/api/v1/health"), 90, message="API health")
        cam = wait_for(lambda: (c := _camera(base))["counters"]["closed"] >= 30 and c, 90, message="closed frames")
        counters = cam["counters"]
        assert counters["decoded"] > 0 and counters["sent"] == 0 and counters["processed"] == 0
        assert counters["skipped"] == 0 and counters["idle"] == 0  # closed frames are not hidden there
        footfall = httpx.get(f"{base}/api/v1/stats", timeout=20).json()["footfall"]
        assert footfall["open_s"] == 0 and footfall["entered"] == 0
    finally:
        runtime.stop()
