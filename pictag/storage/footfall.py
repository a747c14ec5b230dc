"""Footfall tables (issue 17): line crossings, zone visits with dwell, manual staff marks.

The DDL here is schema migration 3 (`pictag.storage.schema`) and the only definition of these
tables. Rows are the footfall domain's own frozen records (`pictag.footfall.outputs`,
`pictag.footfall.staff.StaffMark`), so the figures computed from stored rows use the same
functions as the live engine. Every function takes the caller's connection and runs inside
the caller's transaction, like `pictag.storage.maintenance`.

Privacy: crossings and zone visits are counts first. Erasing a person keeps the rows (the
footfall of that hour must not change) but removes the link (``person_id`` set to NULL);
staff marks name a person and are deleted. Retention deletes rows older than the cut-off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from pictag.footfall.outputs import LineCrossing, ZoneEntered, ZoneLeft
from pictag.footfall.staff import StaffMark

FOOTFALL_DDL: tuple[str, ...] = (
    "CREATE SEQUENCE IF NOT EXISTS line_crossings_id_seq START 1",
    # One row per `line.crossed` event. `entrance` is copied from the line's setting at the time
    # of the crossing, so site footfall stays right after a line is edited or deleted.
    """CREATE TABLE IF NOT EXISTS line_crossings (
        id BIGINT NOT NULL DEFAULT nextval('line_crossings_id_seq'),
        ts DOUBLE NOT NULL,
        camera_id VARCHAR NOT NULL,
        line_id VARCHAR NOT NULL,
        direction VARCHAR NOT NULL CHECK (direction IN ('in', 'out')),
        track_id BIGINT NOT NULL,
        person_id VARCHAR,
        entrance BOOLEAN NOT NULL DEFAULT false)""",
    # One row per presence of a track in a zone: written at the entry, completed at the leave.
    """CREATE TABLE IF NOT EXISTS zone_visits (
        id VARCHAR PRIMARY KEY,
        camera_id VARCHAR NOT NULL,
        zone_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN ('area', 'queue', 'staff')),
        track_id BIGINT NOT NULL,
        person_id VARCHAR,
        entered_at DOUBLE NOT NULL,
        left_at DOUBLE,
        dwell_s DOUBLE,
        reason VARCHAR)""",
    # Manual staff decisions from the API; `day` NULL = every day. id = person_id ':' day-or-'*'.
    """CREATE TABLE IF NOT EXISTS staff_marks (
        id VARCHAR PRIMARY KEY,
        person_id VARCHAR NOT NULL,
        day DATE,
        staff BOOLEAN NOT NULL,
        created_at DOUBLE NOT NULL)""",
)


def migration_statements(_: object) -> list[str]:
    """Schema migration 3 (the context carries nothing these tables need)."""
    return list(FOOTFALL_DDL)


def count_rows(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]) -> int:
    """Run a DELETE/UPDATE and return the number of rows it touched (`pictag.storage.maintenance`
    imports this module, so it cannot be imported from there)."""
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


# ---- writes ------------------------------------------------------------------------------


def insert_line_crossings(con: duckdb.DuckDBPyConnection, crossings: Sequence[LineCrossing]) -> int:
    """Append crossings; return how many."""
    if crossings:
        con.executemany(
            """INSERT INTO line_crossings (ts, camera_id, line_id, direction, track_id, person_id, entrance)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [(c.ts, c.camera_id, c.line_id, c.direction, c.track_id, c.person_id, c.entrance) for c in crossings],
        )
    return len(crossings)


def zone_visit_id(camera_id: str, zone_id: str, track_id: int, entered_ts: float) -> str:
    """The key of one presence: camera, zone, track and entry time (ms)."""
    return f"{camera_id}:{zone_id}:{track_id}:{entered_ts:.3f}"


_UPSERT_VISIT = """
INSERT INTO zone_visits (id, camera_id, zone_id, kind, track_id, person_id, entered_at, left_at, dwell_s, reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
  person_id = COALESCE(excluded.person_id, zone_visits.person_id),
  left_at = COALESCE(excluded.left_at, zone_visits.left_at),
  dwell_s = COALESCE(excluded.dwell_s, zone_visits.dwell_s),
  reason = COALESCE(excluded.reason, zone_visits.reason)"""


def upsert_zone_visits(
    con: duckdb.DuckDBPyConnection, entries: Sequence[ZoneEntered], leaves: Sequence[ZoneLeft]
) -> int:
    """Write entries (open presences), then leaves (which complete them, or stand alone); return rows given."""
    rows: list[tuple[object, ...]] = [
        (zone_visit_id(e.camera_id, e.zone_id, e.track_id, e.ts), e.camera_id, e.zone_id, e.kind, e.track_id)
        + (e.person_id, e.ts, None, None, None)
        for e in entries
    ]
    rows += [
        (zone_visit_id(x.camera_id, x.zone_id, x.track_id, x.entered_ts), x.camera_id, x.zone_id, x.kind, x.track_id)
        + (x.person_id, x.entered_ts, x.ts, x.dwell_s, x.reason)
        for x in leaves
    ]
    for row in rows:  # one statement per row: a leave may complete an entry of the same batch
        con.execute(_UPSERT_VISIT, row)
    return len(rows)


def _mark_id(person_id: str, day: dt.date | None) -> str:
    return f"{person_id}:{day.isoformat() if day else '*'}"


def put_staff_mark(con: duckdb.DuckDBPyConnection, mark: StaffMark, now: float) -> None:
    """Store a manual mark or unmark (replacing the person's decision for that day)."""
    con.execute(
        """INSERT INTO staff_marks VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET staff = excluded.staff, created_at = excluded.created_at""",
        [_mark_id(mark.person_id, mark.day), mark.person_id, mark.day, mark.staff, now],
    )


def delete_staff_mark(con: duckdb.DuckDBPyConnection, person_id: str, day: dt.date | None) -> bool:
    """Remove a manual decision; True if there was one."""
    return count_rows(con, "DELETE FROM staff_marks WHERE id = $id", {"id": _mark_id(person_id, day)}) > 0


# ---- reads -------------------------------------------------------------------------------


def list_staff_marks(con: duckdb.DuckDBPyConnection) -> list[StaffMark]:
    """Every manual decision, by person then day (every-day marks first)."""
    rows = con.execute("SELECT person_id, staff, day FROM staff_marks ORDER BY person_id, day NULLS FIRST").fetchall()
    return [StaffMark(str(r[0]), bool(r[1]), r[2]) for r in rows]


def read_crossings(con: duckdb.DuckDBPyConnection, since: float, until: float) -> list[LineCrossing]:
    """Crossings with ``since <= ts < until``, oldest first."""
    rows = con.execute(
        """SELECT camera_id, line_id, direction, track_id, ts, entrance, person_id FROM line_crossings
           WHERE ts >= $since AND ts < $until ORDER BY ts, id""",
        {"since": since, "until": until},
    ).fetchall()
    return [LineCrossing(r[0], r[1], r[2], int(r[3]), float(r[4]), bool(r[5]), r[6]) for r in rows]


def read_zone_entries(
    con: duckdb.DuckDBPyConnection, since: float, until: float, kind: str | None = None
) -> list[ZoneEntered]:
    """Zone entries with ``since <= entered_at < until`` (optionally of one kind), oldest first."""
    rows = con.execute(
        """SELECT camera_id, zone_id, kind, track_id, entered_at, person_id FROM zone_visits
           WHERE entered_at >= $since AND entered_at < $until AND ($kind IS NULL OR kind = $kind)
           ORDER BY entered_at, id""",
        {"since": since, "until": until, "kind": kind},
    ).fetchall()
    return [ZoneEntered(r[0], r[1], r[2], int(r[3]), float(r[4]), r[5]) for r in rows]


def read_zone_leaves(con: duckdb.DuckDBPyConnection, since: float, until: float) -> list[ZoneLeft]:
    """Completed presences that ended in ``[since, until)``, oldest first."""
    rows = con.execute(
        """SELECT camera_id, zone_id, kind, track_id, left_at, entered_at, dwell_s, reason, person_id
           FROM zone_visits WHERE left_at IS NOT NULL AND left_at >= $since AND left_at < $until
           ORDER BY left_at, id""",
        {"since": since, "until": until},
    ).fetchall()
    return [
        ZoneLeft(r[0], r[1], r[2], int(r[3]), float(r[4]), float(r[5]), float(r[6]), r[7] or "walked_out", r[8])
        for r in rows
    ]


@dataclass(frozen=True)
class VisitSpan:
    """A visit reduced to what footfall figures need: who, and when."""

    person_id: str
    started_at: float
    ended_at: float


def visit_spans(con: duckdb.DuckDBPyConnection, since: float, until: float) -> list[VisitSpan]:
    """Visits overlapping ``[since, until)`` (open ones end at their last sighting)."""
    rows = con.execute(
        """SELECT person_id, started_at, COALESCE(ended_at, last_seen_at) FROM visits
           WHERE started_at < $until AND COALESCE(ended_at, last_seen_at) >= $since ORDER BY started_at""",
        {"since": since, "until": until},
    ).fetchall()
    return [VisitSpan(str(r[0]), float(r[1]), float(r[2])) for r in rows]


@dataclass(frozen=True)
class FootfallData:
    """Stored rows behind one window's footfall figures (`pictag.footfall.report`).

    Attributes:
        crossings, entries, leaves: rows of the window itself.
        staff_entries: staff-zone entries of the whole local days the window touches (a person
            who enters a staff zone at 17:00 is staff from that morning on).
        marks: every manual staff decision.
        visits: visits overlapping the window (for visitors without staff).
    """

    crossings: tuple[LineCrossing, ...]
    entries: tuple[ZoneEntered, ...]
    leaves: tuple[ZoneLeft, ...]
    staff_entries: tuple[ZoneEntered, ...]
    marks: tuple[StaffMark, ...]
    visits: tuple[VisitSpan, ...]


def read_footfall(
    con: duckdb.DuckDBPyConnection, since: float, until: float, days: tuple[float, float]
) -> FootfallData:
    """Everything a window's footfall figures need; ``days`` is the span of the local days it touches."""
    return FootfallData(
        crossings=tuple(read_crossings(con, since, until)),
        entries=tuple(read_zone_entries(con, since, until)),
        leaves=tuple(read_zone_leaves(con, since, until)),
        staff_entries=tuple(read_zone_entries(con, days[0], days[1], kind="staff")),
        marks=tuple(list_staff_marks(con)),
        visits=tuple(visit_spans(con, since, until)),
    )


# ---- privacy -----------------------------------------------------------------------------


def forget_person(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, int]:
    """Erasure: crossings and zone visits keep their count but lose the person; staff marks go."""
    p = {"id": person_id}
    return {
        "line_crossings": count_rows(con, "UPDATE line_crossings SET person_id = NULL WHERE person_id = $id", p),
        "zone_visits": count_rows(con, "UPDATE zone_visits SET person_id = NULL WHERE person_id = $id", p),
        "staff_marks": count_rows(con, "DELETE FROM staff_marks WHERE person_id = $id", p),
    }


def purge_older_than(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention: crossings and presences before ``cutoff``; day marks of days before it, and
    every-day marks older than it whose person has no identity left."""
    c = {"cutoff": cutoff}
    cutoff_day = dt.datetime.fromtimestamp(cutoff, tz=dt.UTC).date()
    return {
        "line_crossings": count_rows(con, "DELETE FROM line_crossings WHERE ts < $cutoff", c),
        "zone_visits": count_rows(con, "DELETE FROM zone_visits WHERE COALESCE(left_at, entered_at) < $cutoff", c),
        "staff_marks": count_rows(
            con,
            """DELETE FROM staff_marks WHERE (day IS NOT NULL AND day < $day)
               OR (day IS NULL AND created_at < $cutoff AND person_id NOT IN (SELECT id FROM identities))""",
            {**c, "day": cutoff_day},
        ),
    }
