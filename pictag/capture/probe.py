"""Diagnose why a source did not open: OpenCV only says "not opened".

For network sources a short probe of our own asks the server directly: a TCP
connect (refused / unreachable / DNS), then RTSP ``DESCRIBE`` or HTTP ``GET``
with the URL's credentials (401 / 404 / codec in the SDP or content type). It
runs only after a failed open, so healthy cameras never pay for it. Messages are
built from the redacted URL, host and port only; never from the credentials.
"""

from __future__ import annotations

import errno
import http.client
import os
import socket
import ssl
from pathlib import Path

from pictag.capture import reasons
from pictag.capture.authheader import authorization, parse_challenges
from pictag.capture.reasons import Failure
from pictag.capture.url import SourceKind, SourceSpec

USER_AGENT = "PicTag-probe/1"
_MAX_RESPONSE = 64 * 1024
_HTTP_UNAUTHORIZED = 401
_HTTP_NOT_FOUND = 404
_HTTP_OK = 200
_HTTP_ERROR = 400
# RTP video encodings FFmpeg depacketizes and decodes.
SUPPORTED_VIDEO = frozenset(
    {
        "H264",
        "H265",
        "HEVC",
        "JPEG",
        "MP4V-ES",
        "MP2T",
        "VP8",
        "VP9",
        "AV1",
        "H263",
        "H263-1998",
        "H263-2000",
        "MPV",
    }
)
_STATIC_PT = {"26": "JPEG", "31": "H261", "32": "MPV", "33": "MP2T", "34": "H263"}
_STREAM_TYPES = ("multipart/x-mixed-replace", "video/", "application/octet-stream", "image/")


def diagnose(spec: SourceSpec, *, timeout_s: float = 2.0, open_timed_out: bool = False) -> Failure:
    """The most specific `Failure` we can find for a source that did not open.

    Args:
        spec: The source that failed.
        timeout_s: Budget per network step of the probe.
        open_timed_out: The OpenCV open used its whole timeout (vs. failing fast).
    """
    if spec.kind is SourceKind.FILE:
        return diagnose_file(spec)
    if spec.kind is SourceKind.DEVICE:
        return Failure(
            reasons.DEVICE_UNAVAILABLE,
            f"{spec.redacted} cannot be opened; is the camera plugged in and free?",
        )
    found = probe_network(spec, timeout_s)
    if found is not None:
        return found
    if open_timed_out:
        return Failure(
            reasons.TIMEOUT,
            f"{spec.host}:{spec.port} answers, but the stream did not start in time; "
            "if the camera uses UDP, a firewall may drop it (try transport: tcp)",
        )
    return Failure(
        reasons.OPEN_FAILED,
        f"{spec.redacted} answers, but FFmpeg could not open the stream; check the camera's stream settings",
    )


def probe_network(spec: SourceSpec, timeout_s: float = 2.0) -> Failure | None:
    """Ask an RTSP/HTTP server directly what is wrong; None when it looks playable."""
    return probe_rtsp(spec, timeout_s) if spec.is_rtsp else probe_http(spec, timeout_s)


def diagnose_file(spec: SourceSpec) -> Failure:
    """Why a local file did not open: missing, a directory, unreadable or undecodable."""
    path = Path(str(spec.target))
    if not path.exists():
        return Failure(reasons.NOT_FOUND, f"file {path} does not exist; check the path", retry=False)
    if path.is_dir():
        return Failure(reasons.NOT_FOUND, f"{path} is a directory, not a video file", retry=False)
    if not os.access(path, os.R_OK):
        return Failure(reasons.OPEN_FAILED, f"file {path} is not readable; check its permissions", retry=False)
    return Failure(
        reasons.UNSUPPORTED_CODEC,
        f"FFmpeg cannot decode {path.name}; convert it to H.264 MP4",
        retry=False,
    )


# ----------------------------------------------------------------- connecting
def _connect(spec: SourceSpec, timeout_s: float) -> socket.socket | Failure:
    host, port = str(spec.host), int(spec.port or 0)
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as err:
        return _connect_failure(err, host, port, timeout_s)
    if spec.kind in (SourceKind.RTSPS, SourceKind.HTTPS):
        try:
            return _tls_context().wrap_socket(sock, server_hostname=host)
        except (ssl.SSLError, OSError):
            sock.close()
            return Failure(
                reasons.OPEN_FAILED,
                f"TLS handshake with {host}:{port} failed; is it really {spec.kind.value}?",
            )
    return sock


def _connect_failure(err: OSError, host: str, port: int, timeout_s: float) -> Failure:
    """Name the reason a TCP connect failed (DNS, refused, silence, no route)."""
    where = f"{host}:{port}"
    if isinstance(err, socket.gaierror):
        return Failure(reasons.UNREACHABLE, f"host name {host!r} cannot be resolved; check the address")
    if isinstance(err, ConnectionRefusedError):
        return Failure(reasons.REFUSED, f"nothing listens on {where}; is the camera on and the port right?")
    if isinstance(err, TimeoutError):
        return Failure(
            reasons.UNREACHABLE,
            f"no answer from {where} within {timeout_s:g} s; check the address and network",
        )
    if err.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL):
        return Failure(reasons.UNREACHABLE, f"no route to {where}; check the address and network")
    return Failure(reasons.UNREACHABLE, f"cannot connect to {where} ({os.strerror(err.errno or 0)})")


def _tls_context() -> ssl.SSLContext:
    # Cameras use self-signed certificates; FFmpeg does not verify them either.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ------------------------------------------------------------------------ RTSP
def _request_uri(spec: SourceSpec) -> str:
    host = f"[{spec.host}]" if spec.host and ":" in spec.host else str(spec.host)
    return f"{spec.kind.value}://{host}:{spec.port}{spec.path}"


def _rtsp_exchange(
    spec: SourceSpec, timeout_s: float, auth: str | None
) -> tuple[int, dict[str, list[str]], str] | Failure:
    """One DESCRIBE on a fresh connection: (status, headers, body) or a Failure."""
    conn = _connect(spec, timeout_s)
    if isinstance(conn, Failure):
        return conn
    lines = [
        f"DESCRIBE {_request_uri(spec)} RTSP/1.0",
        "CSeq: 1",
        "Accept: application/sdp",
        f"User-Agent: {USER_AGENT}",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    try:
        with conn:
            conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            raw = _read_response(conn)
    except (TimeoutError, OSError):
        return Failure(
            reasons.TIMEOUT,
            f"{spec.host}:{spec.port} accepted the connection but did not answer "
            f"within {timeout_s:g} s "
            "(camera hung or overloaded?)",
        )
    return _parse_response(raw, spec)


def _read_response(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _MAX_RESPONSE:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = min(int(value.strip()), _MAX_RESPONSE)
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _parse_response(raw: bytes, spec: SourceSpec) -> tuple[int, dict[str, list[str]], str] | Failure:
    head, _, body = raw.decode("utf-8", errors="replace").partition("\r\n\r\n")
    status_line, *header_lines = head.split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("RTSP/") or not parts[1].isdigit():  # noqa: PLR2004
        return Failure(reasons.OPEN_FAILED, f"{spec.host}:{spec.port} does not speak RTSP; check the port")
    headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(parts[1]), headers, body


def probe_rtsp(spec: SourceSpec, timeout_s: float = 2.0) -> Failure | None:
    """Ask the RTSP server for the stream description; None when it looks playable."""
    answer = _rtsp_exchange(spec, timeout_s, auth=None)
    if isinstance(answer, Failure):
        return answer
    status, headers, body = answer
    if status == _HTTP_UNAUTHORIZED:
        if spec.username is None:
            return Failure(
                reasons.AUTH_REQUIRED,
                "the camera wants a user name and password: rtsp://user:password@host/...",
            )
        challenges = parse_challenges(headers.get("www-authenticate", []))
        header = authorization(
            challenges,
            method="DESCRIBE",
            uri=_request_uri(spec),
            user=spec.username,
            password=spec.password or "",
        )
        if header is None:
            return Failure(
                reasons.AUTH_FAILED,
                "the camera asks for an authentication scheme PicTag does not support",
            )
        answer = _rtsp_exchange(spec, timeout_s, auth=header)
        if isinstance(answer, Failure):
            return answer
        status, headers, body = answer
    return _judge_status(spec, status, body)


def _judge_status(spec: SourceSpec, status: int, body: str) -> Failure | None:
    if status == _HTTP_UNAUTHORIZED:
        return Failure(reasons.AUTH_FAILED, "check the user name and password")
    if status == _HTTP_NOT_FOUND:
        return Failure(
            reasons.NOT_FOUND,
            f"no stream at {spec.redacted}; check the stream path in the camera's manual",
        )
    if status != _HTTP_OK:
        return Failure(reasons.OPEN_FAILED, f"the camera answered status {status} for {spec.redacted}")
    return check_sdp(body)


def check_sdp(sdp: str) -> Failure | None:
    """None when the session description offers a video track FFmpeg decodes."""
    media: list[str] = []
    video_codecs: list[str] = []
    pending: dict[str, str] = {}  # payload type → media of the current m= section
    current = ""
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            fields = line[2:].split()
            current = fields[0] if fields else ""
            media.append(current)
            pending = {pt: current for pt in fields[3:]}
            if current == "video":
                video_codecs += [_STATIC_PT[pt] for pt in fields[3:] if pt in _STATIC_PT]
        elif line.startswith("a=rtpmap:") and current == "video":
            pt, _, enc = line[len("a=rtpmap:") :].partition(" ")
            if pt in pending:
                video_codecs.append(enc.split("/")[0].upper())
    if "video" not in media:
        kinds = ", ".join(sorted(set(media))) or "nothing"
        return Failure(reasons.UNSUPPORTED_CODEC, f"the stream has no video track (it carries {kinds})")
    if video_codecs and not SUPPORTED_VIDEO.intersection(video_codecs):
        return Failure(
            reasons.UNSUPPORTED_CODEC,
            f"video codec {'/'.join(video_codecs)} cannot be decoded; set the camera to H.264 or H.265",
        )
    return None


# ------------------------------------------------------------------------ HTTP
def probe_http(spec: SourceSpec, timeout_s: float = 2.0) -> Failure | None:
    """GET the stream's headers (never its body); None when it looks like a video stream."""
    conn = _connect(spec, timeout_s)
    if isinstance(conn, Failure):
        return conn
    conn.close()
    status, headers = _http_get(spec, timeout_s, auth=None)
    if status == _HTTP_UNAUTHORIZED:
        if spec.username is None:
            return Failure(
                reasons.AUTH_REQUIRED,
                "the camera wants a user name and password: http://user:password@host/...",
            )
        challenges = parse_challenges(headers.get("www-authenticate", []))
        header = authorization(
            challenges,
            method="GET",
            uri=spec.path,
            user=spec.username,
            password=spec.password or "",
        )
        status, headers = _http_get(spec, timeout_s, auth=header) if header else (status, headers)
    if status < 0:
        return Failure(
            reasons.TIMEOUT,
            f"{spec.host}:{spec.port} accepted the connection but did not answer in time",
        )
    if status != _HTTP_OK:
        return _judge_status(spec, status, "")
    ctype = (headers.get("content-type") or [""])[0].lower()
    if ctype and not ctype.startswith(_STREAM_TYPES):
        return Failure(
            reasons.UNSUPPORTED_CODEC,
            f"{spec.redacted} serves {ctype.split(';')[0]}, not a video stream (MJPEG is multipart/x-mixed-replace)",
        )
    return None


def _http_get(spec: SourceSpec, timeout_s: float, auth: str | None) -> tuple[int, dict[str, list[str]]]:
    host = str(spec.host)
    conn: http.client.HTTPConnection
    if spec.kind is SourceKind.HTTPS:
        conn = http.client.HTTPSConnection(host, spec.port, timeout=timeout_s, context=_tls_context())
    else:
        conn = http.client.HTTPConnection(host, spec.port, timeout=timeout_s)
    headers = {"User-Agent": USER_AGENT}
    if auth:
        headers["Authorization"] = auth
    try:
        conn.request("GET", spec.path, headers=headers)
        resp = conn.getresponse()
        found: dict[str, list[str]] = {}
        for name, value in resp.getheaders():
            found.setdefault(name.lower(), []).append(value)
        return resp.status, found
    except (TimeoutError, OSError, http.client.HTTPException):
        return -1, {}
    finally:
        conn.close()
