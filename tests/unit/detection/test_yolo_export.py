"""Ultralytics export handling: metadata, layout checks with clear errors, static resizing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as opset
import pytest

from pictag.config.detector import DetectorConfig
from pictag.detection import YoloOpenVINODetector
from pictag.detection.ultralytics_ir import (
    anchor_count,
    anchor_grid,
    locate_export,
    read_metadata,
    resize_static_export,
)
from pictag.errors import ModelError


def test_anchor_count_and_grid_match_ultralytics() -> None:
    assert anchor_count(640, (8, 16, 32)) == 8400
    assert anchor_count(416, (8, 16, 32)) == 3549
    points, strides = anchor_grid(64, (8, 16, 32))
    assert points.shape == (2, 84) and strides.shape == (1, 84)
    np.testing.assert_array_equal(points[:, :3], [[0.5, 1.5, 2.5], [0.5, 0.5, 0.5]])  # row-major, x first
    np.testing.assert_array_equal(points[:, 8], [0.5, 1.5])  # second row of level 0
    assert strides[0, 63] == 8 and strides[0, 64] == 16 and strides[0, 83] == 32


def test_metadata_of_the_shared_export(asset) -> None:
    xml, meta = locate_export(asset("yolo11n_int8_openvino_model"))
    md = read_metadata(meta)
    assert xml.name == "yolo11n.xml"
    assert md.names[0] == "person" and len(md.names) == 80
    assert md.imgsz == (640, 640) and md.strides == (8, 16, 32)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("names: {0: person}\nstride: 32\n", "lacks"),
        ("names: {0: person}\nstride: 32\nimgsz: 640\ntask: segment\n", "task=segment"),
        ("names: 5\nstride: 32\nimgsz: 640\n", "names"),
        ("names: [a, b]\nstride: 32\nimgsz: [1, 2, 3]\n", "imgsz"),
        ("- just\n- a list\n", "not a mapping"),
    ],
)
def test_bad_metadata_is_a_model_error(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_text(content)
    with pytest.raises(ModelError, match=match):
        read_metadata(path)


def test_names_as_a_list_and_imgsz_as_int(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_text("names: [person, bag]\nstride: 64\nimgsz: 1280\n")
    md = read_metadata(path)
    assert md.names == {0: "person", 1: "bag"} and md.imgsz == (1280, 1280) and md.strides == (8, 16, 32, 64)


def test_missing_metadata_names_the_path(tmp_path: Path, build_yolo) -> None:
    ov.save_model(build_yolo(64), str(tmp_path / "m.xml"))
    with pytest.raises(ModelError, match=r"metadata.yaml missing.*m"):
        locate_export(tmp_path)


def test_folder_with_two_models_is_ambiguous(tmp_path: Path, build_yolo) -> None:
    for name in ("a.xml", "b.xml"):
        ov.save_model(build_yolo(64), str(tmp_path / name))
    with pytest.raises(ModelError, match="exactly one .xml"):
        locate_export(tmp_path)


def _wrong_rows_model(size: int, build_yolo) -> ov.Model:
    return build_yolo(size, num_classes=1)  # 5 rows, but the metadata below says 80 classes


def _wrong_columns_model(size: int, build_yolo) -> ov.Model:
    x = opset.parameter([1, 3, size, size], np.float32, name="images")
    pooled = opset.avg_pool(x, [8, 8], [0, 0], [0, 0], [8, 8], exclude_pad=True)  # only the stride-8 level
    conv = opset.convolution(
        pooled, opset.constant(np.zeros((84, 3, 1, 1), np.float32)), [1, 1], [0, 0], [0, 0], [1, 1]
    )
    out = opset.reshape(conv, opset.constant(np.array([1, 84, -1])), special_zero=False)
    return ov.Model([out.output(0)], [x], "one_level")


def _end2end_model(size: int, build_yolo) -> ov.Model:
    x = opset.parameter([1, 3, size, size], np.float32, name="images")
    out = opset.add(
        opset.constant(np.zeros((1, 300, 6), np.float32)),
        opset.reduce_mean(x, [1, 2, 3], keep_dims=True),
    )
    return ov.Model([opset.reshape(out, opset.constant(np.array([1, 300, 6])), False).output(0)], [x], "end2end")


@pytest.mark.parametrize(
    ("builder", "actual"),
    [
        (_wrong_rows_model, "actual=[1,5,189]"),
        (_wrong_columns_model, "actual=[1,84,144]"),
        (_end2end_model, "actual=[1,300,6]"),
    ],
)
def test_wrong_output_layout_is_a_model_error(
    tmp_path: Path, write_yolo_export, build_yolo, builder, actual: str
) -> None:
    expected = "expected=[1,84,189]"  # 4 box rows + 80 classes, 12*12 + 6*6 + 3*3 anchors at 96
    names = {i: f"c{i}" for i in range(80)}
    folder = write_yolo_export(tmp_path / "m", builder(96, build_yolo), names, imgsz=96)
    config = DetectorConfig(input_size=96, precision="f32", classes=[0])
    with pytest.raises(ModelError) as info:
        YoloOpenVINODetector(folder, config)
    text = str(info.value)
    assert expected in text and actual in text and "synthetic.xml" in text


def test_wrong_input_layout_is_a_model_error(tmp_path: Path, write_yolo_export) -> None:
    x = opset.parameter([1, 96, 96, 3], np.float32, name="nhwc")
    model = ov.Model([opset.relu(x).output(0)], [x], "nhwc")
    folder = write_yolo_export(tmp_path / "m", model, {0: "person"}, imgsz=96)
    with pytest.raises(ModelError, match=r"expected=\[1,3,H,W\] actual=\[1,96,96,3\]"):
        YoloOpenVINODetector(folder, DetectorConfig(input_size=96, precision="f32"))


def test_static_export_resizes_to_other_sizes(asset) -> None:
    xml, _ = locate_export(asset("yolo11n_int8_openvino_model"))
    for size, anchors in [(416, 3549), (320, 2100), (800, 13125)]:
        model = ov.Core().read_model(xml)
        resize_static_export(model, size, (8, 16, 32), xml)
        assert list(model.input(0).get_shape()) == [1, 3, size, size]
        assert list(model.output(0).get_shape()) == [1, 84, anchors]


def test_plain_reshape_of_the_static_export_fails_so_the_rewrite_is_needed(asset) -> None:
    xml, _ = locate_export(asset("yolo11n_int8_openvino_model"))
    model = ov.Core().read_model(xml)
    with pytest.raises(RuntimeError):
        model.reshape({model.input(0): ov.PartialShape([1, 3, 416, 416])})


def test_size_must_be_a_multiple_of_the_stride(tmp_path: Path, build_yolo) -> None:
    model = build_yolo(64)
    with pytest.raises(ModelError, match="multiple of the model stride 64"):
        resize_static_export(model, 96, (8, 16, 32, 64), tmp_path / "m.xml")


def test_unknown_size_dependent_constant_is_refused(tmp_path: Path, build_yolo) -> None:
    # A constant with the anchor count that is not an anchor grid: resizing would silently break it.
    base = build_yolo(96)
    out = base.output(0).get_node()
    weird = opset.multiply(out, opset.constant(np.full((1, 1, 189), 2.0, np.float32)))
    model = ov.Model([weird.output(0)], base.get_parameters(), "weird")
    with pytest.raises(ModelError, match="not an anchor grid"):
        resize_static_export(model, 128, (8, 16, 32), tmp_path / "m.xml")


def test_ambiguous_dimension_is_refused(tmp_path: Path, build_yolo) -> None:
    # At 64 px, 4 is both the stride-16 side and the stride-32 area: a Reshape to [1, 4, 4, ...]
    # cannot be rewritten without guessing.
    x = opset.parameter([1, 3, 64, 64], np.float32, name="images")
    pooled = opset.avg_pool(x, [16, 16], [0, 0], [0, 0], [16, 16], exclude_pad=True)  # 1x3x4x4
    out = opset.reshape(pooled, opset.constant(np.array([1, 3, 4, 4])), special_zero=False)
    model = ov.Model([out.output(0)], [x], "ambiguous")
    with pytest.raises(ModelError, match="ambiguous dimension 4"):
        resize_static_export(model, 128, (8, 16, 32), tmp_path / "m.xml")
