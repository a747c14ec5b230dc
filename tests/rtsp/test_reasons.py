"""Specific, secret-free reasons for cameras that cannot be opened (real server, real sockets)."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from pictag.capture import CameraState, parse_source_url
from pictag.capture.probe import probe_rtsp
from pictag.simulate.ports import free_port
from pictag.simulate.server import Mount, RtspSimulator
from tests.rtsp.camera_helpers import CameraFactory
from tests.rtsp_server import ServerFactory

PASSWORD = "Sup3r-Secret_pw"
AUDIO_ONLY = (
    "( audiotestsrc is-live=true ! audioconvert ! audio/x-raw,rate=8000,channels=1 ! rtpL16pay name=pay0 pt=96 )"
)


@pytest.fixture
def protected(rtsp_server_factory: ServerFactory) -> RtspSimulator:
    return rtsp_server_factory(("/cam",), user="admin", password=PASSWORD)


@pytest.mark.parametrize(
    ("user", "password", "state", "code", "words"),
    [
        (
            "admin",
            "wrong-" + PASSWORD,
            CameraState.ERROR,
            "auth_failed",
            "authentication failed (401)",
        ),
        (None, None, CameraState.ERROR, "auth_required", "authentication required (401)"),
        ("admin", PASSWORD, CameraState.LIVE, None, None),
    ],
    ids=["wrong-password", "no-credentials", "right-password"],
)
def test_authentication(  # noqa: PLR0913, PLR0917
    protected: RtspSimulator,
    camera: CameraFactory,
    user: str | None,
    password: str | None,
    state: CameraState,
    code: str | None,
    words: str | None,
) -> None:
    src, log = camera(protected.url("/cam", user=user, password=password))
    status = log.wait_for(state, timeout=10)
    assert status.reason_code == code
    if words:
        assert status.reason and status.reason.startswith(words)
    assert PASSWORD not in json.dumps(status.to_dict())


def test_digest_authentication_is_diagnosed(rtsp_server_factory: ServerFactory, camera: CameraFactory) -> None:
    sim = rtsp_server_factory(("/cam",), user="admin", password=PASSWORD, digest=True)
    good, good_log = camera(sim.url("/cam", user="admin", password=PASSWORD))
    bad, bad_log = camera(sim.url("/cam", user="admin", password="nope-" + PASSWORD))
    good_log.wait_for(CameraState.LIVE, timeout=10)
    assert bad_log.wait_for(CameraState.ERROR, timeout=10).reason_code == "auth_failed"


def test_wrong_path_is_not_found(rtsp_server: RtspSimulator, camera: CameraFactory) -> None:
    src, log = camera(rtsp_server.url("/does-not-exist"))
    status = log.wait_for(CameraState.ERROR, timeout=10)
    assert status.reason_code == "not_found"
    assert "/does-not-exist" in (status.reason or "")


def test_closed_port_is_refused(camera: CameraFactory) -> None:
    src, log = camera(f"rtsp://admin:{PASSWORD}@127.0.0.1:{free_port()}/cam")
    status = log.wait_for(CameraState.OFFLINE, timeout=10)
    assert status.reason_code == "refused"
    assert "connection refused" in (status.reason or "")


def test_unknown_host_is_unreachable(camera: CameraFactory) -> None:
    src, log = camera("rtsp://camera-that-does-not-exist.invalid/stream")
    status = log.wait_for(CameraState.OFFLINE, timeout=15)
    assert status.reason_code == "unreachable"


def test_audio_only_stream_is_an_unsupported_codec(rtsp_server_factory: ServerFactory, camera: CameraFactory) -> None:
    sim = rtsp_server_factory(mounts=[Mount("/audio", launch=AUDIO_ONLY)])
    src, log = camera(sim.url("/audio"))
    status = log.wait_for(CameraState.ERROR, timeout=15)
    assert status.reason_code == "unsupported_codec"
    assert "no video" in (status.reason or "")


def test_the_password_never_leaves_the_process(
    protected: RtspSimulator,
    camera: CameraFactory,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Wrong and right passwords, a kill and a restart: grep every record for the secret."""
    caplog.set_level(logging.DEBUG)
    wrong, wrong_log = camera(protected.url("/cam", user="admin", password="x" + PASSWORD))
    right, right_log = camera(protected.url("/cam", user="admin", password=PASSWORD))
    wrong_log.wait_for(CameraState.ERROR, timeout=10)
    right_log.wait_for(CameraState.LIVE, timeout=10)
    protected.kill()
    right_log.wait_for(CameraState.RECONNECTING, timeout=10)
    protected.restart()
    right_log.wait_for(CameraState.LIVE, timeout=10, after=2)
    for src in (wrong, right):
        src.stop()
    texts = [json.dumps(s.to_dict()) for s in wrong_log.statuses + right_log.statuses]
    texts += [json.dumps(src.status().to_dict()) for src in (wrong, right)]
    texts += [repr(src.status()) for src in (wrong, right)]
    texts.append(caplog.text)
    texts += [str(r.args) for r in caplog.records]
    out, err = capfd.readouterr()  # FFmpeg/OpenCV write to the process's stdout/stderr directly
    texts += [out, err]
    leaks = [t for t in texts if PASSWORD in t]
    assert not leaks, leaks[:3]
    assert any("***@" in t for t in texts)  # the URL is shown, redacted


@pytest.mark.parametrize("digest", [False, True], ids=["basic", "digest"])
def test_probe_answers_both_challenge_schemes(rtsp_server_factory: ServerFactory, digest: bool) -> None:
    sim = rtsp_server_factory(("/cam",), user="admin", password=PASSWORD, digest=digest)
    with socket.create_connection(("127.0.0.1", sim.port), timeout=3) as sock:
        sock.sendall(f"DESCRIBE {sim.url('/cam')} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
        challenge = sock.recv(4096).decode()
    assert ("WWW-Authenticate: Digest" in challenge) is digest
    assert probe_rtsp(parse_source_url(sim.url("/cam", user="admin", password=PASSWORD))) is None
    wrong = probe_rtsp(parse_source_url(sim.url("/cam", user="admin", password="no")))
    assert wrong is not None and wrong.code == "auth_failed"
