"""MOT metric code against hand-computed values, py-motmetrics' own test data and TrackEval.

Reference numbers:
- hand-made sequences: computed in the comments below;
- TUD-Campus / TUD-Stadtmitte results shipped with py-motmetrics: the expected table of
  motmetrics' own ``tests/test_metrics.py::test_motchallenge_files``;
- HOTA (and CLEAR/ID) on MOT17 ground truth and on the motmetrics data: TrackEval 1.3.0,
  the HOTA authors' implementation, run by ``data/make_trackeval_reference.py``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from pictag.eval.clear import clear_metrics
from pictag.eval.frames import TrackRows, align, iou_matrix, read_mot_rows
from pictag.eval.hota import hota
from tests.conftest import require_module

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "trackeval_reference.json").read_text())

A_BOX = [0.0, 0.0, 10.0, 20.0]
B_BOX = [100.0, 0.0, 110.0, 20.0]
FAR = [500.0, 500.0, 510.0, 520.0]


def _rows(entries: list[tuple[int, int, list[float]]]) -> TrackRows:
    if not entries:
        return TrackRows.empty()
    frame, ids, boxes = zip(*entries, strict=True)
    return TrackRows.build(frame, ids, boxes)


def _hand_sequence() -> tuple[TrackRows, TrackRows]:
    """GT: A and B in frames 1-4. Tracker: A is id 1 then id 2 (one switch at frame 3);
    B is id 3 in frames 1, 2, 4 (missed in 3: one fragmentation); id 9 is a false
    positive in frame 2."""
    gt = _rows([(f, 1, A_BOX) for f in range(1, 5)] + [(f, 2, B_BOX) for f in range(1, 5)])
    hyp = _rows(
        [(1, 1, A_BOX), (2, 1, A_BOX), (3, 2, A_BOX), (4, 2, A_BOX)]
        + [(1, 3, B_BOX), (2, 3, B_BOX), (4, 3, B_BOX)]
        + [(2, 9, FAR)]
    )
    return gt, hyp


def test_clear_and_identity_metrics_by_hand() -> None:
    gt, hyp = _hand_sequence()
    result = clear_metrics(align(gt, hyp, range(1, 5)))
    # 8 GT boxes, 7 matched, FN 1, FP 1, IDSW 1 → MOTA = 1 - 3/8.
    assert result.mota == pytest.approx(1 - 3 / 8)
    assert (result.misses, result.false_positives, result.id_switches) == (1, 1, 1)
    assert result.fragmentations == 1
    # Global id assignment: A↔1 (or 2) covers 2 boxes, B↔3 covers 3 → IDTP 5 of 8 + 8.
    assert result.idf1 == pytest.approx(2 * 5 / 16)
    assert result.idp == pytest.approx(5 / 8) and result.idr == pytest.approx(5 / 8)
    assert result.precision == pytest.approx(7 / 8) and result.recall == pytest.approx(7 / 8)
    assert result.motp == pytest.approx(1.0)
    assert (result.gt_boxes, result.hyp_boxes, result.gt_ids) == (8, 8, 2)


def test_hota_by_hand() -> None:
    gt, hyp = _hand_sequence()
    result = hota(align(gt, hyp, range(1, 5)))
    # Every match has IoU 1, so every α agrees. DetA = TP / (TP + FN + FP) = 7 / 9.
    # AssA averages, over the 7 TPs, the Jaccard index of the matched id pair:
    # (A,1): 2 / (4 + 2 - 2) = .5 for 2 TPs, (A,2): .5 for 2, (B,3): 3 / (4 + 3 - 3) = .75 for 3.
    assa = (2 * 0.5 + 2 * 0.5 + 3 * 0.75) / 7
    assert result.deta == pytest.approx(7 / 9)
    assert result.assa == pytest.approx(assa)
    assert result.hota == pytest.approx(np.sqrt(7 / 9 * assa))
    assert result.loca == pytest.approx(1.0)
    np.testing.assert_allclose(result.hota_alpha, np.sqrt(7 / 9 * assa))


def test_hota_averages_over_localisation_thresholds() -> None:
    """One person tracked perfectly but with IoU 0.62: a TP for the 12 thresholds
    α ≤ 0.60, a miss plus a false positive for the 7 above."""
    gt = _rows([(f, 1, [0.0, 0.0, 100.0, 100.0]) for f in range(1, 6)])
    hyp = _rows([(f, 5, [0.0, 0.0, 100.0, 62.0]) for f in range(1, 6)])
    frames = align(gt, hyp, range(1, 6))
    assert frames[0].iou[0, 0] == pytest.approx(0.62)
    result = hota(frames)
    assert result.hota == pytest.approx(12 / 19)
    assert result.deta == pytest.approx(12 / 19)
    assert result.assa == pytest.approx(12 / 19)
    # LocA is 0.62 where there are TPs and 1 (TrackEval's convention) where there are none.
    assert result.loca == pytest.approx((12 * 0.62 + 7 * 1.0) / 19)
    clear = clear_metrics(frames)
    assert clear.mota == pytest.approx(1.0) and clear.idf1 == pytest.approx(1.0)
    assert clear.motp == pytest.approx(0.62)


def test_empty_tracker_output_scores_zero() -> None:
    gt, _ = _hand_sequence()
    frames = align(gt, TrackRows.empty(), range(1, 5))
    assert hota(frames).hota == 0.0
    clear = clear_metrics(frames)
    assert clear.mota == pytest.approx(0.0)
    assert clear.misses == 8 and clear.recall == 0.0


def test_ground_truth_against_itself_is_perfect(asset) -> None:  # noqa: ANN001
    gt = read_mot_rows(asset("mot/PETS09-S2L1/gt/gt.txt"))
    # PETS09 marks a few boxes "not scored" (column 7 = 0); a tracker reporting them is wrong.
    assert not gt.scored.all()
    frames = align(gt, gt.scored_only(), range(1, int(gt.frame.max()) + 1))
    h, c = hota(frames), clear_metrics(frames)
    assert h.hota == pytest.approx(1.0) and h.deta == pytest.approx(1.0) and h.assa == pytest.approx(1.0)
    assert c.mota == pytest.approx(1.0) and c.idf1 == pytest.approx(1.0) and c.id_switches == 0


def test_iou_matrix_edge_cases() -> None:
    iou = iou_matrix([[0, 0, 10, 10], [0, 0, 0, 10]], [[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]])
    np.testing.assert_allclose(iou, [[1 / 3, 1.0, 0.0], [0.0, 0.0, 0.0]])
    assert iou.dtype == np.float64
    assert iou_matrix(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)


# motmetrics' expected table (tests/test_metrics.py::test_motchallenge_files):
# IDF1, IDP, IDR, Rcll, Prcn, GT, MT, PT, ML, FP, FN, IDs, FM, MOTA, MOTP(distance)
MOTMETRICS_EXPECTED = {
    "TUD-Campus": [
        0.557659,
        0.729730,
        0.451253,
        0.582173,
        0.941441,
        8,
        1,
        6,
        1,
        13,
        150,
        7,
        7,
        0.526462,
        0.277201,
    ],
    "TUD-Stadtmitte": [
        0.644619,
        0.819760,
        0.531142,
        0.608997,
        0.939920,
        10,
        5,
        4,
        1,
        45,
        452,
        7,
        6,
        0.564014,
        0.345904,
    ],
}


def _motmetrics_data(name: str) -> tuple[TrackRows, TrackRows]:
    require_module("motmetrics", "pip install 'pictag[eval]'")
    base = resources.files("motmetrics") / "data" / name
    gt = read_mot_rows(Path(str(base / "gt.txt")))
    hyp = read_mot_rows(Path(str(base / "test.txt")), ground_truth=False)
    return gt, hyp


@pytest.mark.parametrize("name", sorted(MOTMETRICS_EXPECTED))
def test_agrees_with_motmetrics_test_data(name: str) -> None:
    gt, hyp = _motmetrics_data(name)
    frames = align(gt, hyp, range(1, int(max(gt.frame.max(), hyp.frame.max())) + 1))
    c = clear_metrics(frames)
    got = [c.idf1, c.idp, c.idr, c.recall, c.precision, c.gt_ids, c.mostly_tracked]
    got += [c.partially_tracked, c.mostly_lost, c.false_positives, c.misses, c.id_switches]
    got += [c.fragmentations, c.mota, 1 - c.motp]
    np.testing.assert_allclose(got, MOTMETRICS_EXPECTED[name], atol=1e-5)
    ref = REFERENCE["motmetrics-data"][name]
    h = hota(frames)
    for ours, key in ((h.hota, "HOTA"), (h.deta, "DetA"), (h.assa, "AssA"), (h.loca, "LocA")):
        assert ours == pytest.approx(ref[key], abs=1e-9), key
    assert c.mota == pytest.approx(ref["MOTA"], abs=1e-9)
    assert c.idf1 == pytest.approx(ref["IDF1"], abs=1e-9)


@pytest.mark.parametrize("seq", sorted(REFERENCE["MOT17-mini"]))
def test_hota_matches_trackeval_on_mot17(seq: str, asset) -> None:  # noqa: ANN001
    """MOT17 protocol (distractor preprocessing) end to end against TrackEval."""
    gt = read_mot_rows(asset(f"mot/MOT17-mini/train/{seq}/gt/gt.txt"))
    hyp = read_mot_rows(DATA / "mot17mini_hyp" / f"{seq}.txt", ground_truth=False)
    frames = align(gt, hyp, range(1, int(gt.frame.max()) + 1), mot17_preprocess=True)
    ref = REFERENCE["MOT17-mini"][seq]
    h, c = hota(frames), clear_metrics(frames)
    got = {"HOTA": h.hota, "DetA": h.deta, "AssA": h.assa, "LocA": h.loca, "DetRe": h.detre}
    got |= {"DetPr": h.detpr, "AssRe": h.assre, "AssPr": h.asspr, "MOTA": c.mota, "MOTP": c.motp}
    got |= {"IDF1": c.idf1, "IDSW": c.id_switches, "Frag": c.fragmentations}
    got |= {"CLR_FP": c.false_positives, "CLR_FN": c.misses}
    for key, value in got.items():
        assert value == pytest.approx(ref[key], abs=1e-9), key


def test_result_file_round_trip(tmp_path: Path) -> None:
    from pictag.eval.frames import write_mot_rows

    _, hyp = _hand_sequence()
    path = tmp_path / "seq.txt"
    write_mot_rows(hyp, path)
    back = read_mot_rows(path, ground_truth=False)
    np.testing.assert_array_equal(back.frame, hyp.frame)
    np.testing.assert_array_equal(back.ids, hyp.ids)
    np.testing.assert_allclose(back.xyxy, hyp.xyxy, atol=0.01)
    assert back.scored.all()
