"""Schema migrations: from empty, re-open, incremental steps, newer files refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from pictag.errors import StorageError
from pictag.storage import SCHEMA_VERSION, Store
from pictag.storage.schema import MIGRATIONS, Migration, applied_versions, apply_migrations
from tests.rows import identity

TABLES = {
    "schema_migrations",
    "store_meta",
    "cameras",
    "sightings",
    "events",
    "identities",
    "identity_prototypes",
    "visits",
    "login_sessions",
}


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def test_new_file_gets_every_table_and_version(db_path: Path) -> None:
    with Store.open(db_path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.embedding_dim == 256
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        assert TABLES <= _tables(con)
        assert applied_versions(con) == [m.version for m in MIGRATIONS]
    finally:
        con.close()


def test_reopen_is_idempotent(db_path: Path) -> None:
    Store.open(db_path).close()
    con = duckdb.connect(str(db_path))
    try:
        assert apply_migrations(con) == []
        assert apply_migrations(con) == []
        n = con.execute("SELECT count(*) FROM schema_migrations").fetchone()
        assert n == (len(MIGRATIONS),)
    finally:
        con.close()
    with Store.open(db_path) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_later_migrations_apply_in_order_once(tmp_path: Path) -> None:
    calls: list[int] = []
    nxt = SCHEMA_VERSION + 1  # steps after the shipped ones, whatever their number

    def add_note(ctx: object) -> list[str]:
        calls.append(nxt)
        return ["ALTER TABLE events ADD COLUMN note VARCHAR"]

    def fill(ctx: object) -> list[str]:
        calls.append(nxt + 1)
        return ["UPDATE events SET note = 'filled'"]

    shipped = [m.version for m in MIGRATIONS]
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    try:
        assert apply_migrations(con, migrations=MIGRATIONS) == shipped
        steps = (*MIGRATIONS, Migration(nxt, "note column", add_note), Migration(nxt + 1, "fill", fill))
        assert apply_migrations(con, migrations=steps) == [nxt, nxt + 1]
        assert apply_migrations(con, migrations=steps) == []
        assert calls == [nxt, nxt + 1]
        cols = {
            r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name='events'").fetchall()
        }
        assert "note" in cols
    finally:
        con.close()


def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    nxt = SCHEMA_VERSION + 1
    try:
        apply_migrations(con)
        broken = (
            *MIGRATIONS,
            Migration(nxt, "broken", lambda ctx: ["ALTER TABLE nope ADD COLUMN x INT"]),
        )
        with pytest.raises(StorageError, match=f"migration={nxt}"):
            apply_migrations(con, migrations=broken)
        assert applied_versions(con) == [m.version for m in MIGRATIONS]
    finally:
        con.close()


def test_a_store_of_schema_1_gains_the_login_sessions_table(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    apply_migrations(con, migrations=MIGRATIONS[:1])  # a file written before sessions existed
    con.close()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.get_session("0" * 64) is None


def test_file_from_newer_version_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)")
    con.close()
    with pytest.raises(StorageError, match="reason=newer_schema"):
        Store.open(db_path)


def test_unordered_migration_list_is_a_bug(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    try:
        bad = (Migration(2, "b", lambda c: []), Migration(1, "a", lambda c: []))
        with pytest.raises(StorageError, match="bad_migration_list"):
            apply_migrations(con, migrations=bad)
    finally:
        con.close()


def test_embedding_dim_fixed_at_creation(db_path: Path) -> None:
    with Store.open(db_path, embedding_dim=512) as store:
        assert store.embedding_dim == 512
        store.upsert_identities([identity("id_a", 1.0)])
        store.put_prototypes("id_a", np.ones((2, 512), dtype=np.float32))
        with pytest.raises(StorageError, match="bad_embeddings"):
            store.put_prototypes("id_b", np.ones((2, 256), dtype=np.float32))
    with pytest.raises(StorageError, match="dimension_mismatch"):
        Store.open(db_path, embedding_dim=256)
    with Store.open(db_path, embedding_dim=512) as store:
        assert store.load_gallery().embeddings.shape == (2, 512)


def test_second_writer_is_refused_clearly(db_path: Path, store: Store) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom pictag.storage import Store\nfrom pictag.errors import StorageError\n"
        "try:\n    Store.open(sys.argv[1])\nexcept StorageError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(db_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "reason=locked" in out.stdout, out.stdout + out.stderr


def test_garbage_file_is_refused_clearly(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(bytes(range(256)) * 1000)
    with pytest.raises(StorageError, match="reason=not_a_store"):
        Store.open(db_path)
