"""Read queries the API needs: tracks, events, cameras, identities, visits, the gallery.

Every filter is a named parameter; ``$x IS NULL OR ...`` switches a filter off.
Time windows select rows that *overlap* ``[since, until)``.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import numpy as np

from pictag.errors import StorageError
from pictag.storage import schema
from pictag.storage.records import (
    Box,
    CameraRecord,
    EventRecord,
    Gallery,
    IdentityDetail,
    IdentityRecord,
    TrackRecord,
    VisitRecord,
)

MAX_LIMIT = 10_000


def check_page(limit: int, offset: int) -> None:
    """Reject pages the API should never ask for (it validates first; this is the backstop)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise StorageError(f"limit={limit} reason=out_of_range; use 1..{MAX_LIMIT}")
    if offset < 0:
        raise StorageError(f"offset={offset} reason=negative; use 0 or more")


def _box_list(box: str) -> str:
    """SQL for one stored box as a list ``[x1, y1, x2, y2]``, NULL when there is none."""
    first, *_ = corners = schema.box_column_names(box)
    return f"CASE WHEN {first} IS NULL THEN NULL ELSE [{', '.join(corners)}] END"


def _box(value: Any) -> Box | None:
    if value is None:
        return None
    x1, y1, x2, y2 = (float(v) for v in value)
    return (x1, y1, x2, y2)


_CAMERA_COLS = "id, name, url_redacted, enabled, analysis_fps, settings, created_at, updated_at, deleted_at"


def _camera(row: tuple[Any, ...]) -> CameraRecord:
    return CameraRecord(
        id=row[0],
        name=row[1],
        url_redacted=row[2],
        enabled=bool(row[3]),
        analysis_fps=float(row[4]),
        settings=json.loads(row[5]) if row[5] else {},
        created_at=float(row[6]),
        updated_at=float(row[7]),
        deleted_at=None if row[8] is None else float(row[8]),
    )


def list_cameras(con: duckdb.DuckDBPyConnection, include_deleted: bool = False) -> list[CameraRecord]:
    """Cameras by id; soft-deleted ones only when asked."""
    rows = con.execute(
        f"SELECT {_CAMERA_COLS} FROM cameras WHERE $all OR deleted_at IS NULL ORDER BY id",
        {"all": include_deleted},
    ).fetchall()
    return [_camera(r) for r in rows]


def get_camera(con: duckdb.DuckDBPyConnection, camera_id: str) -> CameraRecord | None:
    """One camera (deleted ones included), or None."""
    row = con.execute(f"SELECT {_CAMERA_COLS} FROM cameras WHERE id = ?", [camera_id]).fetchone()
    return None if row is None else _camera(row)


def list_tracks(
    con: duckdb.DuckDBPyConnection,
    *,
    camera: str | None,
    person_id: str | None,
    since: float | None,
    until: float | None,
    limit: int,
    offset: int,
) -> list[TrackRecord]:
    """Sightings overlapping the window, newest first."""
    check_page(limit, offset)
    rows = con.execute(
        f"""SELECT id, camera_id, track_id, person_id, started_at, last_seen_at, ended_at, frames,
                  {_box_list("best")}, {_box_list("last")}, mean_confidence
           FROM sightings
           WHERE ($camera IS NULL OR camera_id = $camera)
             AND ($person_id IS NULL OR person_id = $person_id)
             AND ($since IS NULL OR COALESCE(ended_at, last_seen_at) >= $since)
             AND ($until IS NULL OR started_at < $until)
           ORDER BY started_at DESC, id
           LIMIT $limit OFFSET $offset""",
        {
            "camera": camera,
            "person_id": person_id,
            "since": since,
            "until": until,
            "limit": limit,
            "offset": offset,
        },
    ).fetchall()
    return [
        TrackRecord(
            id=r[0],
            camera_id=r[1],
            track_id=int(r[2]),
            person_id=r[3],
            started_at=float(r[4]),
            last_seen_at=float(r[5]),
            ended_at=None if r[6] is None else float(r[6]),
            frames=int(r[7]),
            best_box=_box(r[8]),
            last_box=_box(r[9]),
            mean_confidence=None if r[10] is None else float(r[10]),
        )
        for r in rows
    ]


def list_events(
    con: duckdb.DuckDBPyConnection,
    *,
    event_type: str | None,
    camera: str | None,
    person_id: str | None,
    since: float | None,
    until: float | None,
    limit: int,
    offset: int,
) -> list[EventRecord]:
    """Events in ``[since, until)``, newest first."""
    check_page(limit, offset)
    rows = con.execute(
        """SELECT id, ts, type, camera_id, person_id, payload
           FROM events
           WHERE ($type IS NULL OR type = $type)
             AND ($camera IS NULL OR camera_id = $camera)
             AND ($person_id IS NULL OR person_id = $person_id)
             AND ($since IS NULL OR ts >= $since)
             AND ($until IS NULL OR ts < $until)
           ORDER BY ts DESC, id DESC
           LIMIT $limit OFFSET $offset""",
        {
            "type": event_type,
            "camera": camera,
            "person_id": person_id,
            "since": since,
            "until": until,
            "limit": limit,
            "offset": offset,
        },
    ).fetchall()
    return [
        EventRecord(
            id=int(r[0]),
            ts=float(r[1]),
            type=r[2],
            camera_id=r[3],
            person_id=r[4],
            payload=json.loads(r[5]),
        )
        for r in rows
    ]


_IDENTITY_SELECT = """SELECT i.id, i.created_at, i.last_seen_at, i.n_sightings,
                             (SELECT count(*) FROM identity_prototypes p WHERE p.person_id = i.id)
                      FROM identities i"""


def _identity(row: tuple[Any, ...]) -> IdentityRecord:
    return IdentityRecord(
        id=row[0],
        created_at=float(row[1]),
        last_seen_at=float(row[2]),
        n_sightings=int(row[3]),
        n_prototypes=int(row[4]),
    )


def list_identities(
    con: duckdb.DuckDBPyConnection,
    *,
    since: float | None,
    until: float | None,
    limit: int,
    offset: int,
) -> list[IdentityRecord]:
    """Identities active in the window (created before ``until``, seen since ``since``).

    Most recently seen first.
    """
    check_page(limit, offset)
    rows = con.execute(
        _IDENTITY_SELECT
        + """ WHERE ($since IS NULL OR i.last_seen_at >= $since)
                AND ($until IS NULL OR i.created_at < $until)
              ORDER BY i.last_seen_at DESC, i.id
              LIMIT $limit OFFSET $offset""",
        {"since": since, "until": until, "limit": limit, "offset": offset},
    ).fetchall()
    return [_identity(r) for r in rows]


def get_identity(con: duckdb.DuckDBPyConnection, person_id: str) -> IdentityDetail | None:
    """One identity with counts of what is stored about it; None when unknown."""
    row = con.execute(_IDENTITY_SELECT + " WHERE i.id = ?", [person_id]).fetchone()
    if row is None:
        return None
    extra = con.execute(
        """SELECT
             (SELECT list(DISTINCT camera_id ORDER BY camera_id) FROM sightings
              WHERE person_id = $id),
             (SELECT count(*) FROM sightings WHERE person_id = $id),
             (SELECT count(*) FROM visits WHERE person_id = $id),
             (SELECT count(*) FROM events WHERE person_id = $id),
             (SELECT min(started_at) FROM sightings WHERE person_id = $id)""",
        {"id": person_id},
    ).fetchone() or ((), 0, 0, 0, None)
    return IdentityDetail(
        identity=_identity(row),
        cameras=tuple(extra[0] or ()),
        n_tracks=int(extra[1]),
        n_visits=int(extra[2]),
        n_events=int(extra[3]),
        first_seen_at=None if extra[4] is None else float(extra[4]),
    )


def list_visits(
    con: duckdb.DuckDBPyConnection,
    *,
    since: float | None,
    until: float | None,
    camera: str | None,
    person_id: str | None,
    limit: int,
    offset: int,
) -> list[VisitRecord]:
    """Visits overlapping the window (open ones up to their last sighting), newest first."""
    check_page(limit, offset)
    rows = con.execute(
        """SELECT id, person_id, started_at, last_seen_at, ended_at, cameras, dwell_s, closed
           FROM visits
           WHERE ($camera IS NULL OR list_contains(cameras, $camera))
             AND ($person_id IS NULL OR person_id = $person_id)
             AND ($since IS NULL OR COALESCE(ended_at, last_seen_at) >= $since)
             AND ($until IS NULL OR started_at < $until)
           ORDER BY started_at DESC, id
           LIMIT $limit OFFSET $offset""",
        {
            "camera": camera,
            "person_id": person_id,
            "since": since,
            "until": until,
            "limit": limit,
            "offset": offset,
        },
    ).fetchall()
    return [
        VisitRecord(
            id=r[0],
            person_id=r[1],
            started_at=float(r[2]),
            last_seen_at=float(r[3]),
            ended_at=None if r[4] is None else float(r[4]),
            cameras=tuple(r[5]),
            dwell_s=float(r[6]),
            closed=bool(r[7]),
        )
        for r in rows
    ]


def load_gallery(con: duckdb.DuckDBPyConnection, dim: int) -> Gallery:
    """Every identity and its prototypes as arrays (see `Gallery` for shapes)."""
    meta = con.execute("SELECT id, last_seen_at, n_sightings FROM identities ORDER BY id").fetchnumpy()
    ids = tuple(str(i) for i in meta["id"])
    index = {identity: k for k, identity in enumerate(ids)}
    protos = con.execute(
        """SELECT p.person_id, p.slot, p.embedding
           FROM identity_prototypes p JOIN identities i ON i.id = p.person_id
           ORDER BY p.person_id, p.slot"""
    ).fetchnumpy()
    m = len(protos["slot"])
    embeddings = (
        np.stack([np.asarray(e, dtype=np.float32) for e in protos["embedding"]])
        if m
        else np.zeros((0, dim), dtype=np.float32)
    )
    return Gallery(
        ids=ids,
        last_seen_at=np.asarray(meta["last_seen_at"], dtype=np.float64),
        n_sightings=np.asarray(meta["n_sightings"], dtype=np.int64),
        owner=np.array([index[str(i)] for i in protos["person_id"]], dtype=np.int64),
        slots=np.asarray(protos["slot"], dtype=np.int64),
        embeddings=embeddings,
    )
