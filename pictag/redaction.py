"""Keep secrets (camera passwords, tokens) out of logs, events, API answers and errors.

Every string that may hold a camera URL goes through `redact_url` /
`redact_text` before it leaves the process that owns the secret.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_QUERY_KEYS = frozenset(
    {"password", "passwd", "pwd", "pass", "token", "key", "auth", "secret", "user", "username"}
)
# scheme://userinfo@ anywhere in free text (error messages from FFmpeg/OpenCV included).
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^\s/@]+)@")
_QUERY_SECRET_IN_TEXT = re.compile(
    r"(?P<key>[?&](?:" + "|".join(sorted(_SECRET_QUERY_KEYS)) + r")=)(?P<value>[^&\s#]+)",
    re.IGNORECASE,
)
REDACTED = "***"


def redact_url(url: str) -> str:
    """``rtsp://user:pw@host/x?token=t`` → ``rtsp://***@host/x?token=***``.

    Non-URL strings (file paths, device indices) are returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if not parts.scheme or not parts.netloc:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Redact every embedded URL credential and secret query value in free text."""
    text = _USERINFO_IN_TEXT.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
    return _QUERY_SECRET_IN_TEXT.sub(lambda m: m.group("key") + REDACTED, text)


def url_secrets(url: str) -> list[str]:
    """The secret substrings of a URL (user name, password, secret query values).

    Used to scrub messages that may have mangled the URL beyond `redact_text`'s reach.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    if parts.password:
        found.append(parts.password)
    if parts.username:
        found.append(parts.username)
    for k, v in parse_qsl(parts.query, keep_blank_values=False):
        if k.lower() in _SECRET_QUERY_KEYS and v:
            found.append(v)
    return [s for s in found if len(s) >= 3]


def scrub(text: str, secrets: list[str]) -> str:
    """`redact_text`, then replace any literal secret that survived."""
    text = redact_text(text)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
