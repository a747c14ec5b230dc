"""One URL syntax for every camera source, parsed into a small typed record.

Accepted forms::

    rtsp://[user:password@]host[:port]/path      RTSP (TCP by default, UDP per camera)
    rtsps://[user:password@]host[:port]/path     RTSP over TLS
    http(s)://[user:password@]host[:port]/path   MJPEG (or any stream FFmpeg can read over HTTP)
    file:///abs/path.mp4  or  a plain path       a local video file
    device:N  or  /dev/videoN                    a local (USB) camera by index

Parsing never touches the network or the file system, so configurations can be
checked on another machine. Errors are `CameraError(reason="bad_url")` whose
message shows only the redacted URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import unquote, urlsplit

from pictag.errors import CameraError
from pictag.redaction import redact_url, url_secrets

MAX_DEVICE_INDEX = 63
_DEVICE_RE = re.compile(r"^device:(?P<index>\d{1,3})$")
_DEV_VIDEO_RE = re.compile(r"^/dev/video(?P<index>\d{1,3})$")
_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")
_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
_HINT = "use rtsp://, rtsps://, http(s):// (MJPEG), file:///path or a plain path, or device:N"


class SourceKind(str, Enum):
    """Where frames come from; decides the OpenCV backend and the failure handling."""

    RTSP = "rtsp"
    RTSPS = "rtsps"
    HTTP = "http"
    HTTPS = "https"
    FILE = "file"
    DEVICE = "device"


@dataclass(frozen=True)
class SourceSpec:
    """A validated camera source.

    Attributes:
        kind: The source type.
        target: What OpenCV opens: the full URL (credentials included), a file path,
            or a device index. Never log it; use ``redacted``.
        redacted: The URL with credentials replaced by ``***`` (the only printable form).
        host: Network host (None for files and devices).
        port: Network port, the scheme's default when the URL has none.
        path: URL path with query (network) or the file path.
        username: Decoded user name from the URL, or None.
        password: Decoded password from the URL, or None.
        secrets: Literal substrings that must never leave the process (for `scrub`).
    """

    kind: SourceKind
    target: str | int = field(repr=False)
    redacted: str
    host: str | None = None
    port: int | None = None
    path: str = ""
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def is_network(self) -> bool:
        """True for RTSP(S) and HTTP(S) sources (they can stall, drop and need timeouts)."""
        return self.kind in (SourceKind.RTSP, SourceKind.RTSPS, SourceKind.HTTP, SourceKind.HTTPS)

    @property
    def is_rtsp(self) -> bool:
        """True for RTSP and RTSPS (the transport option applies)."""
        return self.kind in (SourceKind.RTSP, SourceKind.RTSPS)


def _bad(url_shown: str, why: str, camera_id: str | None) -> CameraError:
    who = f"camera={camera_id} " if camera_id else ""
    return CameraError(f"{who}reason=bad_url: {why} in {url_shown!r}; {_HINT}", reason="bad_url")


def parse_source_url(url: str, camera_id: str | None = None) -> SourceSpec:
    """Validate a camera URL and split it into a `SourceSpec`.

    Args:
        url: The configured source (see the module docstring for the forms).
        camera_id: Only used to give error messages context.

    Raises:
        CameraError: ``reason="bad_url"``; the message holds the redacted URL only.
    """
    text = url.strip()
    shown = redact_url(text)
    if not text:
        raise _bad(shown, "the URL is empty", camera_id)
    if any(ch.isspace() or ord(ch) < 32 for ch in text):  # noqa: PLR2004
        raise _bad(shown, "the URL contains whitespace or control characters", camera_id)
    device = _DEVICE_RE.match(text) or _DEV_VIDEO_RE.match(text)
    if device:
        index = int(device.group("index"))
        if index > MAX_DEVICE_INDEX:
            raise _bad(shown, f"device index {index} is out of range 0..{MAX_DEVICE_INDEX}", camera_id)
        return SourceSpec(kind=SourceKind.DEVICE, target=index, redacted=f"device:{index}")
    if text.startswith("device:"):
        raise _bad(shown, "a device must be device:N with a number N", camera_id)
    if "://" not in text or _WINDOWS_DRIVE_RE.match(text):
        return SourceSpec(kind=SourceKind.FILE, target=text, redacted=text, path=text)
    return _parse_url(text, shown, camera_id)


def _parse_url(text: str, shown: str, camera_id: str | None) -> SourceSpec:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:  # bad port, bad IPv6 literal
        raise _bad(shown, f"it cannot be parsed ({err})", camera_id) from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise _bad(shown, "file:// URLs must name a local path (file:///abs/path)", camera_id)
        path = unquote(parts.path)
        if not path:
            raise _bad(shown, "the file path is empty", camera_id)
        return SourceSpec(kind=SourceKind.FILE, target=path, redacted=path, path=path)
    if scheme not in _DEFAULT_PORTS:
        raise _bad(shown, f"the scheme {scheme!r} is not supported", camera_id)
    if not parts.hostname:
        raise _bad(shown, "the host name is missing", camera_id)
    if port == 0:
        raise _bad(shown, "port 0 is not a valid port", camera_id)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    secrets = set(url_secrets(text))
    secrets.update(s for s in (username, password) if s and len(s) >= 3)  # noqa: PLR2004
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return SourceSpec(
        kind=SourceKind(scheme),
        target=text,
        redacted=redact_url(text),
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[scheme],
        path=path,
        username=username,
        password=password,
        secrets=tuple(sorted(secrets, key=len, reverse=True)),
    )
