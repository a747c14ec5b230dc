"""StoreActor writes buffered rows within ``storage.flush_interval_s``, even far below a full batch.

A quiet shop produces a few events a minute; they must reach the file on time, not wait
for a read or for ``batch_size`` rows, or a crash would lose them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pictag import events as ev
from pictag.config import StorageConfig
from pictag.storage import Store
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(120)


def test_one_event_is_on_disk_within_the_flush_interval_and_survives_a_kill(
    ray_session: object,
    tmp_path: Path,
) -> None:
    import ray

    from pictag.actors.store import StoreActor

    path = tmp_path / "pictag.duckdb"
    store = StoreActor.remote(StorageConfig(path=str(path), batch_size=256, flush_interval_s=0.5))
    event = ev.make_event(ev.TRACK_STARTED, ts=time.time(), camera_id="door", track_id=1, person_id="p1")
    ray.get(store.write.remote([event], []), timeout=60)
    # `counters` does not flush (reads do), so this waits on the flush thread alone.
    counters = wait_for(
        lambda: (c := ray.get(store.counters.remote(), timeout=30))["pending"] == 0 and c,
        15,
        message="the flush thread to write the one pending event",
    )
    assert counters["written"] == 1 and counters["flushes"] >= 1
    ray.kill(store, no_restart=True)  # like kill -9: no close, no final flush
    wait_for(lambda: _reopens(path), 30, message="the killed actor to release the file")
    with Store.open(path) as reopened:
        assert [e.type for e in reopened.list_events()] == ["track.started"]


def _reopens(path: Path) -> bool:
    try:
        Store.open(path).close()
    except Exception:
        return False
    return True


def test_the_store_reopens_duckdb_on_its_interval_and_keeps_every_write(ray_session: object, tmp_path: Path) -> None:
    import ray

    from pictag.actors.store import StoreActor

    path = tmp_path / "pictag.duckdb"
    store = StoreActor.remote(StorageConfig(path=str(path), flush_interval_s=0.2, reopen_interval_s=1.0))
    start = time.time()
    written = 0
    while ray.get(store.counters.remote(), timeout=30)["reopens"] < 3:  # writes keep arriving across reopens
        assert time.time() - start < 60, "the store did not reopen every second"
        event = ev.make_event(ev.TRACK_STARTED, ts=time.time(), camera_id="door", track_id=written, person_id="p1")
        ray.get(store.write.remote([event], []), timeout=30)
        written += 1
        time.sleep(0.02)  # pacing: a steady trickle of writes, not a wait for anything
    events = ray.get(store.list_events.remote(limit=10_000), timeout=30)
    assert len(events) == written
    ray.get(store.close.remote(), timeout=30)
    ray.kill(store, no_restart=True)
