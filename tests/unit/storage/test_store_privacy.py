"""Erasure, retention, camera secrets kept out of the database, aggregate-only export."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pictag import events as ev
from pictag.errors import StorageError
from pictag.storage import CameraSecrets, Store, secrets_path_for
from tests.rows import identity, sighting, visit

B = 1_795_500_000.0
DAY = 86400.0
PASSWORD = "Zq7-hunter2-PASSWORD"
TOKEN = "tok-9f8e7d6c5b4a"
URL = f"rtsp://admin:{PASSWORD}@192.0.2.10:554/stream1?token={TOKEN}"
TABLES = (
    "cameras",
    "sightings",
    "events",
    "identities",
    "identity_prototypes",
    "visits",
    "store_meta",
)


def _table_text(db_path: Path) -> dict[str, str]:
    """Every row of every table as text (read after the store is closed)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return {t: repr(con.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    finally:
        con.close()


def _person(store: Store, pid: str, t: float, other: str) -> None:
    """One identity with rows in every table; one event names it only inside the payload."""
    store.upsert_identities([identity(pid, t, last_seen_at=t + 60, n_sightings=2)])
    store.put_prototypes(pid, np.full((3, 256), 0.5, dtype=np.float32), updated_at=t + 60)
    store.upsert_sightings(
        [sighting("door", k, t + k, last_seen_at=t + 30, ended_at=t + 30, person_id=pid) for k in range(2)]
    )
    store.upsert_visits([visit(f"visit-{pid}", pid, t, ended_at=t + 60, cameras=("door",))])
    store.add_events(
        [
            ev.make_event(ev.TRACK_STARTED, ts=t, camera_id="door", track_id=0, person_id=pid),
            ev.make_event(ev.IDENTITY_MATCHED, ts=t + 1, camera_id="door", identity_id=other, similar_to=[pid]),
        ]
    )


def _counts(store: Store) -> dict[str, int]:
    return {
        "tracks": len(store.list_tracks(limit=10_000)),
        "events": len(store.list_events(limit=10_000)),
        "identities": len(store.list_identities(limit=10_000)),
        "visits": len(store.list_visits(limit=10_000)),
        "prototypes": len(store.load_gallery().slots),
    }


def test_erasure_removes_every_row_of_one_identity_and_nothing_else(db_path: Path) -> None:
    gone, kept = "id_9c1f2e7a5b3d", "id_4a8b6c2d0e1f"
    with Store.open(db_path) as store:
        _person(store, gone, B, other=kept)
        _person(store, kept, B + 1000, other="id_someone_else")
        before = _counts(store)
        # rows still pending in the buffer are erased too
        store.add_events([ev.make_event(ev.TRACK_UPDATED, ts=B + 5, camera_id="door", person_id=gone)])
        counts = store.delete_identity(gone)
        # events: its track.started, and kept's identity.matched that names it in the payload
        assert counts == {
            "identity_prototypes": 3,
            "identities": 1,
            "sightings": 2,
            "visits": 1,
            "events": 2,
            **dict.fromkeys(("line_crossings", "zone_visits", "staff_marks"), 0),  # test_store_footfall.py
        }
        after = _counts(store)
        assert after == {
            "tracks": before["tracks"] - 2,
            "events": before["events"] - 2,
            "identities": before["identities"] - 1,
            "visits": before["visits"] - 1,
            "prototypes": before["prototypes"] - 3,
        }
        assert store.get_identity(gone) is None and store.get_identity(kept) is not None
        assert store.delete_identity(gone) == dict.fromkeys(counts, 0)
    text = _table_text(db_path)
    assert all(gone not in body for body in text.values())
    assert kept in text["identities"] and kept in text["events"]


def test_erasure_matches_whole_ids_only(store: Store) -> None:
    store.add_events(
        [
            ev.make_event(ev.IDENTITY_MATCHED, ts=B, identity_id="p_10", candidates=["p_100"]),
            ev.make_event(ev.IDENTITY_MATCHED, ts=B + 1, identity_id="p_2", candidates=["p_1"]),
        ]
    )
    store.flush()
    assert store.delete_identity("p_1")["events"] == 1
    assert [e.person_id for e in store.list_events()] == ["p_10"]


def test_compact_leaves_no_bytes_of_erased_rows(db_path: Path) -> None:
    gone = "id_b7e2c90d14aa"
    with Store.open(db_path) as store:
        for k in range(50):
            _person(store, f"id_{k:012d}", B + k, other="id_x")
        _person(store, gone, B, other="id_x")
    with Store.open(db_path) as store:
        store.delete_identity(gone)
        before, after = store.compact()
        assert after <= before
        assert len(store.list_identities(limit=1000)) == 50
        store.add_events([ev.make_event(ev.TRACK_ENDED, ts=B + 9999, camera_id="door")])
        assert store.list_events(limit=1)[0].id == 51 * 2 + 1  # the id sequence survived the copy
    assert gone.encode() not in db_path.read_bytes()
    assert b"id_000000000049" in db_path.read_bytes()


def test_retention_purge_removes_old_rows_only(store: Store) -> None:
    cutoff = B
    _person(store, "id_old", B - 40 * DAY, other="id_x")
    _person(store, "id_new", B + 100, other="id_y")
    # an identity created long ago but seen recently keeps its prototypes
    store.upsert_identities([identity("id_regular", B - 40 * DAY, last_seen_at=B + 50)])
    store.put_prototypes("id_regular", np.ones((1, 256), dtype=np.float32), updated_at=B - 39 * DAY)
    # open rows: a stale open sighting/visit (crash leftovers) go, a live one stays
    store.upsert_sightings(
        [
            sighting("till", 9, B - 5 * DAY, last_seen_at=B - 5 * DAY + 9),
            sighting("till", 10, B - 10, last_seen_at=B + 10),
        ]
    )
    store.upsert_visits([visit("v-open-old", "id_z", B - 3 * DAY, last_seen_at=B - 3 * DAY)])
    counts = store.purge_older_than(cutoff)
    assert counts == {
        "events": 2,
        "sightings": 3,
        "visits": 2,
        "identity_prototypes": 3,
        "identities": 1,
        **dict.fromkeys(("line_crossings", "zone_visits", "staff_marks"), 0),  # test_store_footfall.py
        "webhook_deliveries": 0,
        "heatmaps": 0,
    }
    assert {i.id for i in store.list_identities()} == {"id_new", "id_regular"}
    assert {t.track_id for t in store.list_tracks(limit=100)} == {0, 1, 10}
    assert all(t.last_seen_at >= cutoff for t in store.list_tracks(limit=100))
    assert [v.person_id for v in store.list_visits()] == ["id_new"]
    assert all(e.ts >= cutoff for e in store.list_events(limit=100)) and len(store.list_events(limit=100)) == 2
    gallery = store.load_gallery()
    assert sorted(gallery.ids[o] for o in set(gallery.owner.tolist())) == ["id_new", "id_regular"]
    assert store.purge_older_than(cutoff) == dict.fromkeys(counts, 0)


def test_camera_secrets_never_reach_the_database(db_path: Path) -> None:
    with Store.open(db_path) as store:
        record = store.upsert_camera(
            "door",
            url=URL,
            name=f"Door {PASSWORD}",
            settings={"note": f"was {URL}", "nested": [{"pw": PASSWORD}]},
        )
        assert PASSWORD not in repr(record) and TOKEN not in repr(record)
        assert record.url_redacted == "rtsp://***@192.0.2.10:554/stream1?token=***"
        store.upsert_camera("till", url="rtsp://192.0.2.11/plain")
        # an event that leaked the URL is scrubbed before it is stored
        store.add_events(
            [
                ev.make_event(
                    ev.CAMERA_STATUS,
                    ts=B,
                    camera_id="door",
                    status="error",
                    detail=f"open {URL} failed",
                )
            ]
        )
        store.flush()
        wal = db_path.with_name(db_path.name + ".wal")
        if wal.exists():
            assert PASSWORD.encode() not in wal.read_bytes()
        [stored] = [c for c in store.load_cameras() if c.record.id == "door"]
        assert stored.url == URL and not stored.missing_secret
    raw = db_path.read_bytes()
    assert PASSWORD.encode() not in raw and TOKEN.encode() not in raw
    text = _table_text(db_path)
    assert all(PASSWORD not in body and TOKEN not in body for body in text.values())
    assert "***" in text["events"]
    secrets_file = secrets_path_for(db_path)
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert json.loads(secrets_file.read_text())["urls"] == {"door": URL}  # plain URLs need no secret
    # restart: the full URL is recombined from the secrets file
    with Store.open(db_path) as store:
        urls = {c.record.id: c.url for c in store.load_cameras()}
        assert urls == {"door": URL, "till": "rtsp://192.0.2.11/plain"}
        assert store.delete_camera("door") is True
        assert store.delete_camera("door") is False
        assert [c.id for c in store.list_cameras()] == ["till"]
        assert [c.id for c in store.list_cameras(include_deleted=True)] == ["door", "till"]
    assert PASSWORD not in secrets_file.read_text()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_lost_secrets_file_is_reported(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.upsert_camera("door", url=URL)
    secrets_path_for(db_path).unlink()
    with Store.open(db_path) as store:
        [cam] = store.load_cameras()
        assert cam.missing_secret and PASSWORD not in cam.url


def test_orphan_secrets_are_swept(db_path: Path) -> None:
    Store.open(db_path).close()
    CameraSecrets(secrets_path_for(db_path)).put("ghost", URL)  # as if the row never committed
    with Store.open(db_path):
        pass
    assert CameraSecrets(secrets_path_for(db_path)).camera_ids() == []


def test_camera_revived_after_delete(store: Store) -> None:
    store.upsert_camera("door", url="rtsp://cam/a", analysis_fps=5)
    store.delete_camera("door")
    record = store.upsert_camera("door", url="rtsp://cam/b", enabled=False, analysis_fps=2.5)
    assert (record.deleted_at, record.enabled, record.analysis_fps, record.url_redacted) == (
        None,
        False,
        2.5,
        "rtsp://cam/b",
    )
    with pytest.raises(StorageError, match="bad_id"):
        store.upsert_camera("bad id!", url="rtsp://cam/c")


def test_secrets_file_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    secrets = CameraSecrets(path)
    secrets.put("a", URL)
    secrets.put("b", "rtsp://plain/no-secret")  # nothing to keep
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert CameraSecrets(path).camera_ids() == ["a"]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    os.chmod(path, 0o644)
    CameraSecrets(path)  # tightens the mode again
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("{not json")
    with pytest.raises(StorageError, match="reason=corrupt"):
        CameraSecrets(path)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_has_aggregates_only(store: Store, tmp_path: Path, fmt: str) -> None:
    pid = "id_5e5e5e5e5e5e"
    rows = [
        sighting(
            cam,
            k,
            B + start,
            last_seen_at=B + start + dur,
            ended_at=B + start + dur,
            person_id=pid if k == 0 else f"id_{k}",
        )
        for k, (cam, start, dur) in enumerate(
            [("door", 10, 30), ("door", 20, 10), ("till", 30, 60), ("door", 3700, 20)]
        )
    ]
    store.upsert_sightings(rows)
    store.put_prototypes(pid, np.ones((1, 256), dtype=np.float32))
    out = tmp_path / f"agg.{fmt}"
    assert store.export_aggregates(out, fmt) == 3
    if fmt == "csv":
        with out.open() as handle:
            table = list(csv.DictReader(handle))
    else:
        con = duckdb.connect()
        try:
            cur = con.execute("SELECT * FROM read_parquet(?)", [str(out)])
            names = [d[0] for d in cur.description]
            table = [dict(zip(names, map(str, r), strict=True)) for r in cur.fetchall()]
        finally:
            con.close()
    assert set(table[0]) == {
        "hour_start_utc",
        "camera_id",
        "tracks",
        "visitors",
        "dwell_total_s",
        "dwell_mean_s",
        "dwell_median_s",
    }
    door0 = table[0]
    assert door0["camera_id"] == "door" and door0["hour_start_utc"].startswith("2026-11-24 06:00:00")
    assert (int(door0["tracks"]), int(door0["visitors"]), float(door0["dwell_total_s"])) == (
        2,
        2,
        40.0,
    )
    assert float(door0["dwell_median_s"]) == 20.0
    assert pid.encode() not in out.read_bytes() and b"id_1" not in out.read_bytes()
    with pytest.raises(StorageError, match="unsupported"):
        store.export_aggregates(tmp_path / "x.json", "json")  # type: ignore[arg-type]
