"""StoreActor on a real DuckDB file: ``track.updated`` is live-only unless configured to be stored."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pictag import events as ev
from pictag.config import StorageConfig

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("persist", "stored"), [(False, ["track.started"]), (True, ["track.started", "track.updated"])]
)
def test_track_updates_are_stored_only_when_configured(
    ray_session: object, tmp_path: Path, persist: bool, stored: list[str]
) -> None:
    import ray

    from pictag.actors.store import StoreActor

    config = StorageConfig(path=str(tmp_path / "pictag.duckdb"), persist_track_updates=persist)
    store = StoreActor.remote(config)
    try:
        now = time.time()
        events = [
            ev.make_event(ev.TRACK_STARTED, ts=now, camera_id="door", track_id=1, person_id="p1"),
            ev.make_event(ev.TRACK_UPDATED, ts=now + 1, camera_id="door", track_id=1, person_id="p1"),
        ]
        ray.get(store.write.remote(events, []), timeout=60)
        rows = ray.get(store.list_events.remote(), timeout=30)
        assert sorted(r.type for r in rows) == stored
    finally:
        ray.kill(store)
