"""Who may talk to the API and dashboard, and how much: auth, origin checks, limits, headers.

`install_security(app, server)` adds, outside-in:

1. security headers on every HTTP response (nosniff, no referrer, no framing,
   ``no-store`` for API answers, a deny-all CSP for JSON);
2. a Host check while no token is configured: only loopback names are served,
   so a web page cannot reach the local dashboard through DNS rebinding;
3. CORS, only for ``server.cors_origins`` (none by default: closed);
4. an Origin check for state-changing requests and WebSockets: a page of
   another site cannot post to the API or open the event stream, even though
   browsers send WebSocket handshakes cross-origin without asking;
5. token auth when ``server.auth_token`` is set: every route but
   ``/api/v1/health``, the login page and its static files needs
   ``Authorization: Bearer <token>`` or the HttpOnly ``pictag_token`` cookie that
   ``POST /api/v1/login`` sets. Pages redirect to ``/login``, API calls get 401
   JSON, WebSockets are closed before the handshake completes (HTTP 403).
   Comparisons are constant-time; wrong tokens are limited per client address
   (`pictag.login_limit`: slowed, then 429, never refusing the right token);
6. a request body limit (``server.max_request_bytes`` → 413).

The cookie holds a random session id, never the token (`pictag.sessions`): the
store keeps its hash with an expiry (``server.session_max_age_h``), logout deletes
it, and a new token ends every session of the old one. The cookie is ``Secure``
when the request came over HTTPS, when ``server.behind_tls_proxy`` is set, or when
a proxy of ``server.trusted_proxies`` sends ``X-Forwarded-Proto: https``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pictag.config import ServerConfig
from pictag.config.root import is_loopback_host
from pictag.login_limit import MAX_FAILURES, LoginLimiter
from pictag.proxies import TrustedProxies
from pictag.serve.api_docs import document_errors
from pictag.serve.errors import ApiError, error_body
from pictag.serve.routes.dashboard import is_public_path
from pictag.serve.sessions import StoreActorSessions
from pictag.sessions import SessionManager, SessionStore, SessionStoreUnavailable

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE_NAME = "pictag_token"
LOGIN_PATH = "/login"
API_PREFIX = "/api/v1"
#: Paths reachable without a token besides the dashboard's public ones.
EXTRA_PUBLIC_PATHS = frozenset({f"{API_PREFIX}/logout"})
__all__ = ["COOKIE_NAME", "MAX_FAILURES", "Authenticator", "install_security"]
MAX_TOKEN_CHARS = 4096
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
    b"cross-origin-resource-policy": b"same-origin",
}
JSON_CSP = b"default-src 'none'; frame-ancestors 'none'"


# ---- small helpers -----------------------------------------------------------------------


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers, lower-cased names, latin-1 decoded (last one wins)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value
    return out


def _host_name(host_header: str) -> str:
    """``[::1]:8000`` → ``::1``, ``Example.com:80`` → ``example.com``."""
    try:
        return (urlsplit(f"//{host_header}").hostname or "").lower()
    except ValueError:
        return ""


def _same_origin(origin: str, host_header: str) -> bool:
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return bool(parts.netloc) and parts.netloc.lower() == host_header.lower()


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned away: status, error code, a hint, extra headers."""

    status: int
    error: str
    detail: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


async def _send_json(send: Send, refusal: Refusal) -> None:
    payload = json.dumps(error_body(refusal.error, refusal.detail)).encode("utf-8")
    length = str(len(payload)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", length)]
    headers += refusal.headers
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _refuse(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
    """HTTP: a JSON error body. WebSocket: close before accepting (the client sees HTTP 403)."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": refusal.error})
        return
    await _send_json(send, refusal)


WRONG_HOST = Refusal(
    421,
    "misdirected_request",
    "this server answers only on loopback names (127.0.0.1, localhost); "
    "set server.auth_token to serve other host names",
)
WRONG_ORIGIN = Refusal(
    403,
    "forbidden_origin",
    "requests from another site are refused; add its origin to server.cors_origins",
)
NO_TOKEN = Refusal(
    401,
    "unauthorized",
    "sign in: send 'Authorization: Bearer <token>' or log in at /login",
    ((b"www-authenticate", b'Bearer realm="pictag"'),),
)


# ---- token and session checking ----------------------------------------------------------

#: What a token check found: accepted, wrong, or refused because the address is limited.
TokenVerdict = Literal["ok", "wrong", "limited"]
RETRY_AFTER_UNAVAILABLE_S = 2


class Authenticator:
    """Checks bearer tokens (constant time, limited per address) and login sessions."""

    def __init__(self, server: ServerConfig, token: str, sessions: SessionStore) -> None:
        # A digest, so the comparison takes the same time whatever the candidate's length.
        self._token = _digest(token)
        self.sessions = SessionManager(token, sessions, server.session_max_age_h * 3600.0)
        self.limiter = LoginLimiter()
        self.proxies = TrustedProxies(server.trusted_proxies)
        self.behind_tls_proxy = server.behind_tls_proxy

    def token_matches(self, candidate: str) -> bool:
        """The bearer/login token, compared in constant time."""
        return hmac.compare_digest(_digest(candidate), self._token)

    def client(self, scope: Scope, headers: dict[str, str]) -> str:
        """The address wrong tokens are counted against (behind a trusted proxy: the real client)."""
        return self.proxies.client(_client(scope), headers.get("x-forwarded-for"))

    def secure_cookie(self, scope: Scope, headers: dict[str, str]) -> bool:
        """Whether the browser reached us over HTTPS (directly, by configuration, or per a trusted proxy)."""
        if self.behind_tls_proxy or scope.get("scheme") in ("https", "wss"):
            return True
        return self.proxies.https(_client(scope), headers.get("x-forwarded-proto"))

    async def check_token(self, client: str, candidate: str) -> TokenVerdict:
        """Check a token from ``client``; a limited address waits its turn, a right token always passes."""
        limited = self.limiter.limited(client)
        wait = self.limiter.reserve(client)
        if wait is None:
            return "limited"
        if wait > 0:
            await asyncio.sleep(wait)
        if self.token_matches(candidate):
            return "ok"
        self.limiter.failed(client)
        return "limited" if limited else "wrong"

    def too_many(self, client: str) -> Refusal:
        """The 429 answer for a limited address."""
        wait = str(self.limiter.retry_after(client)).encode()
        return Refusal(
            429,
            "too_many_attempts",
            "too many wrong tokens from this address; wait a minute",
            ((b"retry-after", wait),),
        )


SESSIONS_UNAVAILABLE = Refusal(
    503,
    "unavailable",
    "sign-in is unavailable for a moment (the store is restarting); try again",
    ((b"retry-after", str(RETRY_AFTER_UNAVAILABLE_S).encode()),),
)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


# ---- middlewares (pure ASGI: they see WebSockets too and never buffer responses) ----------


class SecurityHeadersMiddleware:
    """Adds the headers of `SECURITY_HEADERS` (and no-store + CSP for JSON) when absent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope.get("path", "").startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = dict(SECURITY_HEADERS)
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"application/json"):
                    extra[b"content-security-policy"] = JSON_CSP
                if is_api:
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class GuardMiddleware:
    """Host check (no token), Origin check (unsafe methods, WebSockets) and token auth."""

    def __init__(self, app: ASGIApp, server: ServerConfig, checker: Authenticator | None) -> None:
        self.app = app
        self.checker = checker
        self.cors_origins = frozenset(o.rstrip("/").lower() for o in server.cors_origins)
        self.allowed_hosts = LOOPBACK_NAMES | {server.host.lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = self.checker
        headers = _headers(scope)
        host = headers.get("host", "")
        if self.checker is None and _host_name(host) not in self.allowed_hosts:
            await _refuse(scope, receive, send, WRONG_HOST)
            return
        if not self._origin_ok(scope, headers, host):
            await _refuse(scope, receive, send, WRONG_ORIGIN)
            return
        path = scope.get("path", "")
        preflight = scope.get("method") == "OPTIONS"
        public = is_public_path(path) or path in EXTRA_PUBLIC_PATHS or preflight
        if self.checker is None or public:
            await self.app(scope, receive, send)
            return
        await self._authenticated(scope, receive, send, headers, self.checker)

    def _origin_ok(self, scope: Scope, headers: dict[str, str], host: str) -> bool:
        """Reads may come from anywhere (CORS decides who sees them); writes and streams not."""
        origin = headers.get("origin")
        if origin is None:  # not sent by a browser page: curl, scripts, same-origin GETs
            return True
        if scope["type"] == "http" and scope.get("method") not in UNSAFE_METHODS:
            return True
        return _same_origin(origin, host) or origin.rstrip("/").lower() in self.cors_origins

    async def _authenticated(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], checker: Authenticator
    ) -> None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        cookie = _cookies(headers.get("cookie", "")).get(COOKIE_NAME)
        if scheme.lower() == "bearer" and value.strip():
            client = checker.client(scope, headers)
            verdict = await checker.check_token(client, value.strip())
            if verdict == "ok":
                await self.app(scope, receive, send)
                return
            if verdict == "limited":
                await _refuse(scope, receive, send, checker.too_many(client))
                return
        elif cookie:
            try:
                live = await checker.sessions.check(cookie)
            except SessionStoreUnavailable:
                await _refuse(scope, receive, send, SESSIONS_UNAVAILABLE)
                return
            if live:
                await self.app(scope, receive, send)
                return
        path = scope.get("path", "")
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") and _is_page(path):
            await _redirect_to_login(scope, send)
            return
        await _refuse(scope, receive, send, NO_TOKEN)


async def _redirect_to_login(scope: Scope, send: Send) -> None:
    """303 to ``/login?next=<this page>`` (login.js only follows same-site paths)."""
    query = scope.get("query_string", b"").decode("latin-1")
    target = scope.get("path", "/") + (f"?{query}" if query else "")
    location = f"{LOGIN_PATH}?next={quote(target, safe='')}".encode("latin-1")
    headers = [(b"location", location), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _is_page(path: str) -> bool:
    """A browser page (redirect to the login page) rather than an API/stream/metrics URL."""
    return not path.startswith(("/api/", "/ws/", "/metrics"))


class BodyLimitMiddleware:
    """Refuses request bodies larger than ``limit`` bytes with 413, declared or streamed.

    The body is read (at most ``limit`` bytes) before the app runs and replayed to
    it, so an oversized upload never reaches a handler half-read.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _headers(scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await _send_json(
            send, Refusal(413, "too_large", f"request body over {self.limit} bytes (server.max_request_bytes)")
        )


# ---- login / logout ----------------------------------------------------------------------


class LoginRequest(BaseModel):
    """The access token typed on the login page."""

    token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS, description="The configured server.auth_token.")


class AuthState(BaseModel):
    """Whether this browser is signed in, and whether sign-in is needed at all."""

    authenticated: bool
    auth_required: bool


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong token"},
    429: {"description": "Too many wrong tokens from this address"},
    503: {"description": "Sessions cannot be stored right now (the store is restarting)"},
}


STATE_KEY = "token_checker"

# Module-level handlers, not closures: Serve ships the app to its replica with cloudpickle,
# which loses the globals that a closure's string annotations name. The checker reaches
# them through the request state that `GuardMiddleware` fills.
router = APIRouter(tags=["auth"])


def _checker(request: Request) -> Authenticator | None:
    checker = getattr(request.state, STATE_KEY, None)
    return checker if isinstance(checker, Authenticator) else None


def _refusal_response(refusal: Refusal) -> JSONResponse:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in refusal.headers}
    return JSONResponse(error_body(refusal.error, refusal.detail), status_code=refusal.status, headers=headers)


@router.post("/login", summary="Sign in with the access token", response_model=AuthState, responses=ERROR_RESPONSES)
async def login(body: LoginRequest, request: Request, response: Response) -> AuthState | JSONResponse:
    """Check the token and set the HttpOnly, SameSite=Strict ``pictag_token`` session cookie."""
    checker = _checker(request)
    if checker is None:
        return AuthState(authenticated=True, auth_required=False)
    headers = _headers(request.scope)
    client = checker.client(request.scope, headers)
    verdict = await checker.check_token(client, body.token)
    if verdict == "limited":
        return _refusal_response(checker.too_many(client))
    if verdict == "wrong":
        log.warning("login refused client=%s", client)
        raise ApiError(401, "unauthorized", "that token is not right", "token")
    try:
        session = await checker.sessions.open()
    except SessionStoreUnavailable:
        return _refusal_response(SESSIONS_UNAVAILABLE)
    response.set_cookie(
        COOKIE_NAME,
        session.session_id,
        max_age=session.max_age_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=checker.secure_cookie(request.scope, headers),
    )
    return AuthState(authenticated=True, auth_required=True)


@router.post(
    "/logout",
    summary="Sign out (ends the session on the server)",
    response_model=AuthState,
    responses={503: ERROR_RESPONSES[503]},
)
async def logout(request: Request, response: Response) -> AuthState | JSONResponse:
    """End this browser's session on the server, then remove its cookie.

    If the session cannot be ended now (503), the cookie is kept so the user can try again.
    """
    checker = _checker(request)
    cookie = request.cookies.get(COOKIE_NAME)
    if checker is not None and cookie:
        try:
            await checker.sessions.close(cookie)
        except SessionStoreUnavailable:
            return _refusal_response(SESSIONS_UNAVAILABLE)
    secure = checker.secure_cookie(request.scope, _headers(request.scope)) if checker else False
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=secure)
    return AuthState(authenticated=False, auth_required=checker is not None)


def install_security(app: FastAPI, server: ServerConfig, sessions: SessionStore | None = None) -> None:
    """Add login/logout routes and the security middlewares (see the module docstring).

    Call once from `create_app`, before the app starts. ``sessions`` is where logins are
    kept; by default the store actor of the running PicTag (`StoreActorSessions`).
    """
    token = server.auth_token.get_secret_value() if server.auth_token is not None else None
    checker = None
    if token:
        checker = Authenticator(server, token, sessions if sessions is not None else StoreActorSessions())
    if checker is None and not is_loopback_host(server.host):
        # The config check refuses this too; the app must never run open on a network.
        raise ValueError(f"server.host={server.host} needs server.auth_token")
    app.include_router(router, prefix=API_PREFIX)
    document_errors(app, bearer=checker is not None)
    # add_middleware puts each new one outermost: add innermost first.
    app.add_middleware(BodyLimitMiddleware, limit=server.max_request_bytes)
    app.add_middleware(GuardMiddleware, server=server, checker=checker)
    if server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(server.cors_origins),
            allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
