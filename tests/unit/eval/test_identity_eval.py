"""`pictag eval identity`: its scoring on hand-made runs, and the real chain beating re-id off."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pictag.cli.main import main
from pictag.detections import Detections
from pictag.eval import identity as E
from pictag.eval.frames import TrackRows
from pictag.identity.sessions import FrameTracks

CONTRACT = ("persons", "identities", "fragmented_persons", "merged_identities", "idf1")


def _gt() -> TrackRows:
    """Person 1 in frames 1-10 (id 1) and again in 21-30 (id 3, the same person); person 2 in 1-30."""
    rows = [(f, 1, (0, 0, 50, 100)) for f in range(1, 11)]
    rows += [(f, 3, (0, 0, 50, 100)) for f in range(21, 31)]
    rows += [(f, 2, (200, 0, 250, 100)) for f in range(1, 31)]
    f, i, b = zip(*rows, strict=True)
    return TrackRows.build(f, i, np.array(b, np.float64))


def _run(labels: dict[int, list[tuple[int, int]]]) -> tuple[E.TrackedRun, E.IdentityRun]:
    """``labels[frame] = [(gt_box_index, identity)]``: 0 is the left box, 1 the right one."""
    boxes = [(0, 0, 50, 100), (200, 0, 250, 100)]
    run = E.TrackedRun()
    f_col, id_col, b_col = [], [], []
    for frame in range(1, 31):
        run.frames.append(FrameTracks("cam", float(frame), Detections.empty()))
        run.mot_frames.append(frame)
        run.part_of.append(0)
        for box, identity in labels.get(frame, []):
            f_col.append(frame)
            id_col.append(identity)
            b_col.append(boxes[box])
    rows = TrackRows.build(f_col, id_col, np.array(b_col, np.float64).reshape(-1, 4))
    return run, E.IdentityRun(rows, len(set(id_col)), {}, {}, 0.0)


def test_reidentified_return_is_one_identity_and_recognised() -> None:
    labels = {f: [(0, 10), (1, 20)] for f in range(1, 11)}
    labels |= {f: [(1, 20)] for f in range(11, 21)}
    labels |= {f: [(0, 10), (1, 20)] for f in range(21, 31)}
    row = E.score(_gt(), {3: 1}, *_run(labels))
    assert {k: row[k] for k in CONTRACT} == {
        "persons": 2,
        "identities": 2,
        "fragmented_persons": 0,
        "merged_identities": 0,
        "idf1": 1.0,
    }
    assert (row["returns"], row["returns_recognised"]) == (1, 1)


def test_new_identity_after_return_is_a_fragmented_person() -> None:
    labels = {f: [(0, 10), (1, 20)] for f in range(1, 11)}
    labels |= {f: [(0, 11), (1, 20)] for f in range(21, 31)}
    row = E.score(_gt(), {3: 1}, *_run(labels))
    assert row["fragmented_persons"] == 1 and row["identities"] == 3
    assert (row["returns"], row["returns_recognised"]) == (1, 0)
    assert row["idf1"] < 1.0
    # Without the person map the ground truth itself calls them two people: no fragmentation.
    assert E.score(_gt(), {}, *_run(labels))["fragmented_persons"] == 0


def test_one_identity_on_two_people_is_a_merge() -> None:
    labels = {f: [(0, 10), (1, 10 if f > 15 else 20)] for f in range(1, 11)}
    labels |= {f: [(1, 10 if f > 15 else 20)] for f in range(11, 31)}
    row = E.score(_gt(), {3: 1}, *_run(labels))
    assert row["merged_identities"] == 1


def test_scenarios_cut_the_sequence_into_two_cameras_after_a_gap() -> None:
    continuous, gap = E.scenarios(100, 10.0, gap_s=900.0)
    assert continuous.parts == (E.Part("cam", 0, 100, 0.0),)
    assert [(p.camera_id, p.first, p.stop) for p in gap.parts] == [("a", 0, 50), ("b", 50, 100)]
    assert gap.parts[1].start_s == pytest.approx(5.0 + 900.0)


@pytest.mark.timeout(600)
def test_eval_identity_beats_reid_off_on_fragmentation(asset, tmp_path: Path) -> None:
    """The real chain on the first 50 s of PETS09-S2L1 (two people leave and come back)."""
    out = tmp_path / "identity.json"
    code = main(
        [
            "eval",
            "identity",
            "--video",
            str(asset("videos/vtest.avi")),
            "--gt",
            str(asset("mot/PETS09-S2L1/gt/gt.txt")),
            "--max-frames",
            "350",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    for scenario in ("continuous", "two_cameras_gap"):
        reid, off = report["scenarios"][scenario]["reid"], report["scenarios"][scenario]["no_reid"]
        assert set(CONTRACT) <= set(reid) and reid["persons"] == off["persons"] >= 6
        assert reid["fragmented_persons"] < off["fragmented_persons"], scenario
        assert reid["identities"] < off["identities"] and reid["idf1"] > off["idf1"] + 0.05
        assert reid["merged_identities"] <= off["merged_identities"] + 1
        assert reid["returns_recognised"] > off["returns_recognised"] == 0
    assert report["reid"] == report["scenarios"]["continuous"]["reid"]
