"""Threshold rules on synthetic score distributions with known optima; the config writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.stats import norm

from pictag.errors import ConfigError, EvaluationError
from pictag.identity.calibration import (
    LabelledCrops,
    calibrate,
    choose_threshold,
    make_segments,
    overlap_coefficient,
)
from pictag.identity.config_file import set_reid_threshold, write_threshold
from pictag.identity.persons import known_persons, to_persons
from pictag.reid.base import l2_normalize

SAME = (0.70, 0.10)
DIFF = (0.20, 0.10)


def _scores(n_same: int = 40_000, n_diff: int = 40_000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(*SAME, n_same).astype(np.float32), rng.normal(*DIFF, n_diff).astype(np.float32)


def test_eer_of_equal_variance_gaussians_is_the_midpoint() -> None:
    same, diff = _scores()
    choice = choose_threshold(same, diff, "eer")
    assert choice.threshold == pytest.approx(0.45, abs=0.005)
    assert choice.false_match_rate == pytest.approx(choice.false_non_match_rate, abs=0.003)
    assert choice.false_match_rate == pytest.approx(norm.sf(0.45, *DIFF), abs=0.004)


def test_fmr_rule_hits_the_target_quantile() -> None:
    same, diff = _scores()
    choice = choose_threshold(same, diff, "fmr", target_fmr=0.01)
    assert choice.threshold == pytest.approx(norm.isf(0.01, *DIFF), abs=0.01)
    assert choice.false_match_rate <= 0.01


@pytest.mark.parametrize("ratio", [1, 8])
def test_f1_rule_finds_the_analytic_optimum(ratio: int) -> None:
    n_same, n_diff = 20_000, 20_000 * ratio
    same, diff = _scores(n_same, n_diff)
    grid = np.linspace(0.2, 0.8, 6001)
    tp = n_same * norm.sf(grid, *SAME)
    fp = n_diff * norm.sf(grid, *DIFF)
    f1 = 2 * tp / (2 * tp + fp + (n_same - tp))
    expected = grid[np.argmax(f1)]
    assert choose_threshold(same, diff, "f1").threshold == pytest.approx(expected, abs=0.01)
    if ratio > 1:  # many more different-person pairs push the F1 optimum up
        assert expected > 0.45


def test_threshold_needs_both_samples_and_a_known_rule() -> None:
    with pytest.raises(EvaluationError):
        choose_threshold([0.5], [], "eer")
    with pytest.raises(ConfigError):
        choose_threshold([0.5], [0.1], "best")


def test_overlap_coefficient_bounds() -> None:
    same, diff = _scores()
    assert overlap_coefficient(same, same) == pytest.approx(1.0)
    assert overlap_coefficient(same + 10, diff) == pytest.approx(0.0)
    assert 0.0 < overlap_coefficient(same, diff) < 0.05


def test_calibrate_on_synthetic_people_separates_them() -> None:
    rng = np.random.default_rng(3)
    base = l2_normalize(rng.normal(size=(6, 64)))
    person = np.repeat(np.arange(6), 40)
    emb = l2_normalize(base[person] + 0.05 * rng.normal(size=(person.size, 64)))
    crops = LabelledCrops(emb.astype(np.float32), person.astype(np.int64), np.tile(np.arange(40.0), 6))
    assert len(make_segments(crops, segment=8).prototypes) == 30
    cal = calibrate(crops, segment=8, min_gap_s=8.0)
    report = cal.to_json()
    assert report["track_level"]["same_mean"] > 0.8
    assert report["track_level"]["different_mean"] < 0.2
    assert 0.2 < report["threshold"] < 0.8 and report["rule"] == "f1"
    assert set(report["alternatives"]) == {"eer", "fmr"}


def test_pets09_reentries_map_to_one_person() -> None:
    persons = known_persons("PETS09-S2L1")
    assert to_persons([19, 1, 8, 14, 15, 18, 7], persons).tolist() == [19, 19, 15, 15, 15, 15, 7]
    assert len(set(persons.values()) | ({7, 16, 17})) == 10
    assert known_persons("TUD-Campus") == {}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", "reid:\n  threshold: 0.437  # pictag calibrate\n"),
        ("cameras: []\n", "cameras: []\nreid:\n  threshold: 0.437  # pictag calibrate\n"),
        (
            "reid:\n  model: intel/x  # mine\n",
            "reid:\n  threshold: 0.437  # pictag calibrate\n  model: intel/x  # mine\n",
        ),
        (
            "# top\nreid:\n    threshold: 0.5 # old\n    enabled: true\nstorage:\n  path: a.db\n",
            "# top\nreid:\n    threshold: 0.437  # old\n    enabled: true\nstorage:\n  path: a.db\n",
        ),
    ],
)
def test_set_reid_threshold_keeps_the_rest(before: str, after: str) -> None:
    assert set_reid_threshold(before, 0.437) == after


def test_set_reid_threshold_refuses_flow_style() -> None:
    with pytest.raises(ConfigError):
        set_reid_threshold("reid: {threshold: 0.5}\n", 0.4)


def test_write_threshold_validates_and_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "pictag.yaml"
    path.write_text("# my shop\nreid:\n  threshold: 0.5\nprivacy:\n  cross_day_reid: true\n", encoding="utf-8")
    write_threshold(path, 0.4371)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["reid"]["threshold"] == 0.4371 and data["privacy"]["cross_day_reid"] is True
    assert path.read_text(encoding="utf-8").startswith("# my shop\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("reid:\n  threshold: 0.5\nnot_a_section: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        write_threshold(bad, 0.4)
    assert "0.5" in bad.read_text(encoding="utf-8")
