"""Report SQL over the store: per-hour visitor figures, visit intervals, line crossings.

Hour buckets come from the caller as two parallel lists of epoch seconds (local hours
computed in Python with the site's time zone, `pictag.reports.schedule.hour_buckets`),
so DuckDB needs no time-zone extension and DST days have 23 or 25 rows. Definitions
follow `pictag.storage.stats` (docs/storage.md): a visit belongs to every hour it
overlaps; returning = the identity had a closed visit that ended before this one
started; dwell = closed visits, counted in the hour they started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from pictag.errors import StorageError
from pictag.storage.crypto import load_crypto, sql_literal

_CATALOG = "pictag_report"


@dataclass(frozen=True)
class HourVisitors:
    """Visitor figures of one hour bucket."""

    start: float
    visitors: int
    returning: int
    visits_started: int
    dwell_mean_s: float | None
    dwell_median_s: float | None


_HOURLY_SQL = """
WITH h AS (SELECT unnest($starts::DOUBLE[]) AS h0, unnest($ends::DOUBLE[]) AS h1),
v AS (
  SELECT id, person_id, started_at, COALESCE(ended_at, last_seen_at) AS end_at, closed, dwell_s
  FROM visits WHERE started_at < $until AND COALESCE(ended_at, last_seen_at) >= $since),
r AS (
  SELECT v.id, EXISTS (SELECT 1 FROM visits p WHERE p.person_id = v.person_id AND p.closed
                       AND p.id <> v.id AND p.ended_at <= v.started_at) AS returning
  FROM v)
SELECT h.h0,
       count(DISTINCT v.person_id),
       count(DISTINCT v.person_id) FILTER (WHERE r.returning),
       count(v.id) FILTER (WHERE v.started_at >= h.h0 AND v.started_at < h.h1),
       avg(v.dwell_s) FILTER (WHERE v.closed AND v.started_at >= h.h0 AND v.started_at < h.h1),
       median(v.dwell_s) FILTER (WHERE v.closed AND v.started_at >= h.h0 AND v.started_at < h.h1)
FROM h
LEFT JOIN v ON v.started_at < h.h1 AND v.end_at >= h.h0
LEFT JOIN r ON r.id = v.id
GROUP BY h.h0 ORDER BY h.h0"""


def _bounds(buckets: Sequence[tuple[float, float]]) -> dict[str, object]:
    if not buckets:
        raise StorageError("buckets=0 reason=empty_window; ask for at least one hour")
    return {
        "starts": [b[0] for b in buckets],
        "ends": [b[1] for b in buckets],
        "since": buckets[0][0],
        "until": buckets[-1][1],
    }


def hourly_visitors(con: duckdb.DuckDBPyConnection, buckets: Sequence[tuple[float, float]]) -> list[HourVisitors]:
    """Visitors, returning visitors, visits started and dwell per bucket (every bucket, zeros included)."""
    rows = con.execute(_HOURLY_SQL, _bounds(buckets)).fetchall()
    return [
        HourVisitors(
            start=float(r[0]),
            visitors=int(r[1]),
            returning=int(r[2]),
            visits_started=int(r[3]),
            dwell_mean_s=None if r[4] is None else float(r[4]),
            dwell_median_s=None if r[5] is None else float(r[5]),
        )
        for r in rows
    ]


def visit_intervals(
    con: duckdb.DuckDBPyConnection, since: float, until: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``(starts, ends)`` of visits overlapping ``[since, until)`` (open ones end at their last sighting)."""
    got = con.execute(
        """SELECT started_at, COALESCE(ended_at, last_seen_at) FROM visits
           WHERE started_at < $until AND COALESCE(ended_at, last_seen_at) >= $since""",
        {"since": since, "until": until},
    ).fetchnumpy()
    values = list(got.values())
    return np.asarray(values[0], dtype=np.float64), np.asarray(values[1], dtype=np.float64)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the current catalog has table ``name`` (line_crossings arrives with issue 17)."""
    row = con.execute(
        """SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?""",
        [name],
    ).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class LineHour:
    """Crossings of one line in one bucket and direction."""

    start: float
    camera_id: str
    line_id: str
    direction: str
    entrance: bool
    count: int


def hourly_crossings(con: duckdb.DuckDBPyConnection, buckets: Sequence[tuple[float, float]]) -> list[LineHour]:
    """Line crossings per bucket, line and direction (empty when the table does not exist yet)."""
    if not has_table(con, "line_crossings"):
        return []
    rows = con.execute(
        """WITH h AS (SELECT unnest($starts::DOUBLE[]) AS h0, unnest($ends::DOUBLE[]) AS h1)
           SELECT h.h0, c.camera_id, c.line_id, c.direction, bool_or(c.entrance), count(*)
           FROM h JOIN line_crossings c ON c.ts >= h.h0 AND c.ts < h.h1
           GROUP BY ALL ORDER BY h.h0, c.camera_id, c.line_id, c.direction""",
        {k: v for k, v in _bounds(buckets).items() if k in ("starts", "ends")},
    ).fetchall()
    return [LineHour(float(r[0]), str(r[1]), str(r[2]), str(r[3]), bool(r[4]), int(r[5])) for r in rows]


def open_read_only(path: str | Path, encryption_key: str | None = None) -> duckdb.DuckDBPyConnection:
    """Attach the store file read-only (for `pictag report` while no runtime runs).

    DuckDB lets one process hold a file for writing and then nobody else may open it,
    not even read-only; and while a reader holds it, the runtime cannot start.

    Raises:
        StorageError: missing file, or locked by a running PicTag (the message says what to do).
    """
    target = Path(path).expanduser().resolve()
    if not target.is_file():
        raise StorageError(f"path={target} reason=no_store; check storage.path (or -c CONFIG)")
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "threads": 2})
    literal = sql_literal(str(target))
    try:
        if encryption_key is None:
            con.execute(f"ATTACH '{literal}' AS {_CATALOG} (READ_ONLY)")
        else:
            load_crypto(con)
            con.execute(f"ATTACH '{literal}' AS {_CATALOG} (READ_ONLY, ENCRYPTION_KEY $key)", {"key": encryption_key})
        con.execute(f"USE {_CATALOG}")
    except duckdb.Error as err:
        con.close()
        text = str(err).splitlines()[0]
        if encryption_key:
            text = text.replace(encryption_key, "***")
        if "lock" in text.lower() or "already attached" in text.lower():
            raise StorageError(
                f"path={target} reason=locked; a running PicTag holds the store (DuckDB allows no other "
                "reader while it writes): it writes the daily report itself (reports.daily) and serves "
                "GET /api/v1/export/hourly.csv; for this command, stop the runtime first"
            ) from None
        raise StorageError(f"path={target} reason=open_failed ({text})") from None
    return con
