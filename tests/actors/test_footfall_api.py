"""Lines, zones, staff and footfall figures through the API on real actors (Ray, DuckDB).

The controller, identity stage, store and event hub are the real actors; the camera is
configured but disabled (no video needed), with its frame size in the configuration. Frames
reach the identity stage as synthetic `TrackSummaries` (people walking through the door line),
exactly as the detector actor sends them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray

from pictag.config import ReidConfig, parse_config
from pictag.detections import Detections
from pictag.messages import FrameTracks, TrackSummaries
from pictag.serve.routes import footfall, geometry, identities, staff, stats
from tests.actors.head_api import head_api
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(300)

CAM = "door"
# x = 400, top to bottom: walking right → left is "in" (side −1 → +1, docs/footfall.md).
DOOR_LINE = {"id": "door", "name": "Front door", "points": [[400, 0], [400, 576]], "entrance": True}
SHELF = {"id": "shelf", "points": [[0, 300], [300, 300], [300, 576], [0, 576]], "kind": "area"}
BACKROOM = {"id": "back", "points": [[600, 0], [768, 0], [768, 200], [600, 200]], "kind": "staff"}


def _config(tmp_path: Path) -> Any:
    return parse_config(
        {
            "cameras": [
                {"id": CAM, "url": "rtsp://127.0.0.1:1/none", "enabled": False, "frame_size": [768, 576]},
                {"id": "till", "url": "rtsp://127.0.0.1:1/none", "enabled": False},  # frame size unknown
            ],
            "storage": {"path": str(tmp_path / "footfall.duckdb"), "flush_interval_s": 0.2},
            "reid": {"enabled": False},
        }
    )


@pytest.fixture
def api(ray_session, tmp_path: Path) -> Any:
    routers = (geometry.router, footfall.router, staff.router, stats.router, identities.router)
    with head_api(_config(tmp_path), routers) as head:
        yield head.client, head.store, head.identity, head.controller, head.hub


def _walk(identity: Any, track: int, xs: list[float], y: float = 500.0, t0: float | None = None) -> None:
    """One person walking along ``xs`` (feet at ``y``) at 10 fps, ending now; the track ends at the last step."""
    t = time.time() - 0.1 * len(xs) if t0 is None else t0
    for k, x in enumerate(xs):
        det = Detections(
            np.array([[x - 25, y - 150, x + 25, y]], np.float32),
            np.array([0.9], np.float32),
            np.zeros(1, np.int64),
            np.array([track], np.int64),
        )
        frame = FrameTracks(CAM, t + 0.1 * k, det, ended=(track,) if k == len(xs) - 1 else ())
        ray.get(identity.process.remote([TrackSummaries(frame)]))
    ray.get(identity.flush.remote())


def _error(res: Any) -> tuple[int, str | None]:
    return res.status_code, res.json().get("field")


def test_lines_and_zones_crud_with_bad_input(api: Any) -> None:
    client = api[0]
    base = f"/api/v1/cameras/{CAM}"
    assert client.get(f"{base}/lines").json() == {"camera_id": CAM, "frame_size": [768, 576], "items": []}

    made = client.post(f"{base}/lines", json=DOOR_LINE)
    assert made.status_code == 201 and made.json() == {**DOOR_LINE, "points": [[400.0, 0.0], [400.0, 576.0]]}
    assert client.post(f"{base}/zones", json=SHELF).status_code == 201
    assert [z["id"] for z in client.get(f"{base}/zones").json()["items"]] == ["shelf"]

    # bad input, each naming the field (issue 17)
    outside = client.post(f"{base}/lines", json={"id": "far", "points": [[0, 0], [800, 10]]})
    assert _error(outside) == (422, "points[1]") and "outside the 768x576 frame" in outside.json()["detail"]
    bow_tie = client.post(f"{base}/zones", json={"id": "bow", "points": [[0, 0], [100, 100], [0, 100], [100, 0]]})
    assert _error(bow_tie) == (422, "points") and "crosses itself" in bow_tie.json()["detail"]
    duplicate = client.post(f"{base}/lines", json={"id": "door", "points": [[0, 0], [10, 10]]})
    assert _error(duplicate) == (422, "id") and "duplicate id 'door'" in duplicate.json()["detail"]
    unknown = client.post("/api/v1/cameras/nope/lines", json={"id": "x", "points": [[0, 0], [10, 10]]})
    assert _error(unknown) == (422, "camera_id")
    assert _error(client.get("/api/v1/cameras/nope/zones")) == (422, "camera_id")
    assert _error(client.post(f"{base}/lines", json={"id": "x", "points": [[0, 0], [0, 0]]})) == (422, "points")
    assert _error(client.post(f"{base}/lines", json={"id": "x y", "points": [[0, 0], [1, 1]]})) == (422, "id")
    assert _error(client.post(f"{base}/zones", json={"id": "k", "points": SHELF["points"], "kind": "x"})) == (
        422,
        "kind",
    )
    assert _error(client.post(f"{base}/lines", json={**DOOR_LINE, "id": "n", "extra": 1})) == (422, "extra")
    no_size = client.post("/api/v1/cameras/till/lines", json={"id": "x", "points": [[0, 0], [10, 10]]})
    assert _error(no_size) == (409, "frame_size")

    # update and delete
    moved = client.put(f"{base}/lines/door", json={"name": "Door", "points": [[410, 0], [410, 576]], "entrance": True})
    assert moved.status_code == 200 and moved.json()["points"] == [[410.0, 0.0], [410.0, 576.0]]
    assert _error(client.put(f"{base}/lines/nope", json={"points": [[0, 0], [1, 1]]})) == (404, "line_id")
    assert _error(client.put(f"{base}/zones/shelf", json={"points": [[0, 0], [9, 9], [0, 900]]})) == (422, "points[2]")
    assert client.delete(f"{base}/zones/shelf").status_code == 204
    assert _error(client.delete(f"{base}/zones/shelf")) == (404, "zone_id")
    assert client.get(f"{base}/zones").json()["items"] == []
    assert [ln["name"] for ln in client.get(f"{base}/lines").json()["items"]] == ["Door"]


def test_edits_persist_and_reach_the_live_engine(api: Any) -> None:
    client, store, identity, _, _ = api
    base = f"/api/v1/cameras/{CAM}"
    client.post(f"{base}/lines", json=DOOR_LINE)
    client.post(f"{base}/zones", json=SHELF)
    saved = {c.config.id: c.config for c in ray.get(store.load_cameras.remote())}
    assert [ln.id for ln in saved[CAM].lines] == ["door"] and [z.id for z in saved[CAM].zones] == ["shelf"]
    snap = wait_for(lambda: (s := ray.get(identity.footfall_snapshot.remote())).lines and s, 10, message="live line")
    assert [(ln.camera_id, ln.line_id, ln.entrance) for ln in snap.lines] == [(CAM, "door", True)]
    assert [z.zone_id for z in snap.zones] == ["shelf"]


def test_crossings_staff_and_figures(api: Any) -> None:
    client, store, identity, _, _ = api
    base = f"/api/v1/cameras/{CAM}"
    for body in (DOOR_LINE, SHELF, BACKROOM):
        assert client.post(f"{base}/{'lines' if body is DOOR_LINE else 'zones'}", json=body).status_code == 201
    ray.get(identity.flush.remote())
    _walk(identity, 1, [600, 550, 500, 450, 350, 300, 250, 200, 150, 150, 150, 150])  # in, then into the shelf zone
    _walk(identity, 2, [500, 450, 420, 380, 350, 330, 310])  # in
    _walk(identity, 3, [300, 350, 380, 420, 450, 480, 500])  # out
    live = client.get("/api/v1/footfall/live").json()
    assert (live["occupancy"], live["entered"], live["exited"]) == (1, 2, 1)
    assert live["lines"] == [{"camera_id": CAM, "line_id": "door", "entrance": True, "in": 2, "out": 1}]

    s = wait_for(
        lambda: (r := client.get("/api/v1/stats").json()["footfall"])["entered"] == 2 and r, 20, message="stats"
    )
    assert s["exited"] == 1 and s["occupancy"] == 1 and s["open_s"] > 0
    assert s["lines"] == [{"camera_id": CAM, "line_id": "door", "entrance": True, "in": 2, "out": 1}]
    assert [(h["in"], h["out"]) for h in s["lines_per_hour"]] in ([(2, 1)], [(1, 0), (1, 1)], [(2, 0), (0, 1)])
    shelf = next(z for z in s["zones"] if z["zone_id"] == "shelf")
    assert shelf["entries"] == 1 and shelf["dwell"]["count"] == 1 and shelf["dwell"]["mean_s"] > 0
    assert s["staff"][0]["persons"] == []

    funnel = client.get("/api/v1/footfall/funnel", params={"zones": [f"{CAM}/shelf"]}).json()
    assert [(st["label"], st["persons"]) for st in funnel["steps"]] == [("entered", 2), (f"{CAM}/shelf", 1)]
    assert _error(client.get("/api/v1/footfall/funnel", params={"zones": ["no-slash"]})) == (422, "zones[0]")

    # staff: person of track 2 is marked through the API; the figures leave them out
    crossed = ray.get(store.list_events.remote(event_type="line.crossed"))
    pid = next(e.payload["person_id"] for e in crossed if e.payload["track_id"] == 2)
    marked = client.put(f"/api/v1/staff/{pid}", json={"staff": True})
    assert marked.status_code == 200 and marked.json() == {
        "person_id": pid,
        "staff": True,
        "day": None,
        "staff_today": True,
    }
    listed = client.get("/api/v1/staff").json()
    assert listed["staff"] == [pid] and listed["marks"] == [{"person_id": pid, "staff": True, "day": None}]
    s = client.get("/api/v1/stats").json()["footfall"]
    assert (s["entered"], s["staff"][0]["persons"]) == (1, [pid])
    assert _error(client.put("/api/v1/staff/bad id!", json={"staff": True}))[0] == 422
    assert client.delete(f"/api/v1/staff/{pid}").status_code == 204
    assert _error(client.delete(f"/api/v1/staff/{pid}")) == (404, "person_id")
    assert client.get("/api/v1/stats").json()["footfall"]["entered"] == 2

    # staff zone: a person walking into the back room is staff for the day
    _walk(identity, 4, [700, 700, 700, 700, 700, 700], y=150)
    assert len(client.get("/api/v1/staff").json()["staff"]) == 1


def test_staff_marks_survive_a_restart_of_the_identity_stage(api: Any, tmp_path: Path) -> None:
    client, store, _, _, hub = api
    assert client.put("/api/v1/staff/p_0123456789ab", json={"staff": True}).status_code == 200
    from pictag.actors.identity import IdentityActor

    fresh = IdentityActor.remote(_config(tmp_path).tracking, store, hub, reid=ReidConfig(enabled=False))
    ray.get(fresh.ready.remote(), timeout=60)
    assert "p_0123456789ab" in ray.get(fresh.staff_today.remote())[1]
    ray.kill(fresh, no_restart=True)
