"""Login sessions on the real app with a real DuckDB store (no Ray): revocation, rotation, Secure, limits.

Sessions are kept through `LocalSessionStore` on a real `Store`; an app built again on the
same store stands for a restarted Serve replica (tests/serve/test_sessions_runtime.py does
it with real Ray Serve).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pictag.config import ServerConfig
from pictag.serve.app import create_app
from pictag.serve.errors import ApiError
from pictag.serve.security import COOKIE_NAME, MAX_FAILURES
from pictag.serve.services import get_services
from pictag.sessions import LocalSessionStore, id_hash
from pictag.storage import Store

TOKEN = "s3cret-token-for-tests-only"  # noqa: S105
NEW_TOKEN = "rotated-token-for-tests-0002"  # noqa: S105
BASE = "http://127.0.0.1:8000"
SPEC = "/api/v1/openapi.json"  # needs no pipeline: 200 once a request is let in


def _no_pipeline() -> None:
    raise ApiError(503, "no_runtime", "this test runs without the pipeline")


def _app(store: Store, **server: object) -> FastAPI:
    app = create_app(ServerConfig(**{"auth_token": TOKEN, **server}), sessions=LocalSessionStore(store))
    app.dependency_overrides[get_services] = _no_pipeline
    return app


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "sessions.duckdb")
    yield s
    s.close()


def _login(client: TestClient, token: str = TOKEN, **kwargs: object) -> str:
    res = client.post("/api/v1/login", json={"token": token}, **kwargs)  # type: ignore[arg-type]
    assert res.status_code == 200, res.text
    return str(res.cookies[COOKIE_NAME])


def _with_cookie(client: TestClient, session: str) -> int:
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, session)
    return client.get(SPEC).status_code


def test_logout_revokes_the_session_on_the_server(store: Store) -> None:
    with TestClient(_app(store), base_url=BASE) as client:
        first = _login(client)
        second = _login(client)
        assert first != second  # a new random id per login
        assert _with_cookie(client, first) == 200
        assert store.get_session(id_hash(first)) is not None  # stored hashed, never the id itself
        assert store.get_session(first) is None

        client.cookies.set(COOKIE_NAME, first)
        assert client.post("/api/v1/logout").status_code == 200
        assert _with_cookie(client, first) == 401, "the old cookie must be refused after logout"
        assert store.get_session(id_hash(first)) is None
        assert _with_cookie(client, second) == 200  # other logins are untouched


def test_sessions_survive_a_new_replica(store: Store) -> None:
    with TestClient(_app(store), base_url=BASE) as client:
        session = _login(client)
    with TestClient(_app(store), base_url=BASE) as restarted:  # a new app: nothing in memory
        assert _with_cookie(restarted, session) == 200


def test_a_new_token_ends_every_session_of_the_old_one(store: Store) -> None:
    with TestClient(_app(store), base_url=BASE) as client:
        sessions = [_login(client) for _ in range(3)]
    with TestClient(_app(store, auth_token=NEW_TOKEN), base_url=BASE) as rotated:
        for session in sessions:
            assert _with_cookie(rotated, session) == 401
            assert store.get_session(id_hash(session)) is None  # removed, not only refused
        assert rotated.post("/api/v1/login", json={"token": TOKEN}).status_code == 401
        fresh = _login(rotated, NEW_TOKEN)
        assert _with_cookie(rotated, fresh) == 200
    with TestClient(_app(store), base_url=BASE) as back:  # and a session of the new token is no good for the old
        assert _with_cookie(back, fresh) == 401


def test_expired_sessions_are_refused(store: Store) -> None:
    with TestClient(_app(store, session_max_age_h=1.0), base_url=BASE) as client:
        res = client.post("/api/v1/login", json={"token": TOKEN})
        assert "Max-Age=3600" in res.headers["set-cookie"]
        session = res.cookies[COOKIE_NAME]
        record = store.get_session(id_hash(session))
        assert record is not None and 3599 <= record.expires_at - record.created_at <= 3601
        assert store.get_session(id_hash(session), now=record.expires_at + 1) is None


@pytest.mark.parametrize(
    "case",
    [
        # (server settings, base URL, peer address, request headers, Secure expected)
        ({}, "http://127.0.0.1:8000", "127.0.0.1", {}, False),
        ({}, "https://shop.example", "127.0.0.1", {}, True),  # TLS straight to PicTag
        ({"behind_tls_proxy": True}, BASE, "127.0.0.1", {}, True),
        ({"trusted_proxies": ["10.0.0.5"]}, BASE, "10.0.0.5", {"X-Forwarded-Proto": "https"}, True),
        ({"trusted_proxies": ["10.0.0.0/24"]}, BASE, "10.0.0.7", {"X-Forwarded-Proto": "http, https"}, True),
        ({"trusted_proxies": ["10.0.0.5"]}, BASE, "10.0.0.5", {"X-Forwarded-Proto": "http"}, False),
        ({"trusted_proxies": ["10.0.0.5"]}, BASE, "192.0.2.9", {"X-Forwarded-Proto": "https"}, False),  # not our proxy
        ({}, BASE, "10.0.0.5", {"X-Forwarded-Proto": "https"}, False),  # no proxy configured
    ],
)
def test_secure_cookie_cases(store: Store, case: tuple[dict[str, object], str, str, dict[str, str], bool]) -> None:
    server, base, peer, headers, secure = case
    with TestClient(_app(store, **server), base_url=base, client=(peer, 40000)) as client:
        res = client.post("/api/v1/login", json={"token": TOKEN}, headers=headers)
        assert res.status_code == 200
        set_cookie = res.headers["set-cookie"]
        assert ("; secure" in set_cookie.lower()) is secure, set_cookie
        out = client.post("/api/v1/logout", headers=headers)
        assert ("; secure" in out.headers["set-cookie"].lower()) is secure


def test_the_right_token_passes_while_the_address_is_limited(store: Store) -> None:
    with TestClient(_app(store), base_url=BASE) as client:
        for _ in range(MAX_FAILURES):
            assert client.post("/api/v1/login", json={"token": "guess-guess-guess"}).status_code == 401
        limited = client.post("/api/v1/login", json={"token": "guess-guess-guess"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert client.get(SPEC, headers={"Authorization": "Bearer guess"}).status_code == 429
        session = _login(client)  # the owner, behind the same address, still signs in
        assert _with_cookie(client, session) == 200
        assert client.get(SPEC, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_clients_behind_a_trusted_proxy_are_limited_one_by_one(store: Store) -> None:
    with TestClient(_app(store, trusted_proxies=["10.0.0.5"]), base_url=BASE, client=("10.0.0.5", 40000)) as client:
        guesser = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(MAX_FAILURES):
            assert client.get(SPEC, headers={**guesser, "Authorization": "Bearer guess"}).status_code == 401
        assert client.get(SPEC, headers={**guesser, "Authorization": "Bearer guess"}).status_code == 429
        other = {"X-Forwarded-For": "198.51.100.8", "Authorization": "Bearer wrong"}
        assert client.get(SPEC, headers=other).status_code == 401  # another shop client: not limited
        # A forged X-Forwarded-For from a client of the proxy cannot escape: the right-most untrusted hop counts.
        forged = {"X-Forwarded-For": "203.0.113.1, 198.51.100.7", "Authorization": "Bearer guess"}
        assert client.get(SPEC, headers=forged).status_code == 429


def test_an_unavailable_store_answers_503_not_401(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    with TestClient(_app(store), base_url=BASE) as client:
        session = _login(client)
        store.close()  # the store goes away (as while the store actor restarts)
        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, "B" * 43)
        res = client.get(SPEC)
        assert res.status_code == 503 and res.headers["retry-after"] == "2"
        assert res.json()["error"] == "unavailable"
        login = client.post("/api/v1/login", json={"token": TOKEN})
        assert login.status_code == 503 and login.headers["retry-after"] == "2"
        client.cookies.set(COOKIE_NAME, session)
        out = client.post("/api/v1/logout")
        assert out.status_code == 503 and COOKIE_NAME in client.cookies  # kept, so the user can retry
        assert client.get(SPEC, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200  # tokens need no store
