"""Requests to add or change cameras and live settings: refused with the right kind, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from pictag.cameras.errors import (
    CameraExists,
    CameraIdImmutable,
    CameraNotFound,
    InvalidCameraConfig,
    RequestRefused,
    SettingsRefused,
    TooManyCameras,
)
from pictag.cameras.validation import camera_change, known_camera, new_camera, settings_change
from pictag.config import CameraConfig, parse_config
from pictag.config.root import MAX_CAMERAS

CAM = CameraConfig(id="door", url="rtsp://cam/stream", lines=[{"id": "in", "points": [[10, 10], [100, 10]]}])
URL = "rtsp://192.0.2.1/s"


def _refusal(call: Any) -> tuple[type[RequestRefused], str | None]:
    with pytest.raises(RequestRefused) as err:
        call()
    return type(err.value), err.value.field


@pytest.mark.parametrize(
    ("body", "refusal", "field"),
    [
        ({"id": "x1", "url": URL, "analysis_fps": 0}, InvalidCameraConfig, "analysis_fps"),
        ({"id": "x3", "url": URL, "open_timeout_s": 1e9}, InvalidCameraConfig, "open_timeout_s"),
        ({"id": "x4", "url": ""}, InvalidCameraConfig, "url"),
        ({"id": "../x", "url": URL}, InvalidCameraConfig, "id"),
        ({"id": "x5", "url": URL, "fps": 5}, InvalidCameraConfig, "fps"),
        ({"id": "x6"}, InvalidCameraConfig, "url"),
        ({"id": "door", "url": URL}, CameraExists, "id"),
    ],
)
def test_new_camera_refusals(body: dict[str, Any], refusal: type[RequestRefused], field: str) -> None:
    assert _refusal(lambda: new_camera(body, {"door"})) == (refusal, field)


def test_an_invalid_body_is_refused_before_the_limit() -> None:
    full = {f"c{i}" for i in range(MAX_CAMERAS)}
    assert _refusal(lambda: new_camera({"id": "x"}, full)) == (InvalidCameraConfig, "url")
    assert _refusal(lambda: new_camera({"id": "c0", "url": URL}, full)) == (CameraExists, "id")
    assert _refusal(lambda: new_camera({"id": "x", "url": URL}, full)) == (TooManyCameras, None)
    assert new_camera({"id": "x", "url": URL}, set(list(full)[1:])).id == "x"


def test_known_camera() -> None:
    assert known_camera({"door": 1}, "door") == 1
    with pytest.raises(CameraNotFound) as err:
        known_camera({"door": 1}, "nope")
    assert err.value.field == "camera_id" and "nope" in err.value.detail


@pytest.mark.parametrize(
    ("patch", "restart", "geometry"),
    [
        ({"name": "Front door"}, False, False),
        ({"id": "door", "name": "Front"}, False, False),
        ({"analysis_fps": 2}, True, False),
        ({"enabled": False}, True, False),
        ({"lines": []}, False, True),
        ({"zones": [{"id": "z", "points": [[0, 0], [50, 0], [50, 50]]}]}, False, True),
    ],
)
def test_camera_change_says_what_it_takes(patch: dict[str, Any], restart: bool, geometry: bool) -> None:
    change = camera_change(CAM, patch, (640, 480))
    assert (change.restart, change.geometry) == (restart, geometry)
    assert change.config.model_dump(include=set(patch)) == CameraConfig(**{**CAM.model_dump(), **patch}).model_dump(
        include=set(patch)
    )


@pytest.mark.parametrize(
    ("patch", "size", "refusal", "field"),
    [
        ({"id": "other"}, None, CameraIdImmutable, "id"),
        ({"analysis_fps": 0}, None, InvalidCameraConfig, "analysis_fps"),
        (
            {"lines": [{"id": "in", "points": [[0, 0], [700, 10]]}]},
            (640, 480),
            InvalidCameraConfig,
            "lines[0].points[1]",
        ),
    ],
)
def test_camera_change_refusals(
    patch: dict[str, Any], size: tuple[int, int] | None, refusal: type[RequestRefused], field: str
) -> None:
    assert _refusal(lambda: camera_change(CAM, patch, size)) == (refusal, field)


def test_geometry_outside_an_unknown_frame_is_not_checked() -> None:
    change = camera_change(CAM, {"lines": [{"id": "in", "points": [[0, 0], [7000, 10]]}]}, None)
    assert change.geometry


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"detector": {"confidence": -1}}, "detector.confidence"),
        ({"privacy": {"retention_days": 0}}, "privacy.retention_days"),
        ({"privacy": {"anonymize": "off"}}, "privacy.anonymize"),
        ({"storage": {"path": "x"}}, "storage"),
        ([1, 2], None),
    ],
)
def test_settings_refusals(patch: Any, field: str | None) -> None:
    config = parse_config({"reid": {"enabled": False}})
    assert _refusal(lambda: settings_change(config, patch)) == (SettingsRefused, field)


def test_settings_change_applies_and_resolves_auto() -> None:
    config = parse_config({"reid": {"enabled": False}})
    changed = settings_change(config, {"detector": {"confidence": 0.3}, "reid": {"threshold": "auto"}})
    assert changed.detector.confidence == 0.3
    assert changed.reid.threshold == 0.0  # re-id off: "auto" is never used
    assert config.detector.confidence != 0.3  # the input is not changed
