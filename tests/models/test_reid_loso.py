"""`pictag eval reid-loso` end to end on a tiny model: fold structure, no held-out scene in training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pictag.cli.main import main
from tests.conftest import require_module


@pytest.fixture(scope="module", autouse=True)
def _training_extra() -> None:
    require_module("torch", "pip install 'pictag[train]'")


UNLABELLED = "gif-store-aisle-detection"


@pytest.fixture(scope="module")
def loso_run(asset, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    asset("vtest.avi")  # fails clearly (CI) or skips when the assets are missing
    work = tmp_path_factory.mktemp("loso")
    out = work / "loso.json"
    argv = [
        "eval", "reid-loso", "--max-frames", "4", "--steps", "3", "--views", "2", "--layers", "6",
        "--unlabelled", UNLABELLED, "--work-dir", str(work), "--json", str(out), "--markdown", str(work / "loso.md"),
        "--diagnose",
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
        # diagnosis: student-teacher agreement on the held-out scene and every training source
        assert set(fold["diagnosis"]["student_teacher_cosine"]) == {held, other, UNLABELLED}
        assert 0.0 <= fold["diagnosis"]["centred_map"] <= 1.0
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


def test_train_reid_joint_exports_the_runtime_contract(asset, loso_run, tmp_path: Path) -> None:
    """A two-layer joint IR: inputs, rt_info, numpy path = IR, calibrated threshold written into it."""
    import openvino as ov

    from pictag.models.joint_export import JointFrameEmbedder
    from pictag.reid.joint_head import JointHead, joint_layers, joint_threshold

    _, work = loso_run
    out = tmp_path / "out"
    argv = [
        "train", "reid-joint", "--max-frames", "4", "--steps", "3", "--views", "2", "--layers", "4,6",
        "--unlabelled", UNLABELLED, "--work-dir", str(work), "--out", str(out), "--name", "tiny-joint", "--folds",
    ]  # fmt: skip
    assert main(argv) == 0
    xml = out / "tiny-joint.xml"
    assert (out / "tiny-joint.pt").exists() and (out / "tiny-joint-without-pets.xml").exists()
    core = ov.Core()
    model = core.read_model(str(xml))
    assert [i.get_any_name() for i in model.inputs] == ["features_0", "features_1", "boxes"]
    assert [list(i.get_partial_shape().to_shape()) for i in model.inputs[:2]] == [[1, 128, 80, 80], [1, 128, 40, 40]]
    assert joint_layers(model) == (4, 6) and joint_threshold(model) is None
    # the runtime's numpy RoIAlign + cut head gives the IR's own output on real detector maps
    rng = np.random.default_rng(0)
    maps = [rng.random((1, 128, 80, 80), np.float32), rng.random((1, 128, 40, 40), np.float32)]
    boxes = np.array([[100, 50, 160, 300], [300, 200, 340, 290]], np.float32)
    want = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})({0: maps[0], 1: maps[1], 2: boxes})[0]
    got = JointHead(xml)([m[0].transpose(1, 2, 0) for m in maps], boxes)
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # calibration from frames, threshold written into the IR
    detector = asset("yolo11n_int8_openvino_model") / "yolo11n.xml"
    assert JointFrameEmbedder(xml, detector).embed(np.zeros((480, 640, 3), np.uint8), boxes).shape == (2, 256)
    argv = [
        "calibrate", "--video", str(asset("TUD-Campus.mp4")), "--gt", str(asset("mot/TUD-Campus/gt/gt.txt")),
        "--joint-model", str(xml), "--max-frames", "30", "--min-gap", "0.2", "--segment", "4",
        "--write-threshold-to", str(xml),
    ]  # fmt: skip
    assert main(argv) == 0
    threshold = joint_threshold(core.read_model(str(xml)))
    assert threshold is not None and -1.0 <= threshold[0] <= 1.0
    assert "pictag calibrate" in threshold[1] and "TUD-Campus.mp4" in threshold[1]
