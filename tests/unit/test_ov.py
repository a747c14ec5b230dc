"""OpenVINO helpers: clear errors on bad files, explicit compile settings, quantisation check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as opset
import pytest

from pictag.errors import ModelError
from pictag.ov import compile_model, is_quantized, read_ir


def _tiny(quantize: bool = False) -> ov.Model:
    x = opset.parameter([1, 3, 8, 8], np.float32, name="x")
    src = x.output(0)
    if quantize:
        lo, hi = opset.constant(np.float32(0.0)), opset.constant(np.float32(1.0))
        src = opset.fake_quantize(src, lo, hi, lo, hi, 256).output(0)
    return ov.Model([opset.relu(src).output(0)], [x], "tiny")


def test_read_ir_round_trip(tmp_path: Path) -> None:
    ov.save_model(_tiny(), str(tmp_path / "tiny.xml"))
    model = read_ir(tmp_path / "tiny.xml", ov.Core())
    assert list(model.input(0).get_shape()) == [1, 3, 8, 8]


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model file not found: path=.*nothing\.xml"):
        read_ir(tmp_path / "nothing.xml")


def test_missing_weights_name_the_bin(tmp_path: Path) -> None:
    ov.save_model(_tiny(), str(tmp_path / "tiny.xml"))
    (tmp_path / "tiny.bin").unlink()
    with pytest.raises(ModelError, match=r"tiny\.bin"):
        read_ir(tmp_path / "tiny.xml")


def test_unparsable_file_names_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<net><this is not an IR")
    bad.with_suffix(".bin").write_bytes(b"")
    with pytest.raises(ModelError, match=r"cannot read model: path=.*bad\.xml"):
        read_ir(bad)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"precision": "f32"},
            {"INFERENCE_PRECISION_HINT": "float32", "PERFORMANCE_HINT": "latency"},
        ),
        ({"precision": "f32", "num_threads": 1}, {"INFERENCE_NUM_THREADS": "1"}),
        (
            {"hint": "THROUGHPUT", "num_requests": 2},
            {"PERFORMANCE_HINT": "throughput", "NUM_STREAMS": "2"},
        ),
    ],
)
def test_compile_sets_the_hints(kwargs: dict, expected: dict[str, str]) -> None:
    compiled = compile_model(_tiny(), core=ov.Core(), **kwargs)
    for key, value in expected.items():
        assert value in str(compiled.get_property(key)).lower(), key
    out = compiled({0: np.full((1, 3, 8, 8), -1.0, np.float32)})[0]
    assert float(out.max()) == 0.0


def test_compile_on_an_unknown_device_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="device=NO_SUCH_DEVICE"):
        compile_model(_tiny(), device="NO_SUCH_DEVICE")


def test_is_quantized() -> None:
    assert is_quantized(_tiny(quantize=True))
    assert not is_quantized(_tiny())


def test_the_shared_yolo_ir_is_quantized(asset) -> None:
    xml = next(asset("yolo11n_int8_openvino_model").glob("*.xml"))
    assert is_quantized(read_ir(xml))
