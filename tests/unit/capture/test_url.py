"""URL parsing: one syntax for every source, bad URLs rejected with secret-free messages."""

from __future__ import annotations

import pytest

from pictag.capture.url import SourceKind, parse_source_url
from pictag.errors import CameraError


@pytest.mark.parametrize(
    ("url", "kind", "host", "port", "path", "redacted"),
    [
        (
            "rtsp://cam.local/stream1",
            SourceKind.RTSP,
            "cam.local",
            554,
            "/stream1",
            "rtsp://cam.local/stream1",
        ),
        (
            "rtsp://bob:s3cret@10.0.0.5:8554/live?ch=1",
            SourceKind.RTSP,
            "10.0.0.5",
            8554,
            "/live?ch=1",
            "rtsp://***@10.0.0.5:8554/live?ch=1",
        ),
        ("RTSPS://cam/x", SourceKind.RTSPS, "cam", 322, "/x", "rtsps://cam/x"),
        (
            "http://cam:8080/video.mjpg",
            SourceKind.HTTP,
            "cam",
            8080,
            "/video.mjpg",
            "http://cam:8080/video.mjpg",
        ),
        (
            "https://admin:pw123@cam/mjpeg",
            SourceKind.HTTPS,
            "cam",
            443,
            "/mjpeg",
            "https://***@cam/mjpeg",
        ),
        ("rtsp://[::1]:8554/a", SourceKind.RTSP, "::1", 8554, "/a", "rtsp://[::1]:8554/a"),
        ("rtsp://host", SourceKind.RTSP, "host", 554, "/", "rtsp://host"),
    ],
)
def test_network_urls(  # noqa: PLR0917
    url: str, kind: SourceKind, host: str, port: int, path: str, redacted: str
) -> None:
    spec = parse_source_url(url)
    assert (spec.kind, spec.host, spec.port, spec.path) == (kind, host, port, path)
    assert spec.redacted.lower() == redacted.lower()
    assert spec.target == url
    assert spec.is_network


def test_credentials_are_decoded_and_listed_as_secrets() -> None:
    spec = parse_source_url("rtsp://shop%40owner:p%3Ass%2Fw0rd@cam/x")
    assert spec.username == "shop@owner"
    assert spec.password == "p:ss/w0rd"
    assert "p:ss/w0rd" in spec.secrets and "p%3Ass%2Fw0rd" in spec.secrets
    assert "w0rd" not in repr(spec)


@pytest.mark.parametrize(
    ("url", "kind", "target"),
    [
        ("/videos/shop.mp4", SourceKind.FILE, "/videos/shop.mp4"),
        ("clips/a b.avi".replace(" ", "_"), SourceKind.FILE, "clips/a_b.avi"),
        ("file:///videos/my%20shop.mp4", SourceKind.FILE, "/videos/my shop.mp4"),
        ("file://localhost/v.mp4", SourceKind.FILE, "/v.mp4"),
        ("C:\\videos\\shop.mp4", SourceKind.FILE, "C:\\videos\\shop.mp4"),
        ("device:0", SourceKind.DEVICE, 0),
        ("device:12", SourceKind.DEVICE, 12),
        ("/dev/video2", SourceKind.DEVICE, 2),
    ],
)
def test_local_sources(url: str, kind: SourceKind, target: str | int) -> None:
    spec = parse_source_url(url)
    assert spec.kind is kind
    assert spec.target == target
    assert not spec.is_network


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("rtmp://bob:hunter22@cam/live", "scheme 'rtmp'"),
        ("rtsp:///nohost", "host name is missing"),
        ("rtsp://bob:hunter22@cam:99999/x", "cannot be parsed"),
        ("rtsp://cam:0/x", "port 0"),
        ("rtsp://bob:hunter22@cam/with space", "whitespace"),
        ("device:x", "device:N"),
        ("device:999", "out of range"),
        ("file://otherhost/x.mp4", "local path"),
        ("file://", "empty"),
    ],
)
def test_bad_urls(url: str, why: str) -> None:
    with pytest.raises(CameraError) as info:
        parse_source_url(url, camera_id="door")
    assert info.value.reason == "bad_url"
    message = str(info.value)
    assert why in message
    assert "camera=door reason=bad_url" in message
    assert "hunter22" not in message
    assert "device:N" in message  # every message says which forms are accepted
