"""Retention purge, erasure, aggregate export: the privacy-facing maintenance SQL.

Each function runs inside the caller's transaction and returns rows affected
per table, so the API and the purge job can report exactly what went away.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb

from pictag.errors import StorageError
from pictag.storage import footfall
from pictag.storage.buffer import json_needle


def count_rows(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]) -> int:
    """Run a DELETE/UPDATE and return the number of rows it touched."""
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def erase_identity(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, int]:
    """Delete every row naming an identity: prototypes, identity, sightings, visits, events;
    footfall rows keep their count and lose the link (`pictag.storage.footfall.forget_person`).

    Events are matched on their ``person_id`` column and on any JSON string
    value in the payload equal to the id (e.g. an ``identity.matched`` event
    listing it as a candidate): the needle is the JSON-encoded id with its
    quotes, so ``p_1`` never matches ``p_10``.
    """
    p = {"id": person_id}
    return {
        "identity_prototypes": count_rows(con, "DELETE FROM identity_prototypes WHERE person_id = $id", p),
        "identities": count_rows(con, "DELETE FROM identities WHERE id = $id", p),
        "sightings": count_rows(con, "DELETE FROM sightings WHERE person_id = $id", p),
        "visits": count_rows(con, "DELETE FROM visits WHERE person_id = $id", p),
        "events": count_rows(
            con,
            """DELETE FROM events
               WHERE person_id = $id OR contains(CAST(payload AS VARCHAR), $needle)""",
            {**p, "needle": json_needle(person_id)},
        ),
        **footfall.forget_person(con, person_id),
    }


def purge_older_than(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention: delete what ended before ``cutoff`` (epoch seconds).

    - events with ``ts < cutoff``;
    - sightings and visits whose end (or, if still open, last sighting) is before it;
    - identities last seen before it, with their prototypes (embeddings), plus any
      prototype whose identity row is gone. An identity still being seen keeps its
      prototypes even if they were last refreshed long ago: they are what matches it.
    """
    c = {"cutoff": cutoff}
    return {
        "events": count_rows(con, "DELETE FROM events WHERE ts < $cutoff", c),
        "sightings": count_rows(con, "DELETE FROM sightings WHERE COALESCE(ended_at, last_seen_at) < $cutoff", c),
        "visits": count_rows(con, "DELETE FROM visits WHERE COALESCE(ended_at, last_seen_at) < $cutoff", c),
        "identity_prototypes": count_rows(
            con,
            """DELETE FROM identity_prototypes WHERE person_id NOT IN (
                 SELECT id FROM identities WHERE last_seen_at >= $cutoff)""",
            c,
        ),
        "identities": count_rows(con, "DELETE FROM identities WHERE last_seen_at < $cutoff", c),
        **footfall.purge_older_than(con, cutoff),
    }


def close_open_sightings(con: duckdb.DuckDBPyConnection, before: float | None) -> int:
    """End sightings left open (by a crash or restart) at their last sighting."""
    return count_rows(
        con,
        """UPDATE sightings SET ended_at = last_seen_at
           WHERE ended_at IS NULL AND ($before IS NULL OR last_seen_at < $before)""",
        {"before": before},
    )


_AGGREGATE_SQL = """
    SELECT make_timestamp(CAST(floor(started_at / 3600) * 3600 * 1000000 AS BIGINT))
             AS hour_start_utc,
           camera_id,
           count(*) AS tracks,
           count(DISTINCT person_id) AS visitors,
           round(sum(COALESCE(ended_at, last_seen_at) - started_at), 1) AS dwell_total_s,
           round(avg(COALESCE(ended_at, last_seen_at) - started_at), 1) AS dwell_mean_s,
           round(median(COALESCE(ended_at, last_seen_at) - started_at), 1) AS dwell_median_s
    FROM sightings
    WHERE ($since IS NULL OR started_at >= $since) AND ($until IS NULL OR started_at < $until)
    GROUP BY ALL
    ORDER BY hour_start_utc, camera_id"""


def export_aggregates(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    fmt: str,
    *,
    since: float | None,
    until: float | None,
) -> int:
    """Write counts and dwell per UTC hour and camera (no ids, no embeddings); return rows.

    Columns: hour_start_utc, camera_id, tracks (sightings started in the hour),
    visitors (distinct identities among them, a count), dwell_total_s,
    dwell_mean_s, dwell_median_s (sighting durations).
    """
    if fmt not in ("csv", "parquet"):
        raise StorageError(f"format={fmt!r} reason=unsupported; use 'csv' or 'parquet'")
    target = Path(path)
    if not target.parent.is_dir():
        raise StorageError(f"path={target} reason=no_such_folder; create the folder first")
    params = {"since": since, "until": until}
    rows = con.execute(f"SELECT count(*) FROM ({_AGGREGATE_SQL})", params).fetchone()
    options = "(FORMAT csv, HEADER true)" if fmt == "csv" else "(FORMAT parquet)"
    con.execute(f"COPY ({_AGGREGATE_SQL}) TO $path {options}", {**params, "path": str(target)})
    return int(rows[0]) if rows else 0
