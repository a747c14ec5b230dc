"""`pictag models export` and `pictag models quantize` on a YOLO11n built from its yaml (no download)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from pictag.cli.main import main
from pictag.models.backbone import add_feature_outputs
from tests.conftest import require_module


@pytest.fixture(scope="module", autouse=True)
def _training_extra() -> None:
    """Fails in CI (the training extra is part of the test install), skips elsewhere."""
    for module in ("torch", "ultralytics", "nncf"):
        require_module(module, "pip install 'pictag[train]'")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("export")
    out = work / "yolo11n_openvino_model"
    monkey_cwd = Path.cwd()
    import os

    os.chdir(work)  # Ultralytics writes next to the checkpoint / into the cwd
    try:
        assert main(["models", "export", "yolo11n.yaml", "--out", str(out), "--imgsz", "320"]) == 0
    finally:
        os.chdir(monkey_cwd)
    return out


def test_export_gives_an_ir_the_runtime_and_reid_cut_accept(exported: Path) -> None:
    xml = next(exported.glob("*.xml"))
    assert (exported / "metadata.yaml").exists()
    model = ov.Core().read_model(str(xml))
    assert tuple(model.outputs[0].get_partial_shape().to_shape()) == (1, 84, 2100)
    with_features = add_feature_outputs(model, (6,))
    compiled = ov.Core().compile_model(with_features, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    outs = compiled(np.zeros((1, 3, 320, 320), np.float32))
    assert outs[1].shape == (1, 128, 20, 20)


def test_quantize_with_frames_of_a_video(exported: Path, asset, tmp_path: Path) -> None:
    report = tmp_path / "q.json"
    argv = [
        "models",
        "quantize",
        str(exported),
        "--video",
        str(asset("vtest.avi")),
        "--out",
        str(tmp_path / "int8"),
        "--frames",
        "12",
        "--json",
        str(report),
    ]
    assert main(argv) == 0
    result = json.loads(report.read_text())
    int8 = ov.Core().read_model(result["ir"])
    assert any(op.get_type_name() == "FakeQuantize" for op in int8.get_ordered_ops())
    agreement = result["agreement_with_fp32"]
    assert 0.0 <= agreement["recall"] <= 1.0 and 0.0 <= agreement["precision"] <= 1.0
