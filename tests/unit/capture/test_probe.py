"""Pure parts of the failure diagnosis: SDP judgement, auth headers, file reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from pictag.capture.authheader import authorization, parse_challenges
from pictag.capture.probe import check_sdp, diagnose
from pictag.capture.url import parse_source_url

H264_SDP = """v=0
o=- 1 1 IN IP4 127.0.0.1
s=cam
m=video 0 RTP/AVP 96
a=rtpmap:96 H264/90000
a=control:stream=0
m=audio 0 RTP/AVP 97
a=rtpmap:97 MPEG4-GENERIC/16000/1
"""


@pytest.mark.parametrize(
    ("sdp", "problem"),
    [
        (H264_SDP, None),
        ("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\n", None),
        ("m=video 0 RTP/AVP 26\r\n", None),  # static payload type 26 = JPEG
        ("m=video 0 RTP/AVP 33\r\n", None),  # MPEG-TS
        (
            "m=audio 0 RTP/AVP 0\r\nm=application 0 RTP/AVP 107\r\n",
            "no video track (it carries application, audio)",
        ),
        (
            "m=video 0 RTP/AVP 98\r\na=rtpmap:98 WEIRDCODEC/90000\r\n",
            "video codec WEIRDCODEC cannot be decoded",
        ),
        ("", "no video track (it carries nothing)"),
    ],
)
def test_check_sdp(sdp: str, problem: str | None) -> None:
    found = check_sdp(sdp)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.code == "unsupported_codec"
        assert problem in found.detail


def test_digest_matches_rfc2617_example() -> None:
    challenges = parse_challenges(
        [
            'Digest realm="testrealm@host.com", qop="auth,auth-int", '
            'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
            'Basic realm="testrealm@host.com"',
        ]
    )
    assert set(challenges) == {"digest", "basic"}
    header = authorization(
        challenges,
        method="GET",
        uri="/dir/index.html",
        user="Mufasa",
        password="Circle Of Life",
        cnonce="0a4f113b",
    )
    assert header is not None and header.startswith("Digest ")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header


def test_basic_when_only_basic_is_offered() -> None:
    header = authorization(
        parse_challenges(['Basic realm="cam"']),
        method="DESCRIBE",
        uri="rtsp://h/x",
        user="Aladdin",
        password="open sesame",
    )
    assert header == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert authorization(parse_challenges(['Bearer realm="x"']), method="GET", uri="/", user="u", password="p") is None


def test_file_diagnosis(tmp_path: Path) -> None:
    assert diagnose(parse_source_url(str(tmp_path / "nope.mp4"))).code == "not_found"
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    failure = diagnose(parse_source_url(str(junk)))
    assert (failure.code, failure.retry) == ("unsupported_codec", False)
    assert "junk.mp4" in failure.text


def test_device_diagnosis_is_retried() -> None:
    failure = diagnose(parse_source_url("device:7"))
    assert (failure.code, failure.retry) == ("device_unavailable", True)
