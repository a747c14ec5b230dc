"""``reid.threshold: auto``: the model's own threshold, found in a fixed order, or a clear refusal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from pictag.config import ReidConfig
from pictag.errors import ConfigError
from pictag.reid.threshold import resolve_reid, resolve_threshold, shipped_table, sidecar_path, write_sidecar


def _tiny_ir(path: Path, threshold: float | None = None) -> Path:
    """A 1x3x8x4 → 1x4 model saved as IR, optionally carrying a calibrated threshold."""
    x = ops.parameter([1, 3, 8, 4], ov.Type.f32, name="x")
    pooled = ops.reduce_mean(x, ops.constant(np.array([2, 3], np.int64)), keep_dims=False)
    total = ops.reduce_sum(pooled, ops.constant(np.array([1], np.int64)), keep_dims=True)
    out = ops.concat([pooled, total], 1)
    model = ov.Model([out.output(0)], [x], "tiny")
    if threshold is not None:
        model.set_rt_info(str(threshold), "pictag_threshold")
        model.set_rt_info("pictag calibrate on test data", "pictag_threshold_source")
    ov.save_model(model, str(path))
    return path


def test_an_explicit_number_wins(tmp_path: Path) -> None:
    model = _tiny_ir(tmp_path / "m.xml", threshold=0.7)
    got = resolve_threshold(ReidConfig(model=str(model), threshold=0.3))
    assert got.value == 0.3 and "configuration" in got.source


def test_the_ir_carries_its_own_threshold(tmp_path: Path) -> None:
    model = _tiny_ir(tmp_path / "m.xml", threshold=0.71)
    got = resolve_threshold(ReidConfig(model=str(model)))
    assert got.value == pytest.approx(0.71) and "test data" in got.source


def test_a_calibrated_sidecar_beats_the_ir(tmp_path: Path) -> None:
    model = _tiny_ir(tmp_path / "m.xml", threshold=0.71)
    path = write_sidecar(model, 0.55512, "pictag calibrate on the shop's footage")
    assert path == sidecar_path(model) and json.loads(path.read_text())["threshold"] == 0.5551
    got = resolve_threshold(ReidConfig(model=str(model)))
    assert got.value == pytest.approx(0.5551) and str(path) in got.source


def test_the_shipped_table_covers_omz_0287(assets_dir: Path) -> None:
    entry = shipped_table()["intel/person-reidentification-retail-0287"]["f32"]
    got = resolve_threshold(ReidConfig(), str(assets_dir))
    assert got.value == entry["threshold"] and got.source == entry["source"]


def test_a_model_without_a_threshold_is_refused_with_what_to_do(tmp_path: Path) -> None:
    model = _tiny_ir(tmp_path / "m.xml")
    with pytest.raises(ConfigError) as err:
        resolve_threshold(ReidConfig(model=str(model)))
    assert "pictag calibrate" in str(err.value) and "reid.threshold" in str(err.value)
    assert "m.xml.threshold.json" in str(err.value)


def test_a_broken_sidecar_is_an_error_not_a_silent_default(tmp_path: Path) -> None:
    model = _tiny_ir(tmp_path / "m.xml", threshold=0.7)
    sidecar_path(model).write_text('{"threshold": 7}')
    with pytest.raises(ConfigError, match="outside -1..1"):
        resolve_threshold(ReidConfig(model=str(model)))


def test_reid_off_needs_no_threshold(tmp_path: Path) -> None:
    model = _tiny_ir(tmp_path / "m.xml")
    reid, resolved = resolve_reid(ReidConfig(model=str(model), enabled=False))
    assert reid.threshold == 0.0 and "off" in resolved.source
