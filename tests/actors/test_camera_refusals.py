"""Refused camera and settings requests on the real controller actor: the domain exception reaches
the caller as its own class through Ray, and the API answers the same statuses and codes as before.

Real actors (controller, store, identity stage, event hub); the cameras are disabled, so no video
or model is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import ray

from pictag.cameras.errors import CameraNotFound, InvalidCameraConfig, RequestRefused
from pictag.config import parse_config
from pictag.serve.routes import cameras, geometry, settings
from tests.actors.head_api import head_api

pytestmark = pytest.mark.timeout(300)

URL = "rtsp://127.0.0.1:1/none"


@pytest.fixture
def api(ray_session, tmp_path: Path) -> Any:
    config = parse_config(
        {
            "cameras": [{"id": "door", "url": URL, "enabled": False}],
            "storage": {"path": str(tmp_path / "refusals.duckdb"), "flush_interval_s": 0.2},
            "reid": {"enabled": False},
        }
    )
    with head_api(config, (cameras.router, settings.router, geometry.router)) as head:
        yield head.client, head.controller


def _answer(res: Any) -> tuple[int, str, str | None]:
    body = res.json()
    return res.status_code, body["error"], body["field"]


def test_refusals_reach_the_caller_as_their_class(api) -> None:
    _, controller = api
    with pytest.raises(CameraNotFound) as err:
        ray.get(controller.remove_camera.remote("nope"), timeout=30)
    assert (err.value.field, err.value.error) == ("camera_id", "not_found")
    with pytest.raises(RequestRefused) as refused:
        ray.get(controller.add_camera.remote({"id": "x", "url": URL, "analysis_fps": 0}), timeout=30)
    assert isinstance(refused.value, InvalidCameraConfig) and refused.value.field == "analysis_fps"


def test_camera_requests_answer_the_same_statuses(api) -> None:
    client, _ = api
    base = "/api/v1/cameras"
    added = client.post(base, json={"id": "side", "url": URL, "enabled": False})
    assert added.status_code == 201 and added.json()["status"] == "offline", added.text
    assert _answer(client.post(base, json={"id": "side", "url": URL})) == (409, "conflict", "id")
    assert _answer(client.post(base, json={"id": "x", "url": URL, "analysis_fps": 0})) == (
        422,
        "invalid_camera",
        "analysis_fps",
    )
    assert _answer(client.patch(f"{base}/door", json={"id": "other"})) == (400, "invalid_request", "id")
    assert _answer(client.patch(f"{base}/door", json={"analysis_fps": -1})) == (422, "invalid_camera", "analysis_fps")
    assert _answer(client.patch(f"{base}/nope", json={"name": "x"})) == (404, "not_found", "camera_id")
    assert _answer(client.delete(f"{base}/nope")) == (404, "not_found", "camera_id")
    renamed = client.patch(f"{base}/door", json={"name": "Front door"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Front door"
    assert client.delete(f"{base}/side").status_code == 204
    assert [c["id"] for c in client.get(base).json()["items"]] == ["door"]


def test_settings_and_geometry_refusals(api) -> None:
    client, _ = api
    res = client.patch("/api/v1/config", json={"detector": {"confidence": -1}})
    assert _answer(res) == (422, "invalid_setting", "detector.confidence")
    assert client.patch("/api/v1/config", json={"detector": {"confidence": 0.4}}).json()["detector"] == {
        "confidence": 0.4
    }
    assert _answer(client.get("/api/v1/cameras/nope/lines")) == (422, "invalid_request", "camera_id")
    line = {"id": "in", "points": [[0, 0], [5, 5]]}
    assert _answer(client.post("/api/v1/cameras/nope/lines", json=line)) == (422, "invalid_request", "camera_id")
    # "door" has no frame size (disabled, none configured): refused rather than guessed.
    assert _answer(client.post("/api/v1/cameras/door/lines", json=line)) == (409, "frame_size_unknown", "frame_size")
