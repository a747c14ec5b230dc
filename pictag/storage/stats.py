"""Shop statistics from visits and sightings (definitions in docs/storage.md).

- occupancy: open sightings per camera (``ended_at IS NULL``) seen within
  ``stale_s`` of ``now``; a sighting left open by a crash stops counting.
- window visits: visits overlapping ``[since, until)`` (and listing ``camera``).
- unique visitors: distinct identities of the window visits.
- returning visitors: those of them with a closed visit of the same identity
  that ended at or before the window visit started (any camera).
- dwell: average and median ``dwell_s`` of the closed window visits.
- visitors per hour: for every UTC hour intersecting the window, the distinct
  identities whose window visits overlap that hour.
"""

from __future__ import annotations

import math

import duckdb

from pictag.errors import StorageError
from pictag.storage.records import HourCount, StoreStats

MAX_HOURS = 24 * 400

_WINDOW = """
    w AS (
      SELECT id, person_id, started_at, COALESCE(ended_at, last_seen_at) AS end_at,
             closed, dwell_s
      FROM visits
      WHERE started_at < $until AND COALESCE(ended_at, last_seen_at) >= $since
        AND ($camera IS NULL OR list_contains(cameras, $camera)))"""


def compute_stats(
    con: duckdb.DuckDBPyConnection,
    *,
    since: float,
    until: float,
    camera: str | None,
    now: float,
    stale_s: float,
) -> StoreStats:
    """All figures for one window; see the module docstring for definitions."""
    if not (math.isfinite(since) and math.isfinite(until)) or until <= since:
        raise StorageError(f"since={since} until={until} reason=empty_window; until must be after since")
    first_hour, end_hour = math.floor(since / 3600.0), math.ceil(until / 3600.0)
    if end_hour - first_hour > MAX_HOURS:
        raise StorageError(f"hours={end_hour - first_hour} reason=window_too_long; ask for at most {MAX_HOURS} hours")
    params = {"since": since, "until": until, "camera": camera}
    summary = con.execute(
        "WITH"
        + _WINDOW
        + """
        SELECT count(DISTINCT person_id),
               (SELECT count(DISTINCT w2.person_id) FROM w w2
                WHERE EXISTS (SELECT 1 FROM visits p
                              WHERE p.person_id = w2.person_id AND p.closed
                                AND p.id <> w2.id AND p.ended_at <= w2.started_at)),
               count(*) FILTER (WHERE closed),
               avg(dwell_s) FILTER (WHERE closed),
               median(dwell_s) FILTER (WHERE closed)
        FROM w""",
        params,
    ).fetchone() or (0, 0, 0, None, None)
    hours = con.execute(
        "WITH"
        + _WINDOW
        + """,
        h AS (SELECT unnest(range($h0, $h1)) AS hour)
        SELECT h.hour, count(DISTINCT w.person_id)
        FROM h LEFT JOIN w ON w.started_at < (h.hour + 1) * 3600.0 AND w.end_at >= h.hour * 3600.0
        GROUP BY h.hour ORDER BY h.hour""",
        {**params, "h0": first_hour, "h1": end_hour},
    ).fetchall()
    occupancy = con.execute(
        """SELECT c.id, COALESCE(o.n, 0) FROM (
             SELECT id FROM cameras WHERE deleted_at IS NULL
             UNION SELECT DISTINCT camera_id FROM sightings WHERE ended_at IS NULL) c
           LEFT JOIN (SELECT camera_id, count(*) AS n FROM sightings
                      WHERE ended_at IS NULL AND last_seen_at >= $fresh
                      GROUP BY camera_id) o ON o.camera_id = c.id
           WHERE $camera IS NULL OR c.id = $camera
           ORDER BY c.id""",
        {"fresh": now - stale_s, "camera": camera},
    ).fetchall()
    return StoreStats(
        since=since,
        until=until,
        camera=camera,
        occupancy={str(cid): int(n) for cid, n in occupancy},
        unique_visitors=int(summary[0]),
        returning_visitors=int(summary[1]),
        closed_visits=int(summary[2]),
        avg_dwell_s=None if summary[3] is None else float(summary[3]),
        median_dwell_s=None if summary[4] is None else float(summary[4]),
        visitors_per_hour=tuple(HourCount(hour_start=float(h) * 3600.0, visitors=int(n)) for h, n in hours),
    )
