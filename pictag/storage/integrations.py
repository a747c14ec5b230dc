"""Webhook delivery rows (schema migration 4) and the line-crossing rows the reports read.

``webhook_deliveries`` is created by migration 4 (`pictag.storage.schema`). ``line_crossings``
belongs to issue 17 (migration 3); `LINE_CROSSINGS_DDL` is the shape `pictag.storage.reports`
reads, and `ensure_line_crossings` creates it for stores without migration 3 (tests, an older
file). Every function takes the caller's connection and runs inside the caller's transaction,
like `pictag.storage.maintenance`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from pictag.integrations.webhooks import DeliveryRecord
from pictag.storage.maintenance import count_rows

LINE_CROSSINGS_DDL: tuple[str, ...] = (
    "CREATE SEQUENCE IF NOT EXISTS line_crossings_id_seq START 1",
    # One row per `line.crossed` event (issue 17). `entrance` is copied from the line's setting at the
    # time of the crossing, so site footfall stays right after a line is edited or deleted.
    """CREATE TABLE IF NOT EXISTS line_crossings (
        id BIGINT NOT NULL DEFAULT nextval('line_crossings_id_seq'),
        ts DOUBLE NOT NULL,
        camera_id VARCHAR NOT NULL,
        line_id VARCHAR NOT NULL,
        direction VARCHAR NOT NULL CHECK (direction IN ('in', 'out')),
        track_id BIGINT NOT NULL,
        person_id VARCHAR,
        entrance BOOLEAN NOT NULL DEFAULT false)""",
)


def ensure_line_crossings(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``line_crossings`` if missing (a store without issue 17's migration)."""
    for statement in LINE_CROSSINGS_DDL:
        con.execute(statement)


def insert_deliveries(con: duckdb.DuckDBPyConnection, records: Iterable[DeliveryRecord]) -> int:
    """Append delivery records (a repeated id replaces the row); return how many were given."""
    rows = [
        (
            r.delivery_id,
            r.url,
            r.event_type,
            r.event_ts,
            r.status,
            r.attempts,
            r.http_status,
            r.last_error,
            r.created_at,
            r.finished_at,
        )
        for r in records
    ]
    if rows:
        con.executemany("INSERT OR REPLACE INTO webhook_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def recent_deliveries(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[DeliveryRecord]:
    """The newest deliveries first (for an API / the dashboard)."""
    rows = con.execute(
        """SELECT id, url, event_type, event_ts, status, attempts, http_status, last_error, created_at, finished_at
           FROM webhook_deliveries ORDER BY finished_at DESC, id LIMIT ?""",
        [max(1, min(int(limit), 10_000))],
    ).fetchall()
    return [
        DeliveryRecord(
            delivery_id=r[0],
            url=r[1],
            event_type=r[2],
            event_ts=r[3],
            status=r[4],
            attempts=int(r[5]),
            http_status=r[6],
            last_error=r[7],
            created_at=float(r[8]),
            finished_at=float(r[9]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class LineCrossing:
    """A stored ``line.crossed`` event (issue 17 fields)."""

    ts: float
    camera_id: str
    line_id: str
    direction: Literal["in", "out"]
    track_id: int
    person_id: str | None = None
    entrance: bool = False


def insert_line_crossings(con: duckdb.DuckDBPyConnection, crossings: Sequence[LineCrossing]) -> int:
    """Append crossings; return how many."""
    if crossings:
        con.executemany(
            """INSERT INTO line_crossings (ts, camera_id, line_id, direction, track_id, person_id, entrance)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [(c.ts, c.camera_id, c.line_id, c.direction, c.track_id, c.person_id, c.entrance) for c in crossings],
        )
    return len(crossings)


def purge_deliveries(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention: deliveries finished before ``cutoff``."""
    c = {"cutoff": cutoff}
    return {"webhook_deliveries": count_rows(con, "DELETE FROM webhook_deliveries WHERE finished_at < $cutoff", c)}
