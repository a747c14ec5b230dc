"""Tables of issue 18 that the store does not have yet: webhook deliveries.

Line crossings (issue 17) are schema migration 3, defined in `pictag.storage.footfall`.

`INTEGRATION_DDL` is meant to become the next migration in `pictag.storage.schema`
(``Migration(N, "webhook deliveries", lambda ctx: INTEGRATION_DDL)``);
until then `ensure_integration_tables` creates them (idempotent). Every function takes
the caller's connection and runs inside the caller's transaction, like
`pictag.storage.maintenance`.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from pictag.integrations.webhooks import DeliveryRecord
from pictag.storage.maintenance import count_rows

INTEGRATION_DDL: tuple[str, ...] = (
    # One row per finished webhook delivery (secret-free: the URL is redacted before it gets here).
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
)


def ensure_integration_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables if missing (until they are a schema migration)."""
    for statement in INTEGRATION_DDL:
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


def purge_integration_rows(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention for these tables (add to `maintenance.purge_older_than`)."""
    c = {"cutoff": cutoff}
    return {
        "webhook_deliveries": count_rows(con, "DELETE FROM webhook_deliveries WHERE finished_at < $cutoff", c),
    }
