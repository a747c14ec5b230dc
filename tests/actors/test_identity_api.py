"""Stats, visits and identities API on real actors (Ray, DuckDB) through FastAPI's test client.

Appearances are synthetic 256-d vectors (one direction per person), so the test needs no
model: it checks what the routes answer, including erasure, from what the identity stage stored.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pictag.config import ReidConfig, StorageConfig, TrackingConfig
from pictag.detections import Detections
from pictag.identity.appearance import TrackAppearance
from pictag.messages import FrameTracks, TrackSummaries
from pictag.reid.base import l2_normalize
from pictag.serve.errors import install_error_handlers
from pictag.serve.routes import identities, stats, tracks, visits
from pictag.serve.services import Services, get_services
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(300)

RNG = np.random.default_rng(7)
LOOKS = {name: l2_normalize(RNG.normal(size=256)[None, :])[0] for name in ("ann", "bob")}


def _look(name: str) -> TrackAppearance:
    emb = l2_normalize(LOOKS[name][None, :] + 0.03 * RNG.normal(size=(3, 256)))
    return TrackAppearance(l2_normalize(emb.mean(axis=0)[None, :])[0], emb, 3, 0, time.time())


def _visit(identity: Any, camera: str, track: int, name: str) -> None:
    """A person seen for a moment on a camera: three frames, then the track ends."""
    box = Detections(
        np.array([[100, 50, 160, 250]], np.float32),
        np.array([0.9], np.float32),
        np.zeros(1, np.int64),
        np.array([track], np.int64),
    )
    t0 = time.time()
    for k in range(3):
        frame = FrameTracks(camera, t0 + 0.1 * k, box, (), (track,) if k == 2 else ())
        ray.get(identity.process.remote([TrackSummaries(frame, {track: _look(name)} if k == 0 else {})]))
    ray.get(identity.flush.remote())


@pytest.fixture
def api(ray_session, tmp_path: Path) -> Any:
    from pictag.actors.event_hub import EventHub
    from pictag.actors.identity import IdentityActor
    from pictag.actors.store import StoreActor

    store = StoreActor.remote(StorageConfig(path=str(tmp_path / "api.duckdb"), flush_interval_s=0.2))
    hub = EventHub.remote()
    identity = IdentityActor.remote(TrackingConfig(), store, hub, reid=ReidConfig(threshold=0.5, visit_gap_s=1.0))
    ray.get(identity.ready.remote(), timeout=60)
    app = FastAPI()
    install_error_handlers(app)
    for router in (stats.router, visits.router, identities.router, tracks.router):
        app.include_router(router, prefix="/api/v1")
    app.dependency_overrides[get_services] = lambda: Services(None, store, hub, identity, None)  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield client, store, identity
    ray.get(store.close.remote(), timeout=30)
    for actor in (identity, hub, store):
        ray.kill(actor, no_restart=True)


def test_stats_visits_identities_and_erasure(api: Any) -> None:
    client, store, identity = api
    _visit(identity, "door", 1, "ann")
    # Ann's visit closes after the 1 s gap; she comes back through another camera.
    wait_for(
        lambda: any(v["ended_at"] for v in client.get("/api/v1/visits").json()["items"]),
        30,
        message="first visit closed",
    )
    _visit(identity, "till", 2, "ann")
    _visit(identity, "door", 3, "bob")
    ray.get(store.flush.remote())

    people = client.get("/api/v1/identities").json()["items"]
    assert len(people) == 2 and all(p["id"].startswith("p_") and p["n_prototypes"] >= 3 for p in people)
    ann = next(p["id"] for p in people if p["n_sightings"] == 2)
    detail = client.get(f"/api/v1/identities/{ann}").json()
    assert detail["cameras"] == ["door", "till"] and detail["n_tracks"] == 2 and detail["n_visits"] == 2
    assert detail["created_at"].endswith("Z") and "embedding" not in str(detail)
    assert [v["cameras"] for v in detail["visits"]] == [["till"], ["door"]]

    page = client.get("/api/v1/visits", params={"limit": 2}).json()
    assert page["limit"] == 2 and len(page["items"]) == 2
    assert set(page["items"][0]) >= {"id", "identity_id", "started_at", "ended_at", "dwell_s", "cameras"}
    assert len(client.get("/api/v1/visits", params={"camera": "till"}).json()["items"]) == 1
    _person_id_and_time_filters(client, ann)

    s = wait_for(
        lambda: (r := client.get("/api/v1/stats").json())["unique_visitors"] == 2 and r,
        30,
        message="stats with both visitors",
    )
    assert s["returning_visitors"] == 1 and s["from"].endswith("Z") and s["to"].endswith("Z")
    assert s["avg_dwell_s"] is not None and s["median_dwell_s"] is not None
    assert isinstance(s["occupancy"], dict)
    assert sum(h["visitors"] for h in s["visitors_per_hour"]) >= 2 and s["visitors_per_hour"][0]["hour"].endswith("Z")
    assert client.get("/api/v1/stats", params={"camera": "till"}).json()["unique_visitors"] == 1

    bad = client.get("/api/v1/stats", params={"from": "2026-11-24T10:00:00Z", "to": "2026-11-24T09:00:00Z"})
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    assert client.get("/api/v1/identities/no%20such").status_code == 422
    missing = client.get("/api/v1/identities/p_000000000000")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"

    erased = client.delete(f"/api/v1/identities/{ann}")
    assert erased.status_code == 200 and erased.json()["removed"]["visits"] == 2
    assert client.get(f"/api/v1/identities/{ann}").status_code == 404
    assert client.delete(f"/api/v1/identities/{ann}").status_code == 404
    bob = next(p["id"] for p in people if p["id"] != ann)
    assert [v["identity_id"] for v in client.get("/api/v1/visits").json()["items"]] == [bob]
    assert client.get("/api/v1/stats").json()["unique_visitors"] == 1


def _person_id_and_time_filters(client: Any, ann: str) -> None:
    """Issue 15: ``person_id`` beside its deprecated ``identity_id``/``identity``; ``from``/``to``
    on /tracks beside the deprecated ``since``/``until``; both names differing → 422."""
    visits = client.get("/api/v1/visits", params={"person_id": ann}).json()["items"]
    assert len(visits) == 2 and all(v["person_id"] == v["identity_id"] == ann for v in visits)
    assert client.get("/api/v1/visits", params={"identity": ann}).json()["items"] == visits
    assert client.get("/api/v1/visits", params={"identity": ann, "person_id": ann}).json()["items"] == visits
    both = client.get("/api/v1/visits", params={"identity": ann, "person_id": "p_other"})
    assert both.status_code == 422 and both.json()["field"] == "identity"

    items = client.get("/api/v1/tracks").json()["items"]
    assert len(items) == 3 and all(t["person_id"] == t["identity_id"] for t in items)
    first = min(t["started_at"] for t in items)
    newer = client.get("/api/v1/tracks", params={"from": items[0]["started_at"]}).json()["items"]
    assert newer == client.get("/api/v1/tracks", params={"since": items[0]["started_at"]}).json()["items"]
    assert len(newer) >= 1
    assert client.get("/api/v1/tracks", params={"to": first}).json()["items"] == []
    assert client.get("/api/v1/tracks", params={"until": first}).json()["items"] == []
    clash = client.get("/api/v1/tracks", params={"from": first, "since": items[0]["started_at"]})
    assert clash.status_code == 422 and clash.json() == {
        "error": "invalid_request",
        "detail": clash.json()["detail"],
        "field": "since",
    }
