"""Transports and source kinds against real servers: RTSP over TCP and UDP, HTTP MJPEG."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psutil
import pytest

from pictag.capture import CameraState
from pictag.capture.opencv_io import CAPTURE_OPTIONS_ENV
from pictag.simulate.server import RtspSimulator
from tests.rtsp.camera_helpers import CameraFactory
from tests.rtsp.mjpeg_server import MjpegCamera
from tests.rtsp_server import ServerFactory

PASSWORD = "mjpeg-Secret-77"


def _udp_ports() -> set[int]:
    return {c.laddr.port for c in psutil.Process().net_connections(kind="udp")}


def test_tcp_and_udp_cameras_in_one_process(rtsp_server_factory: ServerFactory, camera: CameraFactory) -> None:
    sim = rtsp_server_factory(("/a", "/b"))
    before = _udp_ports()
    tcp, tcp_log = camera(sim.url("/a"), transport="tcp")
    tcp_log.wait_for(CameraState.LIVE, timeout=10)
    assert _udp_ports() == before  # TCP: RTP interleaved on the RTSP connection
    udp, udp_log = camera(sim.url("/b"), transport="udp")
    udp_log.wait_for(CameraState.LIVE, timeout=10)
    assert len(_udp_ports() - before) >= 2  # UDP: RTP/RTCP sockets of our own
    for src in (tcp, udp):
        frame = src.wait_frame(src.latest().seq, timeout=3)  # type: ignore[union-attr]
        assert frame is not None
    assert CAPTURE_OPTIONS_ENV not in os.environ  # the process-wide option was restored


def test_four_cameras_from_one_server(rtsp_shared_server: RtspSimulator, camera: CameraFactory) -> None:
    # OpenCV serialises FFmpeg opens within a process (a global lock): ~1.5 s per camera here.
    cams = [camera(rtsp_shared_server.url(f"/cam{i}")) for i in range(1, 5)]
    for _, log in cams:
        log.wait_for(CameraState.LIVE, timeout=20)
    for src, _ in cams:
        assert src.wait_frame(src.latest().seq, timeout=3) is not None  # type: ignore[union-attr]


@pytest.fixture
def mjpeg() -> Iterator[MjpegCamera]:
    server = MjpegCamera(user="viewer", password=PASSWORD)
    server.start()
    yield server
    server.stop()


def test_http_mjpeg_camera(mjpeg: MjpegCamera, camera: CameraFactory) -> None:
    src, log = camera(f"http://viewer:{PASSWORD}@127.0.0.1:{mjpeg.port}/private.mjpg")
    log.wait_for(CameraState.LIVE, timeout=10)
    frame = src.wait_frame(0, timeout=5)
    assert frame is not None and frame.image.shape == (240, 320, 3)


@pytest.mark.parametrize(
    ("path", "user", "code"),
    [
        ("/private.mjpg", "viewer:wrong", "auth_failed"),
        ("/private.mjpg", None, "auth_required"),
        ("/nothing-here.mjpg", None, "not_found"),
        ("/index.html", None, "unsupported_codec"),
    ],
)
def test_http_failures_have_reasons(
    mjpeg: MjpegCamera, camera: CameraFactory, path: str, user: str | None, code: str
) -> None:
    auth = f"{user}@" if user else ""
    src, log = camera(f"http://{auth}127.0.0.1:{mjpeg.port}{path}")
    status = log.wait_for(CameraState.ERROR, timeout=10)
    assert status.reason_code == code, status
