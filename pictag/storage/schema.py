"""Versioned schema migrations for the PicTag DuckDB store.

Migrations are ordered Python objects (version, name, statements), applied
one transaction each together with their ``schema_migrations`` row, so a
crash mid-migration leaves the file at the previous version. Applying is
idempotent: versions already recorded are skipped. A file whose highest
recorded version is newer than this code knows is refused, because an old
binary writing into a newer layout could silently corrupt it.

Timestamps are epoch seconds (UTC) in DOUBLE columns everywhere: the pipeline
already speaks ``time.time()`` and ``ts_unix``, hour buckets are plain
arithmetic, and no time-zone extension is needed. The API renders ISO-8601.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from pictag.errors import StorageError
from pictag.storage import footfall

#: Embedding width of the shipped re-id models. Fixed per file at creation.
DEFAULT_EMBEDDING_DIM = 256
MAX_EMBEDDING_DIM = 4096


@dataclass(frozen=True)
class SchemaContext:
    """Values a migration may bake into DDL (fixed for the life of a file)."""

    embedding_dim: int


@dataclass(frozen=True)
class Migration:
    """One schema step: ``statements(ctx)`` yields the DDL to run, in order."""

    version: int
    name: str
    statements: Callable[[SchemaContext], Sequence[str]]


def _v1_initial(ctx: SchemaContext) -> list[str]:
    dim = int(ctx.embedding_dim)  # validated int; DDL cannot take parameters
    return [
        """CREATE TABLE IF NOT EXISTS store_meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS cameras (
            id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            url_redacted VARCHAR NOT NULL,
            enabled BOOLEAN NOT NULL,
            analysis_fps DOUBLE NOT NULL,
            settings JSON NOT NULL,
            created_at DOUBLE NOT NULL,
            updated_at DOUBLE NOT NULL,
            deleted_at DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS sightings (
            id VARCHAR PRIMARY KEY,
            camera_id VARCHAR NOT NULL,
            track_id BIGINT NOT NULL,
            identity_id VARCHAR,
            started_at DOUBLE NOT NULL,
            last_seen_at DOUBLE NOT NULL,
            ended_at DOUBLE,
            frames INTEGER NOT NULL,
            best_box FLOAT[],
            last_box FLOAT[],
            mean_confidence DOUBLE)""",
        "CREATE SEQUENCE IF NOT EXISTS events_id_seq START 1",
        # No primary key on events: an ART index on the largest table costs
        # insert time and memory; ids come from the sequence and are unique.
        """CREATE TABLE IF NOT EXISTS events (
            id BIGINT NOT NULL DEFAULT nextval('events_id_seq'),
            ts DOUBLE NOT NULL,
            type VARCHAR NOT NULL,
            camera_id VARCHAR,
            identity_id VARCHAR,
            payload JSON NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS identities (
            id VARCHAR PRIMARY KEY,
            created_at DOUBLE NOT NULL,
            last_seen_at DOUBLE NOT NULL,
            n_sightings INTEGER NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS identity_prototypes (
            identity_id VARCHAR NOT NULL,
            slot SMALLINT NOT NULL,
            embedding FLOAT[{dim}] NOT NULL,
            updated_at DOUBLE NOT NULL,
            PRIMARY KEY (identity_id, slot))""",
        """CREATE TABLE IF NOT EXISTS visits (
            id VARCHAR PRIMARY KEY,
            identity_id VARCHAR NOT NULL,
            started_at DOUBLE NOT NULL,
            last_seen_at DOUBLE NOT NULL,
            ended_at DOUBLE,
            cameras VARCHAR[] NOT NULL,
            dwell_s DOUBLE NOT NULL,
            closed BOOLEAN NOT NULL)""",
    ]


def _v2_login_sessions(ctx: SchemaContext) -> list[str]:
    # Dashboard logins (pictag.storage.sessions): hashes and times only.
    return [
        """CREATE TABLE IF NOT EXISTS login_sessions (
            id_hash VARCHAR PRIMARY KEY,
            token_mac VARCHAR NOT NULL,
            created_at DOUBLE NOT NULL,
            expires_at DOUBLE NOT NULL)""",
    ]


def _v4_integrations(ctx: SchemaContext) -> list[str]:
    # Issue 18. Version 3 is issue 17's (line crossings); a file may get 4 before 3: each
    # migration applies once, whatever the order it arrives in.
    return [
        # One row per finished webhook delivery (secret-free: URL redacted before it gets here).
        """CREATE TABLE IF NOT EXISTS webhook_deliveries (
            id VARCHAR PRIMARY KEY,
            url VARCHAR NOT NULL,
            event_type VARCHAR NOT NULL,
            event_ts DOUBLE,
            status VARCHAR NOT NULL CHECK (status IN ('delivered', 'failed')),
            attempts INTEGER NOT NULL,
            http_status INTEGER,
            last_error VARCHAR,
            created_at DOUBLE NOT NULL,
            finished_at DOUBLE NOT NULL)""",
        # Per camera and local day: person-seconds per grid cell (float32, row-major) and a
        # person-free background (JPEG); never a person's pixels (pictag.reports.heatmap).
        """CREATE TABLE IF NOT EXISTS heatmaps (
            camera_id VARCHAR NOT NULL,
            day DATE NOT NULL,
            day_end DOUBLE NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            cell_px INTEGER NOT NULL,
            counts BLOB NOT NULL,
            person_seconds DOUBLE NOT NULL,
            background BLOB,
            background_samples INTEGER NOT NULL,
            hole_fraction DOUBLE,
            updated_at DOUBLE NOT NULL,
            PRIMARY KEY (camera_id, day))""",
    ]


def _v5_person_id(ctx: SchemaContext) -> list[str]:
    # Issue 15: a person's id is ``person_id`` in code, API, events and here (the footfall
    # tables of migration 3 already say so). DuckDB renames a primary-key column in place
    # (identity_prototypes' (identity_id, slot) key follows), so no table is copied.
    tables = ("sightings", "events", "identity_prototypes", "visits")
    return [f"ALTER TABLE {table} RENAME COLUMN identity_id TO person_id" for table in tables]


#: The scalar columns of a sighting's boxes (migration 6), in box order x1, y1, x2, y2.
BOX_CORNERS = ("x1", "y1", "x2", "y2")


def box_column_names(box: str) -> list[str]:
    """``best`` -> ``best_x1, best_y1, best_x2, best_y2``: the columns of one stored box."""
    return [f"{box}_{corner}" for corner in BOX_CORNERS]


def _v6_box_columns(ctx: SchemaContext) -> list[str]:
    # A sighting's boxes were FLOAT[] lists. DuckDB cannot update a list column in place: every
    # upsert of a track (one a second) deleted the row and appended a new one, so at 8 cameras
    # the sightings table held ~20 versions per live row and the file grew ~1 MB a minute.
    # Scalar columns are updated in place.
    # The table is copied: DuckDB 1.5 refuses to commit ALTER and UPDATE of one table together.
    best, last = box_column_names("best"), box_column_names("last")
    corners = [f"{col} FLOAT" for col in best + last]
    values = [f"{box}_box[{j + 1}]" for box in ("best", "last") for j in range(4)]
    return [
        f"""CREATE TABLE sightings_v6 (
            id VARCHAR PRIMARY KEY,
            camera_id VARCHAR NOT NULL,
            track_id BIGINT NOT NULL,
            person_id VARCHAR,
            started_at DOUBLE NOT NULL,
            last_seen_at DOUBLE NOT NULL,
            ended_at DOUBLE,
            frames INTEGER NOT NULL,
            mean_confidence DOUBLE,
            {", ".join(corners)})""",
        f"""INSERT INTO sightings_v6
            SELECT id, camera_id, track_id, person_id, started_at, last_seen_at, ended_at, frames,
                   mean_confidence, {", ".join(values)}
            FROM sightings""",
        "DROP TABLE sightings",
        "ALTER TABLE sightings_v6 RENAME TO sightings",
    ]


#: Every migration this code knows, in order. Append; never edit a released one.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _v1_initial),
    Migration(2, "login sessions", _v2_login_sessions),
    # Line crossings, zone visits, staff marks (issue 17): DDL in pictag.storage.footfall.
    Migration(3, "footfall", footfall.migration_statements),
    Migration(4, "webhook deliveries and heatmaps", _v4_integrations),
    Migration(5, "person_id columns", _v5_person_id),
    Migration(6, "sighting boxes as scalar columns", _v6_box_columns),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


def _ensure_migrations_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL,
            applied_at DOUBLE NOT NULL)"""
    )


def applied_versions(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Versions recorded in ``schema_migrations`` (ascending; empty for a new file)."""
    exists = con.execute(
        """SELECT count(*) FROM duckdb_tables()
           WHERE database_name = current_database() AND table_name = 'schema_migrations'"""
    ).fetchone()
    if not exists or not exists[0]:
        return []
    rows = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    return [int(r[0]) for r in rows]


def _check_order(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or not versions or versions[0] < 1:
        raise StorageError(
            f"migrations are not strictly increasing from 1: versions={versions} "
            "reason=bad_migration_list; fix pictag.storage.schema.MIGRATIONS"
        )


def _resolve_context(con: duckdb.DuckDBPyConnection, requested_dim: int, fresh: bool) -> SchemaContext:
    """Embedding width: the stored one for an existing file, else the requested one."""
    if not 1 <= requested_dim <= MAX_EMBEDDING_DIM:
        raise StorageError(f"embedding_dim={requested_dim} reason=out_of_range; use 1..{MAX_EMBEDDING_DIM}")
    if fresh:
        return SchemaContext(embedding_dim=requested_dim)
    row = con.execute("SELECT value FROM store_meta WHERE key = ?", ["embedding_dim"]).fetchone()
    stored = int(row[0]) if row else requested_dim
    if stored != requested_dim:
        raise StorageError(
            f"embedding_dim={requested_dim} stored={stored} reason=dimension_mismatch; the "
            "store keeps the width it was created with: use a new storage.path for a model "
            "with another embedding size (or erase the old identities first)"
        )
    return SchemaContext(embedding_dim=stored)


def apply_migrations(
    con: duckdb.DuckDBPyConnection,
    *,
    embedding_dim: int = DEFAULT_EMBEDDING_DIM,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> list[int]:
    """Bring the open database up to the newest known version.

    Args:
        con: connection whose default catalog is the store file.
        embedding_dim: prototype width for a new file; must match an existing one.
        migrations: ordered steps (tests pass their own list).

    Returns:
        The versions applied by this call (empty when already current).

    Raises:
        StorageError: the file was written by a newer PicTag, the embedding width
            differs from the stored one, or a migration failed (rolled back).
    """
    _check_order(migrations)
    _ensure_migrations_table(con)
    done = applied_versions(con)
    newest_known = migrations[-1].version
    if done and done[-1] > newest_known:
        raise StorageError(
            f"schema_version={done[-1]} supported={newest_known} reason=newer_schema; this file "
            "was written by a newer PicTag: upgrade PicTag, or point storage.path at another file"
        )
    ctx = _resolve_context(con, embedding_dim, fresh=not done)
    applied: list[int] = []
    for migration in migrations:
        if migration.version in done:
            continue
        _apply_one(con, migration, ctx)
        applied.append(migration.version)
    return applied


def _apply_one(con: duckdb.DuckDBPyConnection, migration: Migration, ctx: SchemaContext) -> None:
    con.begin()
    try:
        for statement in migration.statements(ctx):
            con.execute(statement)
        if migration.version == 1:
            con.execute(
                "INSERT INTO store_meta VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                ["embedding_dim", str(ctx.embedding_dim)],
            )
        con.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?)",
            [migration.version, migration.name, time.time()],
        )
        con.commit()
    except duckdb.Error as err:
        con.rollback()
        raise StorageError(
            f"migration={migration.version} name={migration.name!r} reason=failed ({err}); "
            "the file is left at the previous version: report this with the error above"
        ) from err


def embedding_dim(con: duckdb.DuckDBPyConnection) -> int:
    """Prototype width recorded in the store."""
    row = con.execute("SELECT value FROM store_meta WHERE key = ?", ["embedding_dim"]).fetchone()
    return int(row[0]) if row else DEFAULT_EMBEDDING_DIM
