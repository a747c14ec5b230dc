"""`pictag eval reid-loso` end to end on a tiny model: fold structure, no held-out scene in training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pictag.cli.main import main

pytest.importorskip("torch", reason="needs torch (pip install 'pictag[train]')")

UNLABELLED = "gif-store-aisle-detection"


@pytest.fixture(scope="module")
def loso_run(asset, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    asset("vtest.avi")  # fails clearly (CI) or skips when the assets are missing
    work = tmp_path_factory.mktemp("loso")
    out = work / "loso.json"
    argv = [
        "eval", "reid-loso", "--max-frames", "4", "--steps", "3", "--views", "2", "--layers", "6",
        "--unlabelled", UNLABELLED, "--work-dir", str(work), "--json", str(out), "--markdown", str(work / "loso.md"),
    ]  # fmt: skip
    assert main(argv) == 0
    return json.loads(out.read_text()), work


def test_one_fold_per_labelled_scene_with_references(loso_run) -> None:
    result, work = loso_run
    folds = {f["held_out"]: f for f in result["folds"]}
    assert set(folds) == {"pets", "tud"}
    for held, fold in folds.items():
        other = ({"pets", "tud"} - {held}).pop()
        assert fold["train_sources"] == [other, UNLABELLED]
        assert fold["train_identities"] > 0  # the other scene's labels are used
        for key in ("joint", "references"):
            assert fold[key]
        assert set(fold["references"]) == {"0287", "0288"}
        # the references were scored on the very queries the joint model was
        assert fold["references"]["0287"]["queries"] == fold["joint"]["queries"] > 0
        assert fold["map_vs_0287"] == pytest.approx(fold["joint"]["map"] / fold["references"]["0287"]["map"], abs=1e-4)
    table = (work / "loso.md").read_text()
    assert table.count("\n") == 4 and "| pets |" in table and "| tud |" in table


def test_the_held_out_scene_never_enters_its_training_set(loso_run) -> None:
    from pictag.models.joint_cache import LABELLED, SOURCES, FeatureConfig, ViewConfig, load_source
    from pictag.models.joint_train import JointRecipe, build_train_set
    from pictag.models.loso import FoldLeak, check_no_leak, make_folds

    result, work = loso_run
    for fold_result in result["folds"]:
        assert fold_result["held_out"] not in fold_result["train_samples"]
        assert fold_result["train_samples"][UNLABELLED] > 0
    cfg = FeatureConfig(
        layers=(6,), grids=((16, 8),), teachers=("0277", "0287"), max_frames=4, views=ViewConfig(views=2)
    )
    samples = {n: load_source(SOURCES[n], cfg, work / "joint") for n in (*LABELLED, UNLABELLED)}
    recipe = JointRecipe(levels=("l6_16x8",), views=2, unlabelled=(UNLABELLED,))
    for fold in make_folds(list(LABELLED), [UNLABELLED]):
        train = build_train_set(samples, fold.train_sources, recipe)
        held = samples[fold.held_out]
        assert fold.held_out not in train.names
        # every training sample comes from another source: none of the held-out scene's rows
        assert len(train) == sum(len(samples[n]) for n in fold.train_sources)
        assert len(train) > 0 and len(held) > 0
        check_no_leak(fold, train.names, train.source)
        # a training set that contained the held-out scene would be refused
        leaky = build_train_set(samples, (*fold.train_sources, fold.held_out), recipe)
        with pytest.raises(FoldLeak):
            check_no_leak(fold, leaky.names, leaky.source)
        assert np.isin(np.arange(len(leaky.names)), leaky.source).all()


def test_make_folds_needs_two_scenes() -> None:
    from pictag.errors import PictagError
    from pictag.models.loso import make_folds

    assert [f.held_out for f in make_folds(["pets", "tud"], ["x"])] == ["pets", "tud"]
    with pytest.raises(PictagError, match="at least 2"):
        make_folds(["pets"], [])
