"""`pictag bench joint`: the fast joint-mode path gives the shipped joint IR's embeddings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from pictag.bench.joint import BucketedHead, head_after_roi_align, joint_model_path
from pictag.cli.main import main


def test_bench_joint_reports_both_paths_and_they_agree(asset, tmp_path: Path, capsys) -> None:
    out = tmp_path / "joint.json"
    code = main(
        ["bench", "joint", "--source", str(asset("vtest.avi")), "--rounds", "2", "--frames", "2", "--json", str(out)]
    )
    assert code == 0
    result = json.loads(out.read_text())["joint"]
    assert result["persons"] == 10 and result["layer"] == 6 and result["input_size"] == 640
    # the numpy RoIAlign + static head reproduces the exported joint IR on real frames and boxes
    assert result["numpy_path_min_cosine"] > 0.9999
    for key in ("detector_ms", "roi_head_ms", "roi_align_numpy_ms", "head_ms", "joint_added_ms"):
        assert result[key] > 0, key
    assert result["joint_added_ms"] == min(result["joint_added_graph_ms"], result["joint_added_numpy_ms"])
    assert result["goal_met"] == (result["joint_added_ms"] <= 1.0)
    assert set(result["crop_mode_ms"]) == {"pictag/reid-lite", "intel/person-reidentification-retail-0287"}
    assert "joint mode adds" in capsys.readouterr().out


def test_bucketed_head_pads_and_trims() -> None:
    core = ov.Core()
    head, settings = head_after_roi_align(core.read_model(str(joint_model_path("pictag-lite-joint"))))
    assert settings["output_hw"] == (16, 8) and settings["aligned_mode"] == "half_pixel_for_nn"
    bucketed = BucketedHead(core, head)
    assert [bucketed.bucket(n) for n in (1, 4, 5, 10, 17)] == [4, 4, 8, 16, 32]
    pooled = np.random.default_rng(0).standard_normal((5, 16, 8, 128)).astype(np.float32)
    alone = np.concatenate([bucketed(pooled[i : i + 1]) for i in range(5)])
    together = bucketed(pooled)
    assert together.shape == (5, 256)
    np.testing.assert_allclose(together, alone, atol=1e-5)  # padding never leaks into real rows


def test_a_missing_joint_model_is_named(asset, tmp_path: Path) -> None:
    from pictag.bench.joint import bench_joint
    from pictag.errors import ModelError

    with pytest.raises(ModelError, match="no joint-mode re-id IR"):
        bench_joint([np.zeros((64, 64, 3), np.uint8)], joint_model=str(tmp_path / "nope.xml"))


def test_bench_joint_times_several_joint_irs_interleaved(asset, tmp_path: Path) -> None:
    out = tmp_path / "joint.json"
    argv = ["bench", "joint", "--source", str(asset("vtest.avi")), "--rounds", "1", "--frames", "1", "--json", str(out)]
    assert main([*argv, "--model", "pictag-lite-joint", "--model", "pictag-joint"]) == 0
    result = json.loads(out.read_text())["joint"]
    candidates = result["candidates"]
    assert list(candidates) == ["pictag-lite-joint", "pictag-joint"]
    assert candidates["pictag-lite-joint"]["layers"] == [6] and candidates["pictag-joint"]["layers"] == [2]
    for c in candidates.values():
        assert c["numpy_path_min_cosine"] > 0.9999 and c["joint_added_numpy_ms"] > 0
    assert result["joint_added_ms"] == candidates["pictag-lite-joint"]["joint_added_ms"]
