"""Login sessions of the dashboard: the ``login_sessions`` table (SQL lives here, nowhere else).

A row holds only what the server needs to check a cookie: the SHA-256 of the session id
(the cookie holds the id itself, so a copied database cannot be replayed as a cookie), a
MAC binding the session to the access token it was opened with (see `pictag.sessions`),
and the expiry. Rows are written at once (never buffered): a login or a logout must
survive a restart of the API replica or of the whole runtime.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pictag.errors import StorageError

#: Sessions kept at most; past it the oldest are dropped at the next login (a bound, not a policy).
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class SessionRecord:
    """One login as stored: hashes and times only, never the session id or the token."""

    id_hash: str
    token_mac: str
    created_at: float
    expires_at: float


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> int:
    """Execute one statement; DuckDB answers DELETE/INSERT with the number of rows touched."""
    try:
        row = con.execute(sql, params).fetchone()
    except duckdb.Error as err:
        raise StorageError(f"table=login_sessions reason=write_failed ({str(err).splitlines()[0]})") from err
    return int(row[0]) if row else 0


def add(con: duckdb.DuckDBPyConnection, record: SessionRecord, now: float) -> None:
    """Store a new session; drop expired rows (and the oldest beyond `MAX_SESSIONS`) on the way."""
    _run(con, "DELETE FROM login_sessions WHERE expires_at <= $now", {"now": now})
    _run(
        con,
        """DELETE FROM login_sessions WHERE id_hash IN (
               SELECT id_hash FROM login_sessions ORDER BY created_at DESC OFFSET $keep)""",
        {"keep": MAX_SESSIONS - 1},
    )
    _run(
        con,
        "INSERT INTO login_sessions VALUES ($id_hash, $token_mac, $created_at, $expires_at)",
        {
            "id_hash": record.id_hash,
            "token_mac": record.token_mac,
            "created_at": record.created_at,
            "expires_at": record.expires_at,
        },
    )


def get(con: duckdb.DuckDBPyConnection, id_hash: str, now: float) -> SessionRecord | None:
    """The unexpired session with this id hash, if any."""
    row = con.execute(
        """SELECT id_hash, token_mac, created_at, expires_at FROM login_sessions
           WHERE id_hash = $id_hash AND expires_at > $now""",
        {"id_hash": id_hash, "now": now},
    ).fetchone()
    return SessionRecord(str(row[0]), str(row[1]), float(row[2]), float(row[3])) if row else None


def delete(con: duckdb.DuckDBPyConnection, id_hash: str) -> bool:
    """Revoke one session; True if it existed."""
    return _run(con, "DELETE FROM login_sessions WHERE id_hash = $id_hash", {"id_hash": id_hash}) > 0


def delete_all(con: duckdb.DuckDBPyConnection) -> int:
    """Revoke every session (sign everybody out); return how many there were."""
    return _run(con, "DELETE FROM login_sessions", {})
