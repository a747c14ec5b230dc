"""`pictag eval count`: the real detector and tracker on a real video, and the scoring parts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pictag.cli.main import main
from pictag.errors import EvaluationError
from pictag.eval import count
from pictag.eval.frames import TrackRows, read_mot_rows
from pictag.footfall.engine import FootfallSettings
from pictag.footfall.outputs import LineCrossing

TUD_LINES = ["160,0,160,480", "320,0,320,480", "480,0,480,480"]


def test_eval_count_on_tud_campus(asset, tmp_path: Path) -> None:
    out = tmp_path / "tud.json"
    args = ["eval", "count", "--video", str(asset("videos/TUD-Campus.mp4")),
            "--gt", str(asset("mot/TUD-Campus/gt/gt.txt")), "--json", str(out)]  # fmt: skip
    for line in TUD_LINES:
        args += ["--line", line]
    assert main(args) == 0
    report = json.loads(out.read_text())
    assert report["sequence"]["frames"] == 71 and report["crossing_frames"] == 3
    rows = report["lines"]
    assert [r["line"] for r in rows] == [[160, 0, 160, 480], [320, 0, 320, 480], [480, 0, 480, 480]]
    for r in rows:
        assert set(r) >= {"line", "in", "out", "truth", "crossings"}
        assert set(r["truth"]) == {"in", "out"} and set(r["crossings"]) == {"precision", "recall", "f1"}
    # Everybody walks right -> left or left -> right; the ground truth has 11 crossings on these lines.
    true_total = sum(r["truth"]["in"] + r["truth"]["out"] for r in rows)
    assert true_total == 11
    # Regression floor (docs/footfall.md: 10 of 11 matched, no false crossing; one person crosses in
    # the video's 2nd frame, before any track can be confirmed).
    assert report["total"]["crossings"]["recall"] >= 0.85
    assert report["total"]["crossings"]["precision"] >= 0.9


def test_eval_count_without_ground_truth(asset, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    video = str(asset("videos/TUD-Campus.mp4"))
    assert main(["eval", "count", "--video", video, "--line", "320,0,320,480", "--max-frames", "40",
                 "--json", str(out)]) == 0  # fmt: skip
    (row,) = json.loads(out.read_text())["lines"]
    assert row["truth"] is None and row["crossings"] is None and row["in"] + row["out"] >= 1


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "5,5,5,5"])
def test_bad_lines_are_refused(text: str) -> None:
    with pytest.raises(EvaluationError, match="--line"):
        count.parse_line(text)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="video file not found"):
        count.resolve_count_inputs(tmp_path / "nope.mp4", None, 1)


def _c(line: str, direction: str, ts: float) -> LineCrossing:
    return LineCrossing("eval", line, direction, 1, ts)  # type: ignore[arg-type]


def test_matching_is_one_to_one_within_one_second_same_line_and_direction() -> None:
    pred = [_c("L1", "in", 10.0), _c("L1", "in", 10.5), _c("L1", "out", 20.0), _c("L2", "in", 30.0)]
    true = [_c("L1", "in", 10.4), _c("L1", "in", 25.0), _c("L1", "in", 20.0), _c("L2", "in", 31.2)]
    # 10.5 is closer to 10.4 than 10.0; "out" never matches "in"; 30.0 vs 31.2 is over 1 s.
    assert count.match_crossings(pred, true) == [(1, 0)]
    (score,) = count.score_lines(count.line_configs([(1, 1, 2, 2)]), pred[:2], true[:2])
    row = score.to_json()
    assert row["matched"] == 1 and row["crossings"]["precision"] == 0.5 and row["crossings"]["recall"] == 0.5
    assert row["count_error"] == {"in": 0.0, "out": None}


def test_no_crossings_anywhere_scores_perfectly() -> None:
    (score,) = count.score_lines(count.line_configs([(1, 1, 2, 2)]), [], [])
    assert score.to_json()["crossings"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_ground_truth_through_the_rule_counts_itself(asset) -> None:
    """GT tracks as predictions: every crossing matches (checks frame alignment and ended ids)."""
    gt = read_mot_rows(asset("mot/TUD-Campus/gt/gt.txt"))
    frames = list(range(1, 72))
    stamps = [k / 25 for k in range(71)]
    lines = count.line_configs([count.parse_line(t) for t in TUD_LINES])
    found = count.count_crossings(count.truth_frames(gt, frames, stamps), lines, FootfallSettings())
    assert len(found) == 11
    assert count.match_crossings(found, found) == [(k, k) for k in range(11)]


def test_hold_last_lets_an_end_of_video_crossing_count() -> None:
    rows = TrackRows.build([1, 2, 3, 4], [7] * 4, [[130, 0, 170, 100], [110, 0, 150, 100], [60, 0, 100, 100],
                                                     [40, 0, 80, 100]])  # fmt: skip
    lines = count.line_configs([(100, 0, 100, 200)])
    frames = count.truth_frames(rows, [1, 2, 3, 4], [0.0, 0.1, 0.2, 0.3])
    assert count.count_crossings(frames, lines, FootfallSettings()) == []  # 2 frames over: not confirmed
    held = count.hold_last(count.truth_frames(rows, [1, 2, 3, 4], [0.0, 0.1, 0.2, 0.3]), 3, 0.1)
    (c,) = count.count_crossings(held, lines, FootfallSettings())
    assert c.direction == "in" and c.ts == pytest.approx(0.2) and np.isfinite(c.ts)
