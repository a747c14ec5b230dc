"""Session manager on a real DuckDB store: random ids, hashed rows, token binding, expiry, cache."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pictag.sessions import CACHE_S, LocalSessionStore, SessionManager, id_hash, token_mac, well_formed
from pictag.storage import Store

TOKEN = "s3cret-token-for-tests-only"  # noqa: S105


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "s.duckdb")
    yield s
    s.close()


def test_ids_are_random_and_only_hashes_are_stored(store: Store, tmp_path: Path) -> None:
    manager = SessionManager(TOKEN, LocalSessionStore(store), 3600)
    ids = [asyncio.run(manager.open()).session_id for _ in range(20)]
    assert len(set(ids)) == 20 and all(well_formed(i) for i in ids)
    store.close()
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    rows = repr(con.execute("SELECT * FROM login_sessions").fetchall())
    con.close()
    assert all(i not in rows for i in ids) and TOKEN not in rows
    assert id_hash(ids[0]) in rows and token_mac(TOKEN, ids[0]) in rows


def test_expiry_and_the_check_cache(store: Store) -> None:
    wall, mono = Clock(1_800_000_000.0), Clock(50.0)
    manager = SessionManager(TOKEN, LocalSessionStore(store), 600, clock=wall, monotonic=mono)
    session = asyncio.run(manager.open()).session_id
    assert asyncio.run(manager.check(session))
    store.delete_session(id_hash(session))  # revoked elsewhere (another replica)
    assert asyncio.run(manager.check(session)), "within CACHE_S the replica still trusts its check"
    mono.now += CACHE_S + 0.1
    assert not asyncio.run(manager.check(session))

    other = asyncio.run(manager.open()).session_id
    wall.now += 601
    assert not asyncio.run(manager.check(other)), "expired"


def test_logout_is_immediate_on_this_replica(store: Store) -> None:
    manager = SessionManager(TOKEN, LocalSessionStore(store), 600)
    session = asyncio.run(manager.open()).session_id
    assert asyncio.run(manager.check(session))
    assert asyncio.run(manager.close(session)) is True
    assert not asyncio.run(manager.check(session))
    assert asyncio.run(manager.close(session)) is False


@pytest.mark.parametrize("cookie", ["", "x", "A" * 42, "A" * 44, "A" * 42 + "!", "0" * 64])
def test_malformed_ids_are_refused_without_a_lookup(cookie: str) -> None:
    class Unreachable:
        async def add(self, record: object) -> None:
            raise AssertionError("no store call expected")

        async def get(self, id_hash: str) -> None:
            raise AssertionError("no store call expected")

        async def delete(self, id_hash: str) -> bool:
            raise AssertionError("no store call expected")

    manager = SessionManager(TOKEN, Unreachable(), 600)  # type: ignore[arg-type]
    assert asyncio.run(manager.check(cookie)) is False
