"""Query filters and pagination; the statistics on a hand-built scenario with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from pictag import events as ev
from pictag.errors import StorageError
from pictag.storage import HourCount, Store
from tests.rows import identity, sighting, visit

B = 1_795_500_000.0  # a UTC hour boundary (498750 * 3600)
H = 3600.0


@pytest.fixture
def tracks_store(store: Store) -> Store:
    """30 sightings: cameras alternate door/till, one every 10 s, each lasting 5 s."""
    store.upsert_sightings(
        [
            sighting(
                "door" if i % 2 == 0 else "till",
                i,
                B + 10 * i,
                last_seen_at=B + 10 * i + 5,
                ended_at=B + 10 * i + 5,
                person_id=f"p_{i % 3}",
            )
            for i in range(30)
        ]
    )
    return store


def test_tracks_filter_and_page(tracks_store: Store) -> None:
    assert len(tracks_store.list_tracks(limit=1000)) == 30
    door = tracks_store.list_tracks(camera="door", limit=1000)
    assert len(door) == 15 and all(t.camera_id == "door" for t in door)
    # newest first, pages do not overlap and cover everything
    pages = [tracks_store.list_tracks(limit=7, offset=o) for o in range(0, 35, 7)]
    ids = [t.track_id for page in pages for t in page]
    assert ids == list(range(29, -1, -1))
    # overlap window: track 3 ends at B+35 (>= since), track 20 starts at B+200 (not < until)
    window = tracks_store.list_tracks(since=B + 35, until=B + 200, limit=1000)
    assert sorted(t.track_id for t in window) == list(range(3, 20))
    assert {t.track_id for t in tracks_store.list_tracks(person_id="p_1", limit=1000)} == set(range(1, 30, 3))


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (10_001, 0), (10, -1)])
def test_bad_pages_are_refused(store: Store, limit: int, offset: int) -> None:
    with pytest.raises(StorageError):
        store.list_tracks(limit=limit, offset=offset)


def test_events_filter_and_page(store: Store) -> None:
    kinds = [ev.TRACK_STARTED, ev.TRACK_UPDATED, ev.TRACK_ENDED]
    store.add_events(
        [
            ev.make_event(
                kinds[i % 3],
                ts=B + i,
                camera_id="door" if i < 10 else "till",
                person_id=f"p_{i % 4}",
                n=i,
            )
            for i in range(20)
        ]
    )
    started = store.list_events(event_type=ev.TRACK_STARTED, limit=100)
    assert [e.payload["n"] for e in started] == [18, 15, 12, 9, 6, 3, 0]
    assert len(store.list_events(camera="till", limit=100)) == 10
    assert [e.payload["n"] for e in store.list_events(since=B + 5, until=B + 8)] == [7, 6, 5]
    assert [e.payload["n"] for e in store.list_events(limit=3, offset=3)] == [16, 15, 14]
    assert {e.person_id for e in store.list_events(person_id="p_2", limit=100)} == {"p_2"}
    assert store.list_events(limit=1)[0].payload["type"] == ev.TRACK_UPDATED


def test_identities_visits_and_detail(store: Store) -> None:
    store.upsert_identities(
        [identity(f"p_{i}", B + i * 100, last_seen_at=B + i * 100 + 50, n_sightings=i) for i in range(5)]
    )
    store.put_prototypes("p_1", np.ones((3, 256), dtype=np.float32))
    store.upsert_sightings(
        [sighting(cam, k, B + 100 + k, person_id="p_1") for k, cam in enumerate(["door", "till", "door"])]
    )
    store.upsert_visits(
        [
            visit("v1", "p_1", B + 100, ended_at=B + 150, cameras=("door",)),
            visit("v2", "p_2", B + 200, last_seen_at=B + 260, cameras=("till",)),
        ]
    )
    store.add_events([ev.make_event(ev.IDENTITY_CREATED, ts=B + 100, person_id="p_1")])
    assert [i.id for i in store.list_identities()] == ["p_4", "p_3", "p_2", "p_1", "p_0"]
    assert [i.id for i in store.list_identities(since=B + 200, until=B + 400)] == ["p_3", "p_2"]
    assert [i.id for i in store.list_identities(limit=2, offset=1)] == ["p_3", "p_2"]
    detail = store.get_identity("p_1")
    assert detail is not None
    assert detail.identity.n_prototypes == 3 and detail.identity.n_sightings == 1
    assert (detail.cameras, detail.n_tracks, detail.n_visits, detail.n_events) == (
        ("door", "till"),
        3,
        1,
        1,
    )
    assert detail.first_seen_at == B + 100
    assert store.get_identity("nobody") is None
    assert [v.id for v in store.list_visits(camera="till")] == ["v2"]
    assert [v.id for v in store.list_visits(since=B + 151)] == ["v2"]
    assert [v.id for v in store.list_visits(until=B + 200)] == ["v1"]
    [v1] = store.list_visits(person_id="p_1")
    assert v1.closed and v1.dwell_s == 50.0


def test_gallery_arrays(store: Store) -> None:
    rng = np.random.default_rng(3)
    sets = {f"p_{i}": rng.standard_normal((i + 1, 256)).astype(np.float32) for i in range(4)}
    store.upsert_identities([identity(k, B, last_seen_at=B + 1, n_sightings=2) for k in sets])
    for k, protos in sets.items():
        store.put_prototypes(k, protos)
    gallery = store.load_gallery()
    assert gallery.embeddings.dtype == np.float32 and gallery.embeddings.shape == (10, 256)
    for k, protos in sets.items():
        rows = gallery.owner == gallery.ids.index(k)
        np.testing.assert_array_equal(gallery.embeddings[rows], protos)
        np.testing.assert_array_equal(gallery.slots[rows], np.arange(len(protos)))
    assert gallery.n_sightings.tolist() == [2, 2, 2, 2]


@pytest.fixture
def shop(store: Store) -> Store:
    """The hand-built day used by the statistics tests (answers worked out in the comments)."""
    store.upsert_camera("back", url="rtsp://cam/back")  # no sightings: occupancy 0
    visits = [
        # A came yesterday (closed) and again today through door and till: returning.
        ("va0", "A", B - 86400, B - 86400 + 600, ["door"]),
        ("va1", "A", B + 600, B + 1800, ["door", "till"]),
        # B spans hours 0 and 1.
        ("vb1", "B", B + 3000, B + 4200, ["door"]),
        # D only in hour 1.
        ("vd1", "D", B + 4000, B + 4300, ["door"]),
        # E twice today: the second visit makes E returning.
        ("ve1", "E", B + 100, B + 400, ["door"]),
        ("ve2", "E", B + 5000, B + 5600, ["door"]),
        # F after the window.
        ("vf1", "F", B + 3 * H + 100, B + 3 * H + 200, ["door"]),
    ]
    store.upsert_visits([visit(v, i, s, ended_at=e, cameras=c) for v, i, s, e, c in visits])
    # C still inside (open visit, not closed): counts as a visitor, not in dwell.
    store.upsert_visits([visit("vc1", "C", B + 7300, last_seen_at=B + 7800, cameras=("till",))])
    now = B + 7810
    store.upsert_sightings(
        [
            sighting("door", 1, now - 60, last_seen_at=now - 10),
            sighting("door", 2, now - 30, last_seen_at=now - 1),
            sighting("door", 3, now - 2000, last_seen_at=now - 1000),  # stale
            sighting("door", 4, now - 50, last_seen_at=now - 5, ended_at=now - 5),
            sighting("till", 1, now - 20, last_seen_at=now - 2),
        ]
    )
    return store


def test_stats_whole_shop(shop: Store) -> None:
    stats = shop.stats(B, B + 3 * H, now=B + 7810, stale_s=120)
    assert stats.occupancy == {"back": 0, "door": 2, "till": 1}
    assert stats.unique_visitors == 5  # A B C D E
    assert stats.returning_visitors == 2  # A (yesterday), E (earlier today)
    assert stats.closed_visits == 5
    # closed dwell: va1 1200, vb1 1200, vd1 300, ve1 300, ve2 600
    assert stats.avg_dwell_s == pytest.approx(720.0)
    assert stats.median_dwell_s == pytest.approx(600.0)
    assert stats.visitors_per_hour == (
        HourCount(B, 3),  # A, B, E
        HourCount(B + H, 3),  # B, D, E
        HourCount(B + 2 * H, 1),  # C
    )


def test_stats_one_camera(shop: Store) -> None:
    stats = shop.stats(B, B + 3 * H, camera="till", now=B + 7810)
    assert stats.occupancy == {"till": 1}
    assert (stats.unique_visitors, stats.returning_visitors, stats.closed_visits) == (2, 1, 1)
    assert stats.avg_dwell_s == stats.median_dwell_s == pytest.approx(1200.0)
    assert [h.visitors for h in stats.visitors_per_hour] == [1, 0, 1]


def test_stats_empty_window_and_partial_hours(shop: Store) -> None:
    empty = shop.stats(B + 10 * H, B + 11 * H, now=B + 7810)
    assert (
        empty.unique_visitors,
        empty.returning_visitors,
        empty.avg_dwell_s,
        empty.median_dwell_s,
    ) == (
        0,
        0,
        None,
        None,
    )
    # a window starting mid-hour still reports whole UTC hours it touches
    part = shop.stats(B + 1800, B + H + 1, now=B + 7810)
    assert [h.hour_start for h in part.visitors_per_hour] == [B, B + H]
    with pytest.raises(StorageError, match="empty_window"):
        shop.stats(B, B)
