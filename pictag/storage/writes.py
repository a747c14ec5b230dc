"""SQL that writes one flushed `Batch` (the caller holds the transaction).

Values reach DuckDB as registered numpy column views (``con.register``), never
inside SQL text. NULLs travel as ``''`` for strings and NaN for floats and are
turned back into NULL in SQL (ids are never empty, and NaN is rejected on input).
"""

from __future__ import annotations

import itertools

import duckdb
import numpy as np

from pictag.storage import schema
from pictag.storage.buffer import LIST_SEP, Batch, Columns, box_columns, floats, strings
from pictag.storage.records import IdentityRecord, TrackRecord, VisitRecord

_view_counter = itertools.count()


def _scan(con: duckdb.DuckDBPyConnection, columns: Columns, sql: str) -> None:
    """Run ``sql`` with ``{src}`` bound to a temporary view over ``columns``.

    numpy unicode columns arrive as ENUMs (and an ENUM cast to JSON becomes a
    JSON *string*), so every one is cast to VARCHAR first.
    """
    name = f"_pictag_batch_{next(_view_counter)}"
    projection = ", ".join(
        f"CAST({col} AS VARCHAR) AS {col}" if arr.dtype.kind == "U" else col for col, arr in columns.items()
    )
    con.register(name, columns)
    try:
        con.execute(sql.format(src=f"(SELECT {projection} FROM {name})"))
    finally:
        con.unregister(name)


def _nan_null(col: str) -> str:
    # DuckDB may already read NaN in a numpy float column as NULL; handle both.
    return f"CASE WHEN {col} IS NULL OR isnan({col}) THEN NULL ELSE {col} END"


def _box_values(prefix: str) -> list[str]:
    """The four corner values of the box columns ``<prefix>0..3``; all NULL when there is no box."""
    return [f"CASE WHEN {prefix}0 IS NULL OR isnan({prefix}0) THEN NULL ELSE {prefix}{j} END" for j in range(4)]


def write_events(con: duckdb.DuckDBPyConnection, rows: list[tuple[float, str, str | None, str | None, str]]) -> None:
    """Append events (ids from the sequence)."""
    if not rows:
        return
    ts, etype, camera, person, payload = zip(*rows, strict=True)
    columns: Columns = {
        "ts": np.asarray(ts, dtype=np.float64),
        "type": strings(etype),
        "camera_id": strings(camera),
        "person_id": strings(person),
        "payload": strings(payload),
    }
    _scan(
        con,
        columns,
        """INSERT INTO events (ts, type, camera_id, person_id, payload)
           SELECT ts, type, NULLIF(camera_id, ''), NULLIF(person_id, ''), payload::JSON
           FROM {src}""",
    )


def write_sightings(con: duckdb.DuckDBPyConnection, rows: list[TrackRecord]) -> None:
    """Upsert sightings; known values are never replaced by unknown ones."""
    if not rows:
        return
    columns: Columns = {
        "id": strings(r.id for r in rows),
        "camera_id": strings(r.camera_id for r in rows),
        "track_id": np.array([r.track_id for r in rows], dtype=np.int64),
        "person_id": strings(r.person_id for r in rows),
        "started_at": floats(r.started_at for r in rows),
        "last_seen_at": floats(r.last_seen_at for r in rows),
        "ended_at": floats(r.ended_at for r in rows),
        "frames": np.array([r.frames for r in rows], dtype=np.int64),
        "mean_confidence": floats(r.mean_confidence for r in rows),
        **box_columns("bb", [r.best_box for r in rows]),
        **box_columns("lb", [r.last_box for r in rows]),
    }
    best, last = schema.box_column_names("best"), schema.box_column_names("last")
    box_cols = ", ".join(best + last)
    box_values = ", ".join(_box_values("bb") + _box_values("lb"))
    # A box is all four corners or none: COALESCE per corner keeps the stored one when none came.
    keep_known = ",\n             ".join(f"{col} = COALESCE(excluded.{col}, sightings.{col})" for col in best + last)
    _scan(
        con,
        columns,
        f"""INSERT INTO sightings (id, camera_id, track_id, person_id, started_at, last_seen_at,
                                   ended_at, frames, mean_confidence, {box_cols})
           SELECT id, camera_id, track_id, NULLIF(person_id, ''), started_at, last_seen_at,
                  {_nan_null("ended_at")}, GREATEST(frames, 0), {_nan_null("mean_confidence")},
                  {box_values}
           FROM {{src}}
           ON CONFLICT (id) DO UPDATE SET
             person_id = COALESCE(excluded.person_id, sightings.person_id),
             started_at = LEAST(excluded.started_at, sightings.started_at),
             last_seen_at = GREATEST(excluded.last_seen_at, sightings.last_seen_at),
             ended_at = COALESCE(excluded.ended_at, sightings.ended_at),
             frames = GREATEST(excluded.frames, sightings.frames),
             mean_confidence = COALESCE(excluded.mean_confidence, sightings.mean_confidence),
             {keep_known}""",
    )


def write_identities(con: duckdb.DuckDBPyConnection, rows: list[IdentityRecord]) -> None:
    """Upsert identity rows (earliest creation, latest sighting, largest count win)."""
    if not rows:
        return
    columns: Columns = {
        "id": strings(r.id for r in rows),
        "created_at": floats(r.created_at for r in rows),
        "last_seen_at": floats(r.last_seen_at for r in rows),
        "n_sightings": np.array([r.n_sightings for r in rows], dtype=np.int64),
    }
    _scan(
        con,
        columns,
        """INSERT INTO identities (id, created_at, last_seen_at, n_sightings)
           SELECT id, created_at, last_seen_at, n_sightings FROM {src}
           ON CONFLICT (id) DO UPDATE SET
             created_at = LEAST(excluded.created_at, identities.created_at),
             last_seen_at = GREATEST(excluded.last_seen_at, identities.last_seen_at),
             n_sightings = GREATEST(excluded.n_sightings, identities.n_sightings)""",
    )


def write_prototypes(
    con: duckdb.DuckDBPyConnection,
    prototypes: dict[str, tuple[np.ndarray, float]],
    dim: int,
) -> None:
    """Replace the prototype set of each identity in ``prototypes`` (slots 0..k-1).

    Embeddings travel as one long float32 column (row, position, value) and are
    re-assembled into FLOAT[dim] by ``list(v ORDER BY j)``: numpy 2-D columns
    cannot be registered directly.
    """
    if not prototypes:
        return
    ids = list(prototypes)
    counts = np.array([prototypes[i][0].shape[0] for i in ids], dtype=np.int64)
    owners = np.repeat(np.arange(len(ids)), counts)
    slots = np.concatenate([np.arange(c) for c in counts]) if counts.sum() else np.zeros(0, np.int64)
    updated = np.repeat(np.array([prototypes[i][1] for i in ids], dtype=np.float64), counts)
    flat = np.concatenate([prototypes[i][0] for i in ids]).astype(np.float32).reshape(-1, dim)
    _scan(
        con,
        {"person_id": strings(ids), "n": counts},
        """DELETE FROM identity_prototypes p USING {src} b
           WHERE p.person_id = b.person_id AND p.slot >= b.n""",
    )
    if flat.shape[0] == 0:
        return
    rows = flat.shape[0]
    meta: Columns = {
        "r": np.arange(rows, dtype=np.int64),
        "person_id": strings(ids[o] for o in owners),
        "slot": slots.astype(np.int64),
        "updated_at": updated,
    }
    values: Columns = {
        "r": np.repeat(np.arange(rows, dtype=np.int64), dim),
        "j": np.tile(np.arange(dim, dtype=np.int32), rows),
        "v": flat.reshape(-1),
    }
    meta_name = f"_pictag_meta_{next(_view_counter)}"
    con.register(meta_name, meta)
    try:
        _scan(
            con,
            values,
            f"""INSERT INTO identity_prototypes (person_id, slot, embedding, updated_at)
               SELECT m.person_id, m.slot, e.emb, m.updated_at
               FROM (SELECT r, CAST(person_id AS VARCHAR) AS person_id, slot, updated_at
                     FROM {meta_name}) m
               JOIN (SELECT r, list(v ORDER BY j)::FLOAT[{int(dim)}] AS emb
                     FROM {{src}} GROUP BY r) e
                 USING (r)
               ON CONFLICT (person_id, slot) DO UPDATE SET
                 embedding = excluded.embedding, updated_at = excluded.updated_at""",
        )
    finally:
        con.unregister(meta_name)


def write_visits(con: duckdb.DuckDBPyConnection, rows: list[VisitRecord]) -> None:
    """Upsert visits; camera sets are united, a closed visit stays closed."""
    if not rows:
        return
    columns: Columns = {
        "id": strings(r.id for r in rows),
        "person_id": strings(r.person_id for r in rows),
        "started_at": floats(r.started_at for r in rows),
        "last_seen_at": floats(r.last_seen_at for r in rows),
        "ended_at": floats(r.ended_at for r in rows),
        "cameras": strings(LIST_SEP.join(r.cameras) for r in rows),
        "dwell_s": floats(r.dwell_s for r in rows),
        "closed": np.array([r.closed for r in rows], dtype=np.bool_),
    }
    _scan(
        con,
        columns,
        f"""INSERT INTO visits (id, person_id, started_at, last_seen_at, ended_at, cameras,
                                dwell_s, closed)
           SELECT id, person_id, started_at, last_seen_at, {_nan_null("ended_at")},
                  CASE WHEN cameras = '' THEN []::VARCHAR[]
                       ELSE string_split(cameras, chr(31)) END,
                  dwell_s, closed
           FROM {{src}}
           ON CONFLICT (id) DO UPDATE SET
             started_at = LEAST(excluded.started_at, visits.started_at),
             last_seen_at = GREATEST(excluded.last_seen_at, visits.last_seen_at),
             ended_at = COALESCE(excluded.ended_at, visits.ended_at),
             dwell_s = GREATEST(excluded.dwell_s, visits.dwell_s),
             closed = excluded.closed OR visits.closed""",
    )
    # The camera list apart, and only where a camera is new: DuckDB rewrites a whole row (delete
    # and append) when a list column is updated, and a visit is upserted every few seconds.
    _scan(
        con,
        {"id": columns["id"], "cameras": columns["cameras"]},
        """UPDATE visits SET cameras = list_sort(list_distinct(list_concat(visits.cameras, n.new_cameras)))
           FROM (SELECT id, string_split(cameras, chr(31)) AS new_cameras FROM {src} WHERE cameras <> '') n
           WHERE visits.id = n.id AND NOT list_has_all(visits.cameras, n.new_cameras)""",
    )


def write_batch(con: duckdb.DuckDBPyConnection, batch: Batch, dim: int) -> None:
    """Write every part of a batch (inside the caller's transaction)."""
    write_events(con, batch.events)
    write_identities(con, batch.identities)
    write_prototypes(con, batch.prototypes, dim)
    write_sightings(con, batch.sightings)
    write_visits(con, batch.visits)
