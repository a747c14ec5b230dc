"""Process-wide OpenCV settings: the per-transport gate around the capture-options variable."""

from __future__ import annotations

import os
import threading
import time

import pytest

from pictag.capture.opencv_io import CAPTURE_OPTIONS_ENV, _TransportGate, configure_opencv_logging


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CAPTURE_OPTIONS_ENV, raising=False)


def test_gate_sets_and_restores_the_variable(clean_env: None) -> None:
    gate = _TransportGate()
    with gate.hold("udp"):
        assert os.environ[CAPTURE_OPTIONS_ENV] == "rtsp_transport;udp"
        with gate.hold("udp"):  # same transport: admitted together
            assert os.environ[CAPTURE_OPTIONS_ENV] == "rtsp_transport;udp"
        assert os.environ[CAPTURE_OPTIONS_ENV] == "rtsp_transport;udp"
    assert CAPTURE_OPTIONS_ENV not in os.environ


def test_gate_restores_a_user_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAPTURE_OPTIONS_ENV, "rtsp_transport;tcp|max_delay;500000")
    gate = _TransportGate()
    with gate.hold("udp"):
        pass
    assert os.environ[CAPTURE_OPTIONS_ENV] == "rtsp_transport;tcp|max_delay;500000"


def test_other_transport_waits_for_the_group(clean_env: None) -> None:
    gate = _TransportGate()
    seen: list[str] = []
    udp_inside = threading.Event()
    release_udp = threading.Event()

    def udp_open() -> None:
        with gate.hold("udp"):
            udp_inside.set()
            release_udp.wait(5)
            seen.append("udp-done")

    def tcp_open() -> None:
        with gate.hold("tcp"):
            seen.append("tcp:" + os.environ[CAPTURE_OPTIONS_ENV])

    t_udp = threading.Thread(target=udp_open)
    t_udp.start()
    assert udp_inside.wait(5)
    t_tcp = threading.Thread(target=tcp_open)
    t_tcp.start()
    time.sleep(0.2)  # give the tcp opener the chance to (wrongly) enter
    assert seen == []
    release_udp.set()
    t_udp.join(5)
    t_tcp.join(5)
    assert seen == ["udp-done", "tcp:rtsp_transport;tcp"]


def test_logging_is_quiet_by_default() -> None:
    configure_opencv_logging()
    assert os.environ.get("OPENCV_FFMPEG_LOGLEVEL") is not None
