"""Webhook delivery rows (schema migration 4, `pictag.storage.schema`).

Line crossings are migration 3, defined with the other footfall tables in `pictag.storage.footfall`.
Every function takes the caller's connection and runs inside the caller's transaction, like
`pictag.storage.maintenance`.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from pictag.integrations.webhooks import DeliveryRecord
from pictag.storage.maintenance import count_rows


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


def purge_deliveries(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention: deliveries finished before ``cutoff``."""
    c = {"cutoff": cutoff}
    return {"webhook_deliveries": count_rows(con, "DELETE FROM webhook_deliveries WHERE finished_at < $cutoff", c)}
