"""Fixtures: tiny real OpenVINO IRs in the Ultralytics v8/v11 detection layout (opset API).

Each pyramid level average-pools the image by its stride and a 1x1 convolution
turns the pooled RGB mean into ``4 + nc`` rows: the box rows are a constant
(``box`` = cx, cy, w, h in input pixels, the same for every anchor), class 0
scores the brightness of the cell (mean of RGB in 0..1) and class 1, if any,
its darkness (1 - mean). So a white frame yields one box of class 0 with
score 1.0 where the box constant says, a black frame one of class 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as opset
import pytest
import yaml

STRIDES = (8, 16, 32)


def build_model(
    size: int,
    num_classes: int = 1,
    box: tuple[float, float, float, float] = (160.0, 160.0, 100.0, 100.0),
    strides: tuple[int, ...] = STRIDES,
    quantize: bool = False,
) -> ov.Model:
    """A static ``1x3xSxS -> 1x(4+nc)xN`` model (see the module docstring)."""
    x = opset.parameter([1, 3, size, size], np.float32, name="images")
    src = x.output(0)
    if quantize:
        lo, hi = opset.constant(np.float32(0.0)), opset.constant(np.float32(1.0))
        src = opset.fake_quantize(src, lo, hi, lo, hi, 256).output(0)
    rows = 4 + num_classes
    weight = np.zeros((rows, 3, 1, 1), np.float32)
    bias = np.zeros((1, rows, 1, 1), np.float32)
    bias[0, :4, 0, 0] = box
    weight[4, :, 0, 0] = 1.0 / 3.0
    if num_classes > 1:
        weight[5, :, 0, 0] = -1.0 / 3.0
        bias[0, 5, 0, 0] = 1.0
    levels = []
    for s in strides:
        pooled = opset.avg_pool(src, [s, s], [0, 0], [0, 0], [s, s], exclude_pad=True)
        conv = opset.convolution(pooled, opset.constant(weight), [1, 1], [0, 0], [0, 0], [1, 1])
        head = opset.add(conv, opset.constant(bias))
        levels.append(opset.reshape(head, opset.constant(np.array([1, rows, -1], np.int64)), special_zero=False))
    out = opset.concat(levels, axis=2)
    return ov.Model([out.output(0)], [x], "synthetic_yolo")


def write_export(
    folder: Path,
    model: ov.Model,
    names: dict[int, str],
    imgsz: int,
    *,
    stride: int = 32,
    task: str = "detect",
) -> Path:
    """Save ``model`` as an Ultralytics-style export folder (xml/bin + metadata.yaml)."""
    folder.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(folder / "synthetic.xml"), compress_to_fp16=False)
    meta = {"task": task, "stride": stride, "imgsz": [imgsz, imgsz], "names": names, "batch": 1}
    (folder / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def build_yolo():
    """`build_model` (see the module docstring)."""
    return build_model


@pytest.fixture(scope="session")
def write_yolo_export():
    """`write_export`: save a model as an Ultralytics-style export folder."""
    return write_export
