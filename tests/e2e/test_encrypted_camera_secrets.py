"""An encrypted store keeps camera passwords encrypted too, and the runtime still starts those cameras.

A camera with credentials is added through the API of a runtime whose storage is encrypted (key
in a file); after a stop the secrets file holds no password byte; a second runtime on the same
files brings the camera live again from the encrypted secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from pictag.config import parse_config
from pictag.storage import encryption_available, secrets_path_for
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(400)

PASSWORD = "Zq7-enc-secret-44"
USER = "shopcam"


def _config(db: Path, key_file: Path, port: int) -> Any:
    return parse_config(
        {
            "cameras": [],
            "server": {"port": port},
            "storage": {"path": str(db), "flush_interval_s": 0.2, "encryption_key_file": str(key_file)},
        }
    )


def _status(base: str, camera_id: str) -> str | None:
    res = httpx.get(f"{base}/api/v1/cameras", timeout=10)
    cams = {c["id"]: c for c in res.json()["items"]}
    assert PASSWORD not in res.text
    return cams[camera_id]["status"] if camera_id in cams else None


def test_runtime_starts_cameras_from_encrypted_secrets(ray_session, rtsp_server_factory, tmp_path: Path) -> None:
    if not encryption_available():
        if os.environ.get("CI"):
            pytest.fail("DuckDB cannot write encrypted files here (duckdb-extension-httpfs missing)")
        pytest.skip("DuckDB cannot write encrypted files here")
    from pictag.actors.runtime import start_runtime

    server = rtsp_server_factory(("/cam",), user=USER, password=PASSWORD)
    url = server.url("/cam", user=USER, password=PASSWORD)
    key_file = tmp_path / "db.key"
    key_file.write_text("test-db-key-" + "7" * 24)
    key_file.chmod(0o600)
    db = tmp_path / "enc.duckdb"
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    runtime = start_runtime(_config(db, key_file, port))
    try:
        wait_for(lambda: httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200, 60, message="API")
        res = httpx.post(f"{base}/api/v1/cameras", json={"id": "door", "url": url, "analysis_fps": 2}, timeout=30)
        assert res.status_code == 201, res.text
        wait_for(lambda: _status(base, "door") == "live", 60, message="camera live")
    finally:
        runtime.stop()

    secrets_file = secrets_path_for(db)
    raw = secrets_file.read_bytes()
    assert PASSWORD.encode() not in raw and USER.encode() not in raw
    assert json.loads(raw)["version"] == 2

    runtime = start_runtime(_config(db, key_file, port))
    try:
        wait_for(lambda: httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200, 60, message="API")
        wait_for(lambda: _status(base, "door") == "live", 60, message="camera live again from the encrypted secret")
    finally:
        runtime.stop()
