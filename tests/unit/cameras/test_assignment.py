"""Detector assignment on a node: least loaded with room, a new detector when all are full; stage problems."""

from __future__ import annotations

import itertools

import pytest

from pictag.cameras.assignment import NodeStage, pick_detector, stage_problem
from pictag.supervision import StageHealth


@pytest.mark.parametrize(
    ("load", "per_detector", "expected"),
    [
        ([], 4, None),
        ([4, 4], 4, None),
        ([3, 1, 2], 4, 1),
        ([2, 2], 4, 0),  # equals: the first
        ([4, 3], 4, 1),
    ],
)
def test_pick_detector(load: list[int], per_detector: int, expected: int | None) -> None:
    assert pick_detector(load, per_detector) == expected


def _stage(embedder: str | None = "emb") -> tuple[NodeStage[str, str], list[str | None]]:
    counter = itertools.count()
    made_with: list[str | None] = []

    def new_detector(emb: str | None) -> str:
        made_with.append(emb)
        return f"det{next(counter)}"

    return NodeStage("shop", embedder, new_detector, lambda: "emb-new", 0.0), made_with


def test_detectors_scale_with_the_cameras_and_share_the_embedder() -> None:
    stage, made_with = _stage()
    got = [stage.detector_for(f"c{i}", 2, 1.0) for i in range(5)]
    assert got == ["det0", "det0", "det1", "det1", "det2"]
    assert made_with == ["emb", "emb", "emb"]
    assert stage.detector_for("c0", 2, 1.0) == "det0"  # already assigned: same detector
    assert stage.load() == [2, 2, 1]
    assert set(stage.health) == {"embedder", "detector0", "detector1", "detector2"}
    assert stage.health["detector1"].name == "detector@shop#1"


def test_a_released_camera_frees_room_before_a_new_detector() -> None:
    stage, _ = _stage()
    for i in range(4):
        stage.detector_for(f"c{i}", 2, 1.0)
    assert stage.release("c1") == "det0" and stage.release("c1") is None
    assert stage.serving("c1") is None
    assert stage.detector_for("new", 2, 1.0) == "det0" and len(stage.detectors) == 2


def test_cameras_of_a_detector_and_of_the_embedder() -> None:
    stage, _ = _stage()
    for i in range(3):
        stage.detector_for(f"c{i}", 2, 1.0)
    assert stage.cameras_of(1) == ["c2"] and stage.cameras_of(None) == ["c0", "c1", "c2"]


def test_recreation_keeps_the_assignment() -> None:
    stage, made_with = _stage()
    stage.detector_for("c0", 2, 1.0)
    assert stage.recreate_embedder() == "emb-new"
    assert stage.recreate_detector(0) == "det1" and made_with[-1] == "emb-new"
    assert stage.serving("c0") == "det1"
    assert stage.actors() == {"detector0": "det1", "embedder": "emb-new"}


def test_members_list_every_actor_with_its_health() -> None:
    stage, _ = _stage(embedder=None)  # joint re-id: no embedder
    stage.detector_for("c0", 1, 1.0)
    stage.detector_for("c1", 1, 1.0)
    members = stage.members(2.0)
    assert [(h.name, actor, index) for h, actor, index in members] == [
        ("detector@shop#0", "det0", 0),
        ("detector@shop#1", "det1", 1),
    ]


def _globals(**down: str) -> dict[str, StageHealth]:
    out = {name: StageHealth(name, name, "", 0.0, status="up") for name in ("identity", "store", "event_hub")}  # type: ignore[arg-type]
    for name, reason in down.items():
        out[name].died(reason, 1.0, recreate=False)
    return out


def test_stage_problem_prefers_the_cameras_own_stages() -> None:
    stage, _ = _stage()
    stage.detector_for("c0", 1, 1.0)
    stage.detector_for("c1", 1, 1.0)
    assert stage_problem(stage, "c0", _globals()) is None
    stage.health["detector1"].died("AssetError: model missing", 2.0, recreate=True)
    assert stage_problem(stage, "c0", _globals()) is None  # another detector's death
    assert stage_problem(stage, "c1", _globals(store="gone")).name == "detector@shop#1"  # type: ignore[union-attr]
    assert stage_problem(stage, "c0", _globals(store="gone")).name == "store"  # type: ignore[union-attr]
    assert stage_problem(None, "c0", _globals(event_hub="gone")) is None  # cameras do not need the hub
    stage.health["embedder"].died("crash", 3.0, recreate=True)
    assert stage_problem(stage, "c0", _globals()).name == "embedder@shop"  # type: ignore[union-attr]
