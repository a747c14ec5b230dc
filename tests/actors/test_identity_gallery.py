"""The identity stage on a real Ray runtime: real re-id model, real crops, real DuckDB file.

Ground-truth boxes of PETS09-S2L1 (vtest.avi) stand in for tracks so the test controls who is
where: person 19 and person 1 of the ground truth are the same man (he walks out and back in,
see pictag.identity.persons), played here on two cameras; persons 11 and 12 walk side by side.
Crops are embedded by a real EmbedderActor, aggregated per track with the node's policy
(`AppearanceAggregator`: crop quality, warm-up, outliers) and the frames' `TrackSummaries` go to
IdentityActor, which writes to StoreActor.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import ray

from pictag.config import ReidConfig, StorageConfig, TrackingConfig
from pictag.datasets.mot import read_mot
from pictag.datasets.video import read_frames
from pictag.detections import Detections
from pictag.identity.appearance import AppearanceAggregator
from pictag.messages import FrameTracks, TrackSummaries
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(300)

THRESHOLD = 0.44
FRAMES_PER_TRACK = 8


def _boxes(gt: Any, person: int, frames: range, n: int) -> list[tuple[int, np.ndarray]]:
    """``n`` frames of ``frames`` where the person's box is well inside the frame and tall."""
    out = []
    for f in frames:
        truth = gt.at_video_frame(f)
        box = truth.xyxy[truth.ids == person]
        if (
            box.size
            and box[0, 0] > 5
            and box[0, 1] > 5
            and box[0, 2] < 760
            and box[0, 3] < 570
            and box[0, 3] - box[0, 1] > 80
        ):
            out.append((f, box[0]))
    step = max(1, len(out) // n)
    return out[::step][:n]


class Feeder:
    """Plays chosen ground-truth boxes as tracks of a camera: embedder actor → aggregation → identity."""

    def __init__(self, embedder: Any, identity: Any, video: Path, threshold: float) -> None:
        self.embedder = embedder
        self.identity = identity
        self.video = video
        self.appearance = AppearanceAggregator.from_config(ReidConfig(threshold=threshold))

    def play(self, camera: str, track_boxes: dict[int, list[tuple[int, np.ndarray]]]) -> None:
        frames = sorted({f for items in track_boxes.values() for f, _ in items})
        images = read_frames(self.video, frames)
        ids = list(track_boxes)
        for k, f in enumerate(frames):
            present = [(tid, box) for tid in ids for g, box in track_boxes[tid] if g == f]
            tracks = Detections(
                np.array([b for _, b in present], np.float32).reshape(-1, 4),
                np.full(len(present), 0.9, np.float32),
                np.zeros(len(present), np.int64),
                np.array([t for t, _ in present], np.int64),
            )
            ended = tuple(ids) if k == len(frames) - 1 else ()
            ts = time.time()
            rows = self.appearance.select(camera, tracks, images[f].shape, ts)
            looks = {}
            if rows.any():
                emb = ray.get(self.embedder.embed.remote(ray.put(images[f]), tracks.xyxy[rows]))
                looks = self.appearance.add(camera, tracks.track_id[rows], emb, ts)
            self.appearance.end(camera, ended)
            ray.get(self.identity.process.remote([TrackSummaries(FrameTracks(camera, ts, tracks, (), ended), looks)]))


def _start(db: Path, threshold: float) -> tuple[Any, Any, Any, Any]:
    from pictag.actors.embedder import EmbedderActor
    from pictag.actors.event_hub import EventHub
    from pictag.actors.identity import IdentityActor
    from pictag.actors.store import StoreActor

    reid = ReidConfig(threshold=threshold)
    store = StoreActor.remote(StorageConfig(path=str(db), flush_interval_s=0.2))
    hub = EventHub.remote()
    identity = IdentityActor.remote(TrackingConfig(), store, hub, reid=reid)
    embedder = EmbedderActor.remote(reid, None)
    ray.get(identity.ready.remote(), timeout=60)
    return store, hub, identity, embedder


def _stop(*actors: Any) -> None:
    store, _, identity, _ = actors
    ray.get(identity.flush.remote(), timeout=30)
    ray.get(store.close.remote(), timeout=30)
    for actor in actors:
        ray.kill(actor, no_restart=True)


def _events(store: Any, kind: str) -> list[dict[str, Any]]:
    ray.get(store.flush.remote())
    return [e.payload for e in ray.get(store.list_events.remote(event_type=kind, limit=1000))]


def _decided(store: Any, n: int, cameras: tuple[str, ...] = ("a", "b")) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        got = [
            e
            for e in _events(store, "identity.matched") + _events(store, "identity.created")
            if e["camera_id"] in cameras
        ]
        return got if len(got) >= n else None

    return sorted(wait_for(enough, 60, message=f"{n} identity decisions"), key=lambda e: e["ts_unix"])


def test_same_person_two_cameras_one_identity_survives_restart_and_erasure(ray_session, asset, tmp_path: Path) -> None:
    video = asset("vtest.avi")
    gt = read_mot(asset("mot/PETS09-S2L1/gt/gt.txt"))
    db = tmp_path / "identity.duckdb"
    actors = _start(db, THRESHOLD)
    store, _, identity, embedder = actors
    feeder = Feeder(embedder, identity, video, THRESHOLD)
    feeder.play("a", {1: _boxes(gt, 19, range(0, 140), FRAMES_PER_TRACK)})
    feeder.play("b", {7: _boxes(gt, 1, range(300, 500), FRAMES_PER_TRACK)})
    first, second = _decided(store, 2)
    assert first["type"] == "identity.created" and first["camera_id"] == "a"
    assert second["type"] == "identity.matched" and second["camera_id"] == "b", second
    assert second["person_id"] == first["person_id"] and second["similarity"] >= THRESHOLD
    person = first["person_id"]
    visit = wait_for(lambda: ray.get(store.list_visits.remote(person_id=person)), 30, message="visit row")
    assert set(visit[0].cameras) == {"a", "b"}
    _stop(*actors)

    # Restart: new actors on the same file reload the gallery and recognise him again.
    actors = _start(db, THRESHOLD)
    store, _, identity, embedder = actors
    assert ray.get(identity.gallery_stats.remote())["active_identities"] == 1
    Feeder(embedder, identity, video, THRESHOLD).play("c", {3: _boxes(gt, 1, range(600, 790), FRAMES_PER_TRACK)})
    [again] = _decided(store, 1, ("c",))
    assert again["type"] == "identity.matched" and again["person_id"] == person

    # Erasure: out of the gallery, then every row naming him goes.
    result = ray.get(identity.erase.remote(person))
    assert result["found"] and result["removed"]["identities"] == 1
    assert ray.get(identity.gallery_stats.remote())["identities"] == 0
    assert not ray.get(identity.erase.remote(person))["found"]
    _stop(*actors)
    with duckdb.connect(str(db), read_only=True) as con:
        for table, column in (
            ("identities", "id"),
            ("identity_prototypes", "person_id"),
            ("sightings", "person_id"),
            ("visits", "person_id"),
            ("events", "person_id"),
        ):
            n = con.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [person]).fetchone()[0]
            assert n == 0, f"{table} still names the erased identity"
        n = con.execute(
            "SELECT count(*) FROM events WHERE CAST(payload AS VARCHAR) LIKE ?", [f"%{person}%"]
        ).fetchone()[0]
        assert n == 0


def test_people_visible_together_never_share_an_identity(ray_session, asset, tmp_path: Path) -> None:
    """Threshold -1 makes every pair a "match": only the joint assignment keeps them apart."""
    video = asset("vtest.avi")
    gt = read_mot(asset("mot/PETS09-S2L1/gt/gt.txt"))
    actors = _start(tmp_path / "together.duckdb", -1.0)
    store, _, identity, embedder = actors
    feeder = Feeder(embedder, identity, video, -1.0)
    feeder.play("a", {1: _boxes(gt, 13, range(40, 120), FRAMES_PER_TRACK)})  # someone known first
    frames = range(500, 795)
    both = {f for f, _ in _boxes(gt, 2, frames, 1000)} & {f for f, _ in _boxes(gt, 4, frames, 1000)}
    pick = set(sorted(both)[:FRAMES_PER_TRACK])
    feeder.play(
        "a",
        {
            2: [(f, b) for f, b in _boxes(gt, 2, frames, 1000) if f in pick],
            3: [(f, b) for f, b in _boxes(gt, 4, frames, 1000) if f in pick],
        },
    )
    decided = _decided(store, 3)
    by_track = {e["track_id"]: e for e in decided}
    assert by_track[2]["person_id"] != by_track[3]["person_id"]
    # Ground-truth ids 13 and 2 are the same man: track 2 wins his identity, track 3 cannot have it.
    assert by_track[2]["type"] == "identity.matched" and by_track[2]["person_id"] == by_track[1]["person_id"]
    _stop(*actors)
