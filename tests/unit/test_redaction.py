"""Secrets never survive redaction."""

from __future__ import annotations

import pytest

from pictag.redaction import redact_text, redact_url, scrub, url_secrets


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://admin:s3cret@10.0.0.5:554/stream1", "rtsp://***@10.0.0.5:554/stream1"),
        ("rtsp://10.0.0.5/stream1", "rtsp://10.0.0.5/stream1"),
        ("http://cam/video.mjpg?user=bob&password=pw123", "http://cam/video.mjpg?user=***&password=***"),
        ("/videos/a.mp4", "/videos/a.mp4"),
        ("device:0", "device:0"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_finds_urls_inside_messages() -> None:
    msg = "could not open rtsp://admin:s3cret@10.0.0.5/x: 401 (token=abcd1234)"
    out = redact_text(msg)
    assert "s3cret" not in out and "admin" not in out
    assert "rtsp://***@10.0.0.5/x" in out


def test_scrub_removes_literal_secrets() -> None:
    secrets = url_secrets("rtsp://admin:s3cret@h/x")
    assert scrub("password s3cret was refused", secrets) == "password *** was refused"
