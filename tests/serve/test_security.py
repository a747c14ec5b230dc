"""Auth, origin checks, CORS, body limits and headers on our real FastAPI app (no Ray).

`create_app(server)` is the app Serve hosts; it is driven in-process with
Starlette's TestClient. Routes that would reach the pipeline get a guard
dependency that answers 503, so a request that passed every check is visible
(503) and no Ray runtime is started by accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.websockets import WebSocketDisconnect

from pictag.config import ServerConfig, parse_config
from pictag.errors import ConfigError
from pictag.serve.app import create_app
from pictag.serve.errors import ApiError
from pictag.serve.security import COOKIE_NAME, MAX_FAILURES, install_security
from pictag.serve.services import get_services
from pictag.sessions import LocalSessionStore, well_formed
from pictag.storage import Store

TOKEN = "s3cret-token-for-tests-only"  # noqa: S105
BASE = "http://127.0.0.1:8000"
SPEC = "/api/v1/openapi.json"  # needs no pipeline: answers 200 once a request is let in


def _no_pipeline() -> None:
    raise ApiError(503, "no_runtime", "this test runs without the pipeline")


def _app(store: Store | None = None, **server: object) -> FastAPI:
    """The real app; logins kept in ``store`` (a real DuckDB store) instead of the store actor."""
    app = create_app(ServerConfig(**server), sessions=LocalSessionStore(store) if store is not None else None)
    app.dependency_overrides[get_services] = _no_pipeline
    return app


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "sessions.duckdb")
    yield s
    s.close()


@pytest.fixture
def open_client() -> Iterator[TestClient]:
    with TestClient(_app(), base_url=BASE) as client:
        yield client


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(_app(store, auth_token=TOKEN), base_url=BASE) as c:
        yield c


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- without a token: loopback only ---------------------------------------------------


def test_without_token_the_api_is_open_on_loopback(open_client: TestClient) -> None:
    assert open_client.get(SPEC).status_code == 200
    assert open_client.get("/api/v1/cameras").status_code == 503  # reached the route


@pytest.mark.parametrize("host", ["evil.example", "192.168.1.20:8000", "rebind.attacker.test:8000"])
def test_without_token_other_host_names_are_refused(open_client: TestClient, host: str) -> None:
    # DNS rebinding: a page on attacker.test resolves its name to 127.0.0.1.
    res = open_client.get(SPEC, headers={"Host": host})
    assert res.status_code == 421
    assert res.json()["error"] == "misdirected_request"


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:8000"])
def test_without_token_loopback_names_are_served(open_client: TestClient, host: str) -> None:
    assert open_client.get(SPEC, headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "shop-pc.local"])  # noqa: S104
def test_a_network_bind_without_token_is_refused(host: str) -> None:
    with pytest.raises(ConfigError, match="auth_token"):
        parse_config({"server": {"host": host}})
    parse_config({"server": {"host": host, "auth_token": TOKEN}})
    # And the app itself refuses to be built that way, whatever skipped the config check.
    with pytest.raises(ValueError, match="auth_token"):
        unchecked = ServerConfig.model_construct(**{**ServerConfig().__dict__, "host": host})
        install_security(FastAPI(), unchecked)


# ---- with a token ----------------------------------------------------------------------


def test_every_api_route_needs_the_token(client: TestClient) -> None:
    paths = (SPEC, "/api/v1/cameras", "/api/v1/tracks", "/api/v1/config", "/api/v1/export", "/metrics", "/api/v1/docs")
    for path in paths:
        res = client.get(path)
        assert res.status_code == 401, path
        body = res.json()
        assert body == {"error": "unauthorized", "detail": body["detail"], "field": None}
        assert res.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/api/v1/cameras", json={"id": "x", "url": "rtsp://h/"}).status_code == 401
    assert client.delete("/api/v1/cameras/x").status_code == 401


def test_bearer_token_lets_requests_in(client: TestClient) -> None:
    assert client.get(SPEC, headers=_bearer()).status_code == 200
    assert client.get(SPEC, headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
    assert client.get("/api/v1/cameras", headers=_bearer()).status_code == 503


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        "Bearer ",
        "Bearer " + "A" * 43,
        "Bearer \u00e9\u00e9",
    ],
)
def test_wrong_credentials_are_refused(client: TestClient, header: str) -> None:
    value = header.encode("latin-1")  # raw header bytes, non-ASCII included
    assert client.get(SPEC, headers={"Authorization": value}).status_code == 401


def test_health_login_page_and_its_files_are_public(client: TestClient) -> None:
    assert client.get("/api/v1/health").status_code == 503  # reached the route, no 401
    assert client.get("/login").status_code == 200
    assert client.get("/static/login.js").status_code == 200


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/", "/login?next=%2F"),
        ("/settings", "/login?next=%2Fsettings"),
        ("/settings?tab=privacy", "/login?next=%2Fsettings%3Ftab%3Dprivacy"),
    ],
)
def test_pages_redirect_to_the_login_page(client: TestClient, path: str, location: str) -> None:
    res = client.get(path, follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == location


def test_login_sets_an_httponly_cookie_that_is_not_the_token(client: TestClient) -> None:
    wrong = client.post("/api/v1/login", json={"token": "nope"})
    assert wrong.status_code == 401 and wrong.json()["field"] == "token"
    assert COOKIE_NAME not in wrong.cookies

    res = client.post("/api/v1/login", json={"token": TOKEN})
    assert res.status_code == 200 and res.json() == {"authenticated": True, "auth_required": True}
    set_cookie = res.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie
    assert TOKEN not in set_cookie
    session = client.cookies[COOKIE_NAME]
    assert well_formed(session)  # a random session id, not derived from the token

    assert client.get(SPEC).status_code == 200  # the cookie now authenticates
    assert client.get("/settings", follow_redirects=False).status_code == 200
    assert client.get(SPEC, headers=_bearer(session)).status_code == 401  # a session id is no bearer token

    out = client.post("/api/v1/logout")
    assert out.status_code == 200 and out.json()["authenticated"] is False
    assert COOKIE_NAME not in client.cookies
    assert client.get(SPEC).status_code == 401


def test_a_forged_cookie_is_refused(client: TestClient) -> None:
    client.cookies.set(COOKIE_NAME, TOKEN)  # the raw token is not a valid cookie
    assert client.get(SPEC).status_code == 401
    client.cookies.set(COOKIE_NAME, "A" * 43)  # well-formed, but no such session
    assert client.get(SPEC).status_code == 401
    old_style = "0" * 64  # the HMAC cookie of earlier versions is not accepted either
    client.cookies.set(COOKIE_NAME, old_style)
    assert client.get(SPEC).status_code == 401


def test_guessing_is_cut_off_after_repeated_wrong_tokens(client: TestClient) -> None:
    for _ in range(MAX_FAILURES):
        assert client.get(SPEC, headers=_bearer("guess")).status_code == 401
    blocked = client.get(SPEC, headers=_bearer("guess"))
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    wrong_login = client.post("/api/v1/login", json={"token": "guess"})
    assert wrong_login.status_code == 429 and wrong_login.json()["error"] == "too_many_attempts"
    # The right token is never refused for the guesses of others at the same address.
    assert client.get(SPEC, headers=_bearer()).status_code == 200
    assert client.post("/api/v1/login", json={"token": TOKEN}).status_code == 200


def test_login_without_configured_token_needs_no_login(open_client: TestClient) -> None:
    res = open_client.post("/api/v1/login", json={"token": "anything"})
    assert res.status_code == 200 and res.json()["auth_required"] is False


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": "x" * 5000}, {"token": 5}])
def test_malformed_login_bodies_get_422(client: TestClient, body: dict[str, object]) -> None:
    res = client.post("/api/v1/login", json=body)
    assert res.status_code == 422 and res.json()["error"] == "invalid_request"


# ---- WebSockets --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ws/events", "/ws/cameras/door/preview"])
def test_websockets_without_credentials_are_refused(client: TestClient, path: str) -> None:
    with pytest.raises(WebSocketDisconnect) as err, client.websocket_connect(path):
        pass
    assert err.value.code == 1008


def test_cross_site_websocket_is_refused_even_without_a_token(open_client: TestClient) -> None:
    # Browsers open WebSockets to any site; only the Origin header tells who asks.
    with (
        pytest.raises(WebSocketDisconnect) as err,
        open_client.websocket_connect("/ws/events", headers={"Origin": "https://evil.example"}),
    ):
        pass
    assert err.value.code == 1008


# ---- origins, CORS -----------------------------------------------------------------------


def test_cross_site_writes_are_refused(open_client: TestClient) -> None:
    evil = {"Origin": "https://evil.example"}
    res = open_client.post("/api/v1/login", json={"token": "x"}, headers=evil)
    assert res.status_code == 403 and res.json()["error"] == "forbidden_origin"
    assert open_client.patch("/api/v1/config", json={}, headers=evil).status_code == 403
    same = {"Origin": BASE}
    assert open_client.post("/api/v1/login", json={"token": "x"}, headers=same).status_code == 200


def test_cors_is_closed_by_default(open_client: TestClient) -> None:
    origin = {"Origin": "https://evil.example"}
    read = open_client.get(SPEC, headers=origin)
    assert "access-control-allow-origin" not in read.headers
    asks = {**origin, "Access-Control-Request-Method": "GET"}
    preflight = open_client.options(SPEC, headers=asks)
    assert "access-control-allow-origin" not in preflight.headers


def test_configured_cors_origins_are_allowed_and_no_others(store: Store) -> None:
    app = _app(store, auth_token=TOKEN, cors_origins=["https://office.example"])
    with TestClient(app, base_url=BASE) as client:
        preflight = client.options(
            "/api/v1/cameras",
            headers={
                "Origin": "https://office.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://office.example"
        res = client.get(SPEC, headers={"Origin": "https://office.example", **_bearer()})
        assert res.headers["access-control-allow-origin"] == "https://office.example"
        other = client.options(
            "/api/v1/cameras", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in other.headers
        assert (
            client.post(
                "/api/v1/login", json={"token": TOKEN}, headers={"Origin": "https://office.example"}
            ).status_code
            == 200
        )


# ---- limits and headers --------------------------------------------------------------------


def test_oversized_bodies_get_413_declared_or_streamed() -> None:
    with TestClient(_app(max_request_bytes=2048), base_url=BASE) as client:
        big = b'{"token": "' + b"x" * 4096 + b'"}'
        json_type = {"Content-Type": "application/json"}
        res = client.post("/api/v1/login", content=big, headers=json_type)
        assert res.status_code == 413 and res.json()["error"] == "too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts bytes as they come
            yield b'{"token": "'
            for _ in range(8):
                yield b"x" * 512
            yield b'"}'

        streamed = client.post("/api/v1/login", content=chunks(), headers=json_type)
        assert streamed.status_code == 413
        small = client.post("/api/v1/login", json={"token": "x" * 100})
        assert small.status_code == 200


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for res in (client.get(SPEC), client.get("/login"), client.get(SPEC, headers=_bearer())):
        assert res.headers["x-content-type-options"] == "nosniff"
        assert res.headers["x-frame-options"] == "DENY"
        assert res.headers["referrer-policy"] == "no-referrer"
    api = client.get(SPEC, headers=_bearer())
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    page = client.get("/login")  # the dashboard's own CSP is kept, not replaced
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_token_never_appears_in_answers_or_the_schema(client: TestClient) -> None:
    answers = (
        client.get(SPEC, headers=_bearer()),
        client.post("/api/v1/login", json={"token": TOKEN}),
        client.get("/api/v1/tracks"),
    )
    for res in answers:
        assert TOKEN not in res.text
        assert TOKEN not in str(res.headers)


def test_secretstr_token_from_a_config_file() -> None:
    config = parse_config({"server": {"auth_token": TOKEN}})
    assert isinstance(config.server.auth_token, SecretStr)
    app = _app(auth_token=config.server.auth_token.get_secret_value())
    with TestClient(app, base_url=BASE) as client:
        assert client.get(SPEC, headers=_bearer()).status_code == 200


@pytest.mark.parametrize(
    ("request_line", "body", "status", "error"),
    [
        ("GET /no/such/page.json", None, 404, "not_found"),
        ("PUT /api/v1/login", b"{}", 405, "method_not_allowed"),
        ("POST /api/v1/login", b"\x8fZ\x00\x11", 400, "invalid_request"),  # not JSON (fuzzer find)
        ("POST /api/v1/login", b"[1, 2]", 422, "invalid_request"),
    ],
)
def test_framework_errors_have_the_documented_body(
    open_client: TestClient, request_line: str, body: bytes | None, status: int, error: str
) -> None:
    method, path = request_line.split()
    json_type = {"Content-Type": "application/json"}
    res = open_client.request(method, path, content=body, headers=json_type)
    assert res.status_code == status
    payload = res.json()
    assert payload == {"error": error, "detail": payload["detail"], "field": payload["field"]}
