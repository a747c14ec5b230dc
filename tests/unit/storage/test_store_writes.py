"""Buffered writes: one-transaction flush, auto-flush, bounded buffer, upsert merging, restart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pictag import events as ev
from pictag.errors import StorageError
from pictag.identity.sessions import Sighting
from pictag.identity.visits import Visit
from pictag.storage import Store
from tests.rows import identity, sighting, visit

T0 = 1_795_500_000.0


def _events(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        ev.make_event(ev.TRACK_UPDATED, ts=T0 + i, camera_id="door", track_id=i, person_id=f"p_{i % 7}", seq=i)
        for i in range(start, start + n)
    ]


def test_rows_wait_in_buffer_until_flush(db_path: Path) -> None:
    store = Store.open(db_path, batch_size=10_000)
    try:
        assert store.add_events(_events(50)) == 50
        assert store.counters().pending["events"] == 50
        assert store.flush() == 50
        counters = store.counters()
        assert counters.pending["events"] == 0
        assert counters.written["events"] == 50
        assert counters.flushes == 1
        assert len(store.list_events(limit=1000)) == 50
    finally:
        store.close()


def test_reads_see_pending_writes(store: Store) -> None:
    store.add_events(_events(3))
    store.upsert_sightings([sighting("door", 1, T0)])
    assert len(store.list_events()) == 3
    assert len(store.list_tracks()) == 1


def test_batch_size_triggers_flush(db_path: Path) -> None:
    with Store.open(db_path, batch_size=100) as store:
        store.add_events(_events(99))
        assert store.counters().flushes == 0
        store.add_events(_events(1, start=99))
        assert store.counters().flushes == 1
        assert store.counters().pending["events"] == 0


def test_full_buffer_drops_and_counts(db_path: Path) -> None:
    with Store.open(db_path, batch_size=10_000, max_pending=20) as store:
        assert store.add_events(_events(15)) == 15
        sightings = [sighting("door", i, T0) for i in range(10)]
        assert store.upsert_sightings(sightings) == 5
        # an update of a sighting already pending is merged, never dropped
        assert store.upsert_sightings([sighting("door", 0, T0, frames=9)]) == 1
        assert store.add_events(_events(3, start=100)) == 0
        counters = store.counters()
        assert counters.dropped == {
            "events": 3,
            "sightings": 5,
            "identities": 0,
            "prototypes": 0,
            "visits": 0,
        }
        assert store.flush() == 20
        assert store.add_events(_events(3, start=200)) == 3


def test_sighting_upserts_merge_and_never_forget(store: Store) -> None:
    base = ("door", 4, T0)
    store.upsert_sightings([sighting(*base, last_seen_at=T0 + 1, person_id="p_a", last_box=(1, 2, 3, 4), frames=3)])
    store.flush()
    store.upsert_sightings([sighting(*base, last_seen_at=T0 + 5, frames=10, best_box=(0, 0, 5, 5))])
    store.upsert_sightings([sighting(*base, last_seen_at=T0 + 3, frames=7)])  # stale, out of order
    store.flush()
    store.upsert_sightings([sighting(*base, last_seen_at=T0 + 6, ended_at=T0 + 6, mean_confidence=0.7)])
    store.flush()
    [track] = store.list_tracks()
    assert track.person_id == "p_a"
    assert (track.last_seen_at, track.ended_at, track.frames) == (T0 + 6, T0 + 6, 10)
    assert track.last_box == (1.0, 2.0, 3.0, 4.0)
    assert track.best_box == (0.0, 0.0, 5.0, 5.0)
    assert track.mean_confidence == pytest.approx(0.7)
    assert track.id == f"door:4:{T0:.3f}"


def test_pipeline_sightings_are_stored_as_their_record(store: Store) -> None:
    s = Sighting("till", 2, "p_x", T0, T0 + 2, frames=4, confidence_sum=2.0, box=(1, 1, 2, 2))
    store.upsert_sightings([s.record()])
    [track] = store.list_tracks()
    assert track == replace(s.record(), last_box=(1.0, 1.0, 2.0, 2.0))
    assert (track.id, track.person_id, track.frames, track.mean_confidence) == (s.key, "p_x", 4, 0.5)


def test_visits_unite_cameras_and_stay_closed(store: Store) -> None:
    store.upsert_visits([visit("v1", "p_a", T0, last_seen_at=T0 + 10, cameras=("door",))])
    store.flush()
    store.upsert_visits([visit("v1", "p_a", T0, last_seen_at=T0 + 60, cameras=("till",), ended_at=T0 + 60)])
    store.flush()
    store.upsert_visits([visit("v1", "p_a", T0, last_seen_at=T0 + 20, cameras=(), closed=False)])
    [stored] = store.list_visits()
    assert stored.cameras == ("door", "till")
    assert stored.closed and stored.ended_at == T0 + 60
    assert stored.last_seen_at == T0 + 60


def test_visit_records_round_trip(store: Store) -> None:
    """One type both ways: the record written is the record read back."""
    v = Visit("v2", "p_b", T0, T0 + 30, {"till", "door"}, ended_at=T0 + 30)
    store.upsert_visits([v.record()])
    assert store.list_visits() == [v.record()]
    assert v.record().cameras == ("door", "till")


def test_prototypes_replace_the_whole_set(store: Store) -> None:
    rng = np.random.default_rng(0)
    first = rng.standard_normal((4, 256)).astype(np.float32)
    second = rng.standard_normal((2, 256)).astype(np.float32)
    store.upsert_identities([identity("p_a", T0, last_seen_at=T0 + 1, n_sightings=1)])
    store.put_prototypes("p_a", first)
    store.flush()
    store.put_prototypes("p_a", second)
    gallery = store.load_gallery()
    assert gallery.ids == ("p_a",)
    np.testing.assert_array_equal(gallery.embeddings, second)
    np.testing.assert_array_equal(gallery.slots, [0, 1])


@pytest.mark.parametrize(
    ("method", "row", "match"),
    [
        ("upsert_sightings", replace(sighting("door", 1, T0), track_id=True), "track_id"),
        ("upsert_sightings", sighting("door", 1, float("nan")), "not_finite"),
        ("upsert_sightings", sighting("door", 1, T0, last_box=(1, 2)), "bad_box"),  # type: ignore[arg-type]
        ("upsert_sightings", sighting("", 1, T0), "camera_id"),
        ("upsert_identities", identity("", T0), "identity.id"),
        ("upsert_visits", visit("v", "", T0), "person_id"),
        ("upsert_visits", visit("v", "p_a", T0, dwell_s=float("inf")), "visit.dwell_s"),
        ("add_events", {"ts_unix": T0}, "event.type"),
    ],
)
def test_bad_rows_fail_at_once(store: Store, method: str, row: object, match: str) -> None:
    with pytest.raises(StorageError, match=match):
        getattr(store, method)([row])
    assert sum(store.counters().pending.values()) == 0


def test_restart_keeps_every_row(db_path: Path) -> None:
    rng = np.random.default_rng(1)
    protos = rng.standard_normal((3, 256)).astype(np.float32)
    with Store.open(db_path) as store:
        store.add_events(_events(40))
        store.upsert_sightings([sighting("door", i, T0 + i) for i in range(12)])
        store.upsert_identities([identity("p_a", T0, last_seen_at=T0 + 5, n_sightings=2)])
        store.put_prototypes("p_a", protos)
        store.upsert_visits([visit("v1", "p_a", T0, cameras=("door",))])
        store.upsert_camera("door", url="rtsp://cam/door", name="Door")
        # no explicit flush: close() must flush
    with Store.open(db_path) as store:
        assert len(store.list_events(limit=1000)) == 40
        assert len(store.list_tracks(limit=1000)) == 12
        assert [i.id for i in store.list_identities()] == ["p_a"]
        assert len(store.list_visits()) == 1
        assert [c.id for c in store.list_cameras()] == ["door"]
        np.testing.assert_array_equal(store.load_gallery().embeddings, protos)
        # event ids keep increasing after a restart
        store.add_events(_events(1, start=500))
        newest = store.list_events(limit=1)[0]
        assert newest.id == 41 and newest.payload["seq"] == 500


def test_closed_store_refuses_calls(db_path: Path) -> None:
    store = Store.open(db_path)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StorageError, match="reason=closed"):
        store.list_events()


def test_close_open_sightings(store: Store) -> None:
    store.upsert_sightings(
        [
            sighting("door", 1, T0, last_seen_at=T0 + 9),
            sighting("door", 2, T0, last_seen_at=T0 + 3, ended_at=T0 + 3),
        ]
    )
    assert store.close_open_sightings() == 1
    ended = {t.track_id: t.ended_at for t in store.list_tracks()}
    assert ended == {1: T0 + 9, 2: T0 + 3}


def test_upserts_update_rows_in_place_and_leave_no_row_versions_behind(store: Store) -> None:
    """A track's sighting and a person's visit are upserted every few seconds for as long as they last.

    DuckDB rewrites a row (delete, then append) when an upsert sets a list column; with the boxes
    and a visit's camera list in the SET, each upsert left a dead row version behind: ~20 per live
    row at 8 cameras, and the file and the store's memory grew with them.
    """
    for step in range(30):
        store.upsert_sightings([sighting("door", 1, T0, last_seen_at=T0 + step, last_box=(step, 1, step + 5, 9))])
        store.upsert_visits(
            [visit("v1", "p_a", T0, last_seen_at=T0 + step, cameras=("door",) if step < 20 else ("door", "till"))]
        )
        store.flush()

    def versions(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
        (estimated,) = con.execute(
            "SELECT estimated_size FROM duckdb_tables() WHERE table_name = ?", [table]
        ).fetchone()
        (rows,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed table names
        return int(estimated), int(rows)

    assert store.read_with(lambda con: versions(con, "sightings")) == (1, 1)
    visits_estimated, visits_rows = store.read_with(lambda con: versions(con, "visits"))
    assert visits_rows == 1 and visits_estimated <= 2, "only the one new camera may rewrite the visit"
    (track,) = store.list_tracks()
    assert track.last_box == (29.0, 1.0, 34.0, 9.0)
    (stored_visit,) = store.list_visits()
    assert stored_visit.cameras == ("door", "till")
