"""End to end on a real Ray runtime: vtest.avi → detector → tracker → identity → DuckDB + WebSocket."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import cv2
import duckdb
import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(300)


def _config(video: Path, db: Path, port: int, enabled: bool = True) -> Any:
    return parse_config(
        {
            "cameras": [
                {"id": "vtest", "name": "PETS", "url": str(video), "loop": True, "analysis_fps": 7, "enabled": enabled}
            ],
            "storage": {"path": str(db), "flush_interval_s": 0.2},
            "server": {"port": port},
        }
    )


def _events_until(ws_url: str, wanted: str, timeout: float) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with connect(ws_url, open_timeout=30) as ws:
        while time.monotonic() < deadline:
            try:
                msg = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            event = json.loads(msg)
            seen.append(event)
            if event["type"] == wanted:
                return seen
    pytest.fail(f"no {wanted} event within {timeout} s; saw {[e['type'] for e in seen]}")


def _stored_tracks(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM sightings").fetchone()[0])


def test_vtest_events_reach_websocket_and_duckdb_and_survive_restart(ray_session, asset, tmp_path: Path) -> None:
    from pictag.actors.runtime import start_runtime

    video = asset("vtest.avi")
    db = tmp_path / "pictag.duckdb"
    port = free_port()
    runtime = start_runtime(_config(video, db, port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ok(f"{base}/api/v1/health"), 60, message="API health")
        events = _events_until(f"ws://127.0.0.1:{port}/ws/events", "track.started", timeout=90)
        started = events[-1]
        assert started["camera_id"] == "vtest" and started["person_id"].startswith("p_")
        assert len(started["box"]) == 4 and started["ts"].endswith("Z")
        # person ids travel forward to the preview renderer: the hub's labels channel of the camera
        labels = wait_for(
            lambda: _labels_with(runtime.hub, "vtest", started["track_id"]), 30, message="labels on the hub"
        )
        assert labels[started["track_id"]] == started["person_id"]

        cams = wait_for(lambda: _processed_cameras(base), 30, message="processed frames in /api/v1/cameras")
        cam = cams[0]
        assert cam["status"] == "live" and cam["url"] == str(video)
        assert cam["counters"]["decoded"] > 0 and cam["counters"]["sent"] > 0
        assert cam["latency_ms"]["p50"] is not None

        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert 'pictag_camera_frames_processed_total{camera="vtest"}' in metrics
        assert "pictag_identities " in metrics and "pictag_websocket_clients " in metrics

        jpeg = _first_preview(f"ws://127.0.0.1:{port}/ws/cameras/vtest/preview", timeout=60)
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape[1] <= 640 and image.shape[0] > 100

        tracks = wait_for(
            lambda: httpx.get(f"{base}/api/v1/tracks?camera=vtest&limit=5").json()["items"],
            30,
            message="stored tracks via the API",
        )
        assert tracks[0]["camera_id"] == "vtest"
    finally:
        runtime.stop()
    stored = _stored_tracks(db)
    assert stored > 0

    runtime = start_runtime(_config(video, db, port, enabled=False))
    try:
        wait_for(lambda: _ok(f"{base}/api/v1/health"), 60, message="API health after restart")
        items = httpx.get(f"{base}/api/v1/tracks?limit=1000").json()["items"]
        assert len(items) >= stored
    finally:
        runtime.stop()


def _first_preview(url: str, timeout: float) -> bytes:
    with connect(url, open_timeout=30) as ws:
        meta = json.loads(ws.recv(timeout=timeout))
        msg = ws.recv(timeout=timeout)
    assert meta["captured_at"] <= meta["rendered_at"] < meta["captured_at"] + 30
    assert isinstance(msg, bytes) and msg[:2] == b"\xff\xd8", "preview is not a JPEG"
    return msg


def _labels_with(hub: Any, camera_id: str, track_id: int) -> dict[int, str] | None:
    import ray

    from pictag.identity.labels import labels_channel

    _, labels = ray.get(hub.get_latest.remote(labels_channel(camera_id), -1, 0.0), timeout=10)
    return labels if labels and track_id in labels else None


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _processed_cameras(base: str) -> list[dict[str, Any]] | None:
    items = httpx.get(f"{base}/api/v1/cameras", timeout=10).json()["items"]
    return items if items and items[0]["counters"]["processed"] > 0 else None
