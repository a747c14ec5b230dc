"""MaintenanceActor on a real StoreActor and DuckDB file: purge at start, on change, compaction."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from pictag import events as ev
from pictag.config import PrivacyConfig, StorageConfig
from tests.helpers import wait_for
from tests.rows import identity, sighting, visit

pytestmark = pytest.mark.timeout(180)
DAY = 86_400.0


def _person(pid: str, t: float) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Any]]:
    events = [ev.make_event(ev.TRACK_STARTED, ts=t, camera_id="door", track_id=1, person_id=pid)]
    sightings = [sighting("door", 1, t, last_seen_at=t + 30, ended_at=t + 30, person_id=pid)]
    identities = [identity(pid, t, last_seen_at=t + 30, n_sightings=1)]
    visits = [visit(f"v-{pid}", pid, t, ended_at=t + 30, cameras=("door",))]
    prototypes = [(pid, np.full((2, 256), 0.5, np.float32))]
    return events, sightings, identities, visits, prototypes


def _rows(db: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(db), read_only=True) as con:

        def ids(sql: str) -> set[str]:
            return {r[0] for r in con.execute(sql).fetchall()}

        return {
            "identities": ids("SELECT id FROM identities"),
            "prototypes": ids("SELECT person_id FROM identity_prototypes"),
            "sightings": ids("SELECT person_id FROM sightings"),
            "visits": ids("SELECT person_id FROM visits"),
            "events": ids("SELECT person_id FROM events"),
        }


def test_purge_runs_at_start_and_when_retention_shrinks(ray_session, tmp_path: Path) -> None:
    import ray

    from pictag.actors.maintenance import MaintenanceActor
    from pictag.actors.store import StoreActor

    db = tmp_path / "data" / "pictag.duckdb"
    store = StoreActor.remote(StorageConfig(path=str(db), flush_interval_s=0.2))
    maintenance = None
    try:
        ray.get(store.ready.remote(), timeout=60)
        now = time.time()
        for pid, age_days in (("p_old", 40), ("p_week", 7), ("p_today", 0)):
            events, sightings, identities, visits, prototypes = _person(pid, now - age_days * DAY)
            ray.get(store.write.remote(events, sightings), timeout=30)
            ray.get(store.write_identity.remote(identities, visits, prototypes), timeout=30)
        ray.get(store.flush.remote(), timeout=30)

        maintenance = MaintenanceActor.remote(PrivacyConfig(retention_days=30), store)
        ray.get(maintenance.start.remote(), timeout=30)
        status = wait_for(
            lambda: ray.get(maintenance.status.remote(), timeout=10)["runs"], 60, message="the start-up purge"
        )
        first = status[0]
        assert first["ok"], first["error"]
        assert first["deleted"] == {
            "events": 1,
            "sightings": 1,
            "visits": 1,
            "identity_prototypes": 2,
            "identities": 1,
            "line_crossings": 0,
            "zone_visits": 0,
            "staff_marks": 0,
            "webhook_deliveries": 0,
            "heatmaps": 0,
        }
        assert first["compacted_bytes"] is not None  # rows went away: the file was rewritten
        assert ray.get(maintenance.status.remote(), timeout=10)["next_run_at"] > now + 23 * 3600

        # A shorter retention from the settings page is enforced at once, not tomorrow.
        ray.get(maintenance.set_privacy.remote(PrivacyConfig(retention_days=3)), timeout=30)
        runs = wait_for(
            lambda: (r := ray.get(maintenance.status.remote(), timeout=10)["runs"]) and len(r) >= 2 and r,
            60,
            message="the purge after shortening retention",
        )
        assert runs[1]["ok"] and runs[1]["deleted"]["identities"] == 1

        # Nothing old left: a manual run deletes nothing and does not compact.
        again = ray.get(maintenance.run_now.remote(), timeout=60)
        assert again.ok and again.total_deleted == 0 and again.compacted_bytes is None
    finally:
        if maintenance is not None:
            ray.get(maintenance.stop.remote(), timeout=10)
            ray.kill(maintenance, no_restart=True)
        ray.get(store.close.remote(), timeout=30)
        ray.kill(store, no_restart=True)
    rows = _rows(db)
    assert rows == {
        "identities": {"p_today"},
        "prototypes": {"p_today"},
        "sightings": {"p_today"},
        "visits": {"p_today"},
        "events": {"p_today"},
    }


def test_runtime_purges_at_start_and_follows_the_settings_page(ray_session, tmp_path: Path) -> None:
    """In the real runtime: the start-up purge ran, and a retention changed through the
    controller (what PATCH /api/v1/config does) reaches the retention job."""
    import ray

    from pictag.actors.maintenance import MAINTENANCE_NAME
    from pictag.actors.names import NAMESPACE
    from pictag.actors.runtime import start_runtime
    from pictag.config import parse_config

    config = parse_config({"storage": {"path": str(tmp_path / "pictag.duckdb")}})
    runtime = start_runtime(config, with_serve=False)
    try:
        maintenance = ray.get_actor(MAINTENANCE_NAME, namespace=NAMESPACE)
        wait_for(
            lambda: ray.get(maintenance.status.remote(), timeout=10)["runs"],
            60,
            message="the start-up purge of the runtime",
        )
        result = ray.get(runtime.controller.update_settings.remote({"privacy": {"retention_days": 2.5}}), timeout=30)
        assert "settings" in result, result
        ray.get(maintenance.follow_live_settings.remote(), timeout=30)
        status = wait_for(
            lambda: (s := ray.get(maintenance.status.remote(), timeout=10)) and len(s["runs"]) >= 2 and s,
            60,
            message="purge after shortening",
        )
        assert status["retention_days"] == 2.5
        assert status["runs"][-1]["ok"]
        assert status["runs"][-1]["cutoff"] == pytest.approx(status["runs"][-1]["started_at"] - 2.5 * DAY)
    finally:
        runtime.stop()
    with pytest.raises(ValueError):  # stopped with the runtime, not left behind
        ray.get_actor(MAINTENANCE_NAME, namespace=NAMESPACE)
