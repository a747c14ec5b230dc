"""HTTP-style authentication headers (Basic and Digest, RFC 7617 / RFC 2617) for probes.

RTSP borrows HTTP's authentication; cameras answer 401 with one or more
``WWW-Authenticate`` challenges, usually Digest (MD5). Only what a camera probe
needs: parse the challenges, answer the strongest one we support.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

_PARAM_RE = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_challenges(headers: list[str]) -> dict[str, dict[str, str]]:
    """Split ``WWW-Authenticate`` values into ``{scheme: {param: value}}``.

    ``['Digest realm="x", nonce="n"', 'Basic realm="x"']`` →
    ``{"digest": {"realm": "x", "nonce": "n"}, "basic": {"realm": "x"}}``.
    """
    found: dict[str, dict[str, str]] = {}
    for header in headers:
        scheme, _, rest = header.strip().partition(" ")
        params = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM_RE.finditer(rest)
        }
        found[scheme.lower()] = params
    return found


def authorization(  # noqa: PLR0913 - the protocol's inputs
    challenges: dict[str, dict[str, str]],
    *,
    method: str,
    uri: str,
    user: str,
    password: str,
    cnonce: str | None = None,
) -> str | None:
    """The ``Authorization`` header answering the best challenge, or None if none is supported.

    ``cnonce`` is random unless given (tests use RFC 2617's example value).
    """
    digest = challenges.get("digest")
    if digest is not None and digest.get("algorithm", "MD5").upper() in ("MD5", "MD5-SESS"):
        return _digest(
            digest,
            method=method,
            uri=uri,
            user=user,
            password=password,
            cnonce=cnonce or os.urandom(8).hex(),
        )
    if "basic" in challenges:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return f"Basic {token}"
    return None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - required by the protocol


def _digest(  # noqa: PLR0913
    challenge: dict[str, str], *, method: str, uri: str, user: str, password: str, cnonce: str
) -> str:
    realm = challenge.get("realm", "")
    nonce = challenge.get("nonce", "")
    ha1 = _md5(f"{user}:{realm}:{password}")
    if challenge.get("algorithm", "").upper() == "MD5-SESS":
        ha1 = _md5(f"{ha1}:{nonce}:{cnonce}")
    ha2 = _md5(f"{method}:{uri}")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    parts = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        nc = "00000001"
        response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    else:
        response = _md5(f"{ha1}:{nonce}:{ha2}")
    parts.append(f'response="{response}"')
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    if "algorithm" in challenge:
        parts.append(f"algorithm={challenge['algorithm']}")
    return "Digest " + ", ".join(parts)
