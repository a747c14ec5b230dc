"""Domain refusals → HTTP: one table, the JSON error body, and the same answer through Ray's wrapper."""

from __future__ import annotations

import pickle

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ray.exceptions import RayTaskError

from pictag.cameras import errors
from pictag.cameras.errors import RequestRefused
from pictag.serve.errors import REFUSAL_STATUS, install_error_handlers, refusal_status

# The statuses and codes API clients see (tests/e2e/test_bad_input.py, test_cameras_runtime.py,
# tests/actors/test_footfall_api.py assert them): they must not move.
CONTRACT = [
    (errors.CameraNotFound, 404, "not_found"),
    (errors.CameraExists, 409, "conflict"),
    (errors.TooManyCameras, 409, "too_many_cameras"),
    (errors.InvalidCameraConfig, 422, "invalid_camera"),
    (errors.CameraIdImmutable, 400, "invalid_request"),
    (errors.SettingsRefused, 422, "invalid_setting"),
    (errors.InvalidGeometry, 422, "invalid_geometry"),
    (errors.GeometryItemNotFound, 404, "not_found"),
    (errors.FrameSizeUnknown, 409, "frame_size_unknown"),
    (errors.GeometryCameraUnknown, 422, "invalid_request"),
]


def _refusal_classes() -> set[type[RequestRefused]]:
    return {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, RequestRefused)}


def test_every_refusal_has_its_own_entry() -> None:
    assert _refusal_classes() == set(REFUSAL_STATUS)
    assert {cls for cls, _, _ in CONTRACT} | {RequestRefused, errors.GeometryEditError} == _refusal_classes()


@pytest.mark.parametrize(("cls", "status", "code"), CONTRACT, ids=lambda v: getattr(v, "__name__", str(v)))
def test_contract(cls: type[RequestRefused], status: int, code: str) -> None:
    assert (refusal_status(cls("x", "f")), cls.error) == (status, code)


def test_a_subclass_without_an_entry_takes_its_base_status() -> None:
    class Odd(errors.GeometryItemNotFound):
        pass

    assert refusal_status(Odd("x")) == 404


@pytest.mark.parametrize("cls", sorted(_refusal_classes(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_refusals_cross_the_actor_boundary_as_themselves(cls: type[RequestRefused]) -> None:
    copy = pickle.loads(pickle.dumps(cls("no camera 'x'", "camera_id")))
    assert type(copy) is cls and (copy.detail, copy.field, copy.error) == ("no camera 'x'", "camera_id", cls.error)


def _client(exc: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/refuse")
    async def refuse() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


def test_the_handler_answers_the_error_body() -> None:
    res = _client(errors.CameraExists("camera 'door' already exists", "id")).get("/refuse")
    assert res.status_code == 409
    assert res.json() == {"error": "conflict", "detail": "camera 'door' already exists", "field": "id"}


def test_a_refusal_wrapped_by_ray_answers_as_itself() -> None:
    """What an awaited actor call raises: ``RayTaskError(CameraNotFound)``, whose text is the traceback."""
    cause = errors.CameraNotFound("no camera 'nope'", "camera_id")
    wrapped = RayTaskError("ControllerActor.remove_camera", "Traceback ... secret", cause).as_instanceof_cause()
    assert isinstance(wrapped, errors.CameraNotFound) and isinstance(wrapped, RayTaskError)
    res = _client(wrapped).get("/refuse")
    assert res.status_code == 404
    assert res.json() == {"error": "not_found", "detail": "no camera 'nope'", "field": "camera_id"}
