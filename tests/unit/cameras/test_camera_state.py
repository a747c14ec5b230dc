"""A camera under supervision: restart backoff in a row, status changes that are news, frame size."""

from __future__ import annotations

import pytest

from pictag.cameras.supervision import CameraState, CameraStatus, lost_reason
from pictag.config import CameraConfig
from pictag.supervision import RESTART_BACKOFF_S

CAM = CameraConfig(id="door", url="rtsp://cam/stream")


def test_a_new_camera_is_connecting_and_not_running() -> None:
    cam = CameraState.new(CAM, 5.0)
    assert cam.status == CameraStatus("connecting", None, 5.0) and not cam.running
    assert cam.due_for_restart(5.0)  # enabled and no capture: start it


def test_losses_in_a_row_back_off_up_to_the_cap_then_an_answer_resets() -> None:
    cam = CameraState.new(CAM, 0.0)
    delays = []
    for k in range(7):
        cam.started(object(), float(k))
        delays.append(cam.lost(100.0))
        assert not cam.running and cam.next_restart_at == 100.0 + delays[-1]
    assert delays == [1.0, 2.0, 5.0, 10.0, 30.0, 30.0, 30.0] and RESTART_BACKOFF_S[-1] == 30.0
    assert not cam.due_for_restart(100.0 + 29.0) and cam.due_for_restart(130.0)
    cam.started(object(), 131.0)
    cam.answered({"decoded": 3})
    assert cam.restarts == 0 and cam.last_stats == {"decoded": 3}
    assert cam.lost(200.0) == 1.0


def test_a_restart_keeps_the_offline_reason_until_the_capture_reports() -> None:
    cam = CameraState.new(CAM, 0.0)
    cam.started(object(), 1.0)
    cam.lost(2.0)
    cam.set_status("offline", "capture process lost", 2.0)
    cam.started(object(), 3.0)
    assert cam.status.status == "offline"  # not back to "connecting" after a loss


def test_a_disabled_camera_is_never_due() -> None:
    cam = CameraState.new(CAM.model_copy(update={"enabled": False}), 0.0)
    assert not cam.due_for_restart(1e9)


def test_status_changes_are_news_once() -> None:
    cam = CameraState.new(CAM, 0.0)
    assert cam.set_status("offline", "disabled", 1.0) is True
    assert cam.set_status("offline", "disabled", 2.0) is False and cam.status.since == 1.0
    assert cam.set_status("offline", "other", 3.0) is True


def test_the_reported_status_keeps_its_reason_code() -> None:
    event = {"status": "error", "reason": "wrong password", "reason_code": "auth_failed", "ts_unix": 7.0}
    assert CameraStatus.from_event(event) == CameraStatus("error", "wrong password", 7.0, "auth_failed")


def test_stopping_hands_back_the_actor_once() -> None:
    cam = CameraState.new(CAM, 0.0)
    handle = object()
    cam.started(handle, 1.0)
    assert cam.stopped() is handle and cam.stopped() is None


@pytest.mark.parametrize(
    ("running", "stats", "configured", "expected", "delivered"),
    [
        (True, {"frame_size": [640, 480]}, (320, 240), (640, 480), True),
        (True, {}, (320, 240), (320, 240), False),
        (False, {"frame_size": [640, 480]}, None, None, False),  # a stopped camera's stats are stale
        (True, {}, None, None, False),
    ],
)
def test_frame_size(running: bool, stats: dict, configured, expected, delivered: bool) -> None:
    cam = CameraState.new(CAM.model_copy(update={"frame_size": configured}), 0.0)
    if running:
        cam.started(object(), 0.0)
    cam.last_stats = stats
    assert cam.known_frame_size() == expected and cam.delivered_frame_size() is delivered


@pytest.mark.parametrize(
    ("node", "alive", "words"),
    [
        ("shop", False, "node 'shop' is down; the camera resumes when it is back"),
        (None, False, "its machine is down"),
        ("shop", True, "capture process lost (ActorDiedError); retrying in 5 s"),
        (None, None, "capture process lost (ActorDiedError); retrying in 5 s"),
    ],
)
def test_lost_reason(node: str | None, alive: bool | None, words: str) -> None:
    assert words in lost_reason(CAM.model_copy(update={"node": node}), "ActorDiedError", 5.0, alive)
