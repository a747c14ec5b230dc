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


def test_a_store_of_schema_4_keeps_every_row_under_person_id(tmp_path: Path) -> None:
    """Issue 15: migration 5 renames ``identity_id`` to ``person_id``; nothing is lost."""
    path = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(path))
    apply_migrations(con, migrations=[m for m in MIGRATIONS if m.version < 5])  # a file from before the rename
    con.execute("INSERT INTO identities VALUES ('p_old', 100, 160, 2)")
    con.execute(
        "INSERT INTO sightings (id, camera_id, track_id, identity_id, started_at, last_seen_at, frames) "
        "VALUES ('s1', 'door', 7, 'p_old', 100, 130, 12)"
    )
    con.execute("""INSERT INTO events (ts, type, camera_id, identity_id, payload)
                   VALUES (101, 'identity.created', 'door', 'p_old', '{"type": "identity.created"}')""")
    con.execute(
        "INSERT INTO identity_prototypes VALUES ('p_old', 0, ?, 160), ('p_old', 1, ?, 160)", [[0.5] * 256, [0.25] * 256]
    )
    con.execute("INSERT INTO visits VALUES ('v1', 'p_old', 100, 160, 160, ['door'], 60, true)")
    con.close()

    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [(t.id, t.person_id, t.frames) for t in store.list_tracks()] == [("s1", "p_old", 12)]
        assert [(e.type, e.person_id) for e in store.list_events()] == [("identity.created", "p_old")]
        assert [(v.id, v.person_id, v.dwell_s) for v in store.list_visits()] == [("v1", "p_old", 60.0)]
        gallery = store.load_gallery()
        assert gallery.ids == ("p_old",) and gallery.slots.tolist() == [0, 1]
        assert np.allclose(gallery.embeddings[0], 0.5) and np.allclose(gallery.embeddings[1], 0.25)
        detail = store.get_identity("p_old")
        assert detail is not None and (detail.n_tracks, detail.n_visits, detail.n_events) == (1, 1, 1)
        store.put_prototypes("p_old", np.ones((1, 256), dtype=np.float32))  # upsert on the renamed key
        store.flush()
        assert store.load_gallery().embeddings.shape == (1, 256)

    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE column_name IN ('identity_id', 'person_id')"
        ).fetchall()
        old = {t for t, c in columns if c == "identity_id"}
        renamed = {t for t, c in columns if c == "person_id"}
        assert not old and {"sightings", "events", "identity_prototypes", "visits"} <= renamed


def test_a_store_of_schema_5_keeps_its_sighting_boxes_in_scalar_columns(tmp_path: Path) -> None:
    """Migration 6: ``best_box``/``last_box`` lists become eight FLOAT columns; every box is kept."""
    path = tmp_path / "v5.duckdb"
    con = duckdb.connect(str(path))
    apply_migrations(con, migrations=[m for m in MIGRATIONS if m.version < 6])
    con.execute(
        "INSERT INTO sightings (id, camera_id, track_id, person_id, started_at, last_seen_at, frames,"
        " best_box, last_box)"
        " VALUES ('s1', 'door', 7, 'p1', 100, 130, 12, [1, 2, 3, 4], [5, 6, 7, 8]),"
        " ('s2', 'door', 8, NULL, 100, 110, 3, NULL, NULL)"
    )
    con.close()

    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        tracks = {t.id: t for t in store.list_tracks()}
        assert tracks["s1"].best_box == (1.0, 2.0, 3.0, 4.0) and tracks["s1"].last_box == (5.0, 6.0, 7.0, 8.0)
        assert tracks["s2"].best_box is None and tracks["s2"].last_box is None

    with duckdb.connect(str(path), read_only=True) as con:
        columns = {
            r[0]
            for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'sightings'").fetchall()
        }
        assert "best_box" not in columns and "last_box" not in columns and "last_y2" in columns
