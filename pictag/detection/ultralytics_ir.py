"""Ultralytics YOLO detection exports in OpenVINO IR: find, describe, check and resize them.

An Ultralytics ``format=openvino`` export is a folder with ``<name>.xml``,
``<name>.bin`` and ``metadata.yaml`` (class ``names``, max ``stride``,
``imgsz``, ``task``). The v8/v11 detection head has one output
``1 x (4 + nc) x N``: rows 0-3 are box centre x, y, width, height in input
pixels, rows 4.. the per-class scores (already sigmoid), and N is the number of
anchor points over the levels (strides 8, 16, 32 — plus 64 for P6 models),
8400 at 640.

A *static* export (``dynamic=False``, the usual case) has its input size baked
into Reshape targets and into the anchor-point and stride constants, so plain
``model.reshape`` fails. `resize_static_export` rewrites exactly those,
checking that each size-dependent constant is what Ultralytics generates before
replacing it; anything it does not recognise is a `ModelError` asking for a
re-export at the wanted size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import openvino as ov
import openvino.opset13 as opset
import yaml

from pictag.errors import ModelError

METADATA_FILE = "metadata.yaml"
#: Rows before the class scores in the v8/v11 output: cx, cy, w, h.
BOX_ROWS = 4


@dataclass(frozen=True)
class ExportMetadata:
    """What ``metadata.yaml`` says about an export.

    Attributes:
        names: class index -> name.
        stride: the largest stride (32 for P3-P5 models, 64 for P6).
        imgsz: exported input size as (height, width).
        task: Ultralytics task (only ``detect`` is supported).
    """

    names: dict[int, str]
    stride: int
    imgsz: tuple[int, int]
    task: str

    @property
    def strides(self) -> tuple[int, ...]:
        """Per-level strides of the detection head: 8, 16, ... up to ``stride``."""
        out: list[int] = []
        s = 8
        while s <= self.stride:
            out.append(s)
            s *= 2
        return tuple(out)


def locate_export(path: str | Path) -> tuple[Path, Path]:
    """The ``.xml`` and ``metadata.yaml`` of an export given as its folder or its ``.xml``.

    Raises:
        ModelError: no single ``.xml`` in the folder, or no ``metadata.yaml`` beside it.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        xmls = sorted(p.glob("*.xml"))
        if len(xmls) != 1:
            found = [x.name for x in xmls] or "none"
            raise ModelError(
                f"expected exactly one .xml in the export folder: path={p} found={found} "
                "(point detector.model at the .xml)"
            )
        xml = xmls[0]
    elif p.suffix == ".xml" and p.is_file():
        xml = p
    else:
        raise ModelError(f"not an OpenVINO export folder or .xml: path={p}")
    meta = xml.parent / METADATA_FILE
    if not meta.is_file():
        raise ModelError(
            f"{METADATA_FILE} missing next to the model: path={meta} "
            "(use the whole folder written by Ultralytics `export(format='openvino')`)"
        )
    return xml, meta


def _imgsz(value: Any, path: Path) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    if isinstance(value, Sequence) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    raise ModelError(f"metadata imgsz must be an int or [h, w]: path={path} imgsz={value!r}")


def _names(value: Any, path: Path) -> dict[int, str]:
    if isinstance(value, dict):
        try:
            return {int(k): str(v) for k, v in value.items()}
        except (TypeError, ValueError):
            pass
    elif isinstance(value, list):
        return {i: str(v) for i, v in enumerate(value)}
    raise ModelError(f"metadata names must map class index to name: path={path} names={str(value)[:80]!r}")


def read_metadata(path: str | Path) -> ExportMetadata:
    """Parse an Ultralytics ``metadata.yaml``.

    Raises:
        ModelError: unreadable YAML, missing keys, or a task other than ``detect``.
    """
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ModelError(f"cannot read export metadata: path={p} reason={err}") from None
    if not isinstance(raw, dict):
        raise ModelError(f"export metadata is not a mapping: path={p}")
    missing = [k for k in ("names", "stride", "imgsz") if k not in raw]
    if missing:
        raise ModelError(f"export metadata lacks {missing}: path={p} (re-export with Ultralytics)")
    task = str(raw.get("task", "detect"))
    if task != "detect":
        raise ModelError(f"only detection exports are supported: path={p} task={task} (export a detect model)")
    stride = raw["stride"]
    if isinstance(stride, list):  # very old exports list per-level strides
        stride = max(stride)
    return ExportMetadata(names=_names(raw["names"], p), stride=int(stride), imgsz=_imgsz(raw["imgsz"], p), task=task)


#: An input size: a square side, or ``(height, width)``.
InputSize = int | tuple[int, int]


def _hw(size: InputSize) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def anchor_count(size: InputSize, strides: Sequence[int]) -> int:
    """Number of anchor points (output columns) of a ``size`` input (square side or ``(h, w)``)."""
    h, w = _hw(size)
    return sum((h // s) * (w // s) for s in strides)


def anchor_grid(size: InputSize, strides: Sequence[int]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Ultralytics' anchor points and strides for an input (square side or ``(h, w)``).

    Returns:
        ``(2, N)`` cell centres (x, y) in grid units and ``(1, N)`` per-anchor strides, levels
        concatenated finest first, row-major within a level (as ``make_anchors`` builds them).
    """
    h, w = _hw(size)
    points, stride_rows = [], []
    for s in strides:
        ys, xs = np.meshgrid(np.arange(h // s) + 0.5, np.arange(w // s) + 0.5, indexing="ij")
        points.append(np.stack([xs.ravel(), ys.ravel()]))
        stride_rows.append(np.full((h // s) * (w // s), float(s)))
    return np.concatenate(points, axis=1), np.concatenate(stride_rows)[None, :]


def check_input(model: ov.Model, xml: Path) -> None:
    """Raise `ModelError` unless the model has one ``1 x 3 x H x W`` image input."""
    if len(model.inputs) != 1:
        raise ModelError(f"expected 1 input (image), got {len(model.inputs)}: path={xml}")
    shape = model.input(0).get_partial_shape()
    ok = shape.rank.is_static and shape.rank.get_length() == 4 and shape[1].compatible(ov.Dimension(3))
    if not ok:
        raise ModelError(f"unexpected input shape: path={xml} expected=[1,3,H,W] actual={shape}")


def check_output(model: ov.Model, num_classes: int, size: InputSize, strides: Sequence[int], xml: Path) -> None:
    """Raise `ModelError` unless output 0 is the v8/v11 ``1 x (4+nc) x N`` detection layout."""
    shape = model.output(0).get_partial_shape()
    n = anchor_count(size, strides)
    expected = f"[1,{BOX_ROWS + num_classes},{n}]"
    hint = (
        "an Ultralytics v8/v11 detection export with nms=False and metadata names matching the "
        "model's classes is required"
    )
    if shape.rank.is_dynamic or shape.rank.get_length() != 3:
        raise ModelError(f"unexpected output shape: path={xml} expected={expected} actual={shape} ({hint})")
    rows, cols = shape[1], shape[2]
    if (
        not rows.compatible(ov.Dimension(BOX_ROWS + num_classes))
        or not cols.compatible(ov.Dimension(n))
        or not shape[0].compatible(ov.Dimension(1))
    ):
        raise ModelError(f"unexpected output shape: path={xml} expected={expected} actual={shape} ({hint})")


@dataclass(frozen=True)
class _SizeMap:
    """Old -> new values of every size-dependent dimension of a static export.

    A square export's per-level side ``n`` becomes the level's height where it is the
    second-to-last dimension of a Reshape target and its width where it is the last (row-major
    feature maps); areas and the total anchor count map to their new products. A value that
    means two different things (a side of one level equal to the area of another, at tiny
    sizes) maps to None: it cannot be rewritten safely.
    """

    sides: dict[int, tuple[int, int] | None]
    flat: dict[int, int | None]

    @classmethod
    def of(cls, old: int, new: InputSize, strides: Sequence[int]) -> _SizeMap:
        h, w = _hw(new)
        sides: dict[int, tuple[int, int] | None] = {}
        flat: dict[int, int | None] = {}
        for s in strides:
            side, new_side = old // s, (h // s, w // s)
            sides[side] = new_side if sides.get(side, new_side) == new_side else None
            area, new_area = (old // s) ** 2, (h // s) * (w // s)
            flat[area] = new_area if flat.get(area, new_area) == new_area else None
        total, new_total = anchor_count(old, strides), anchor_count(new, strides)
        flat[total] = new_total if flat.get(total, new_total) == new_total else None
        for value in set(sides) & set(flat):
            sides[value] = flat[value] = None
        return cls(sides, flat)

    def dim(self, value: int, index: int, rank: int, xml: Path) -> int:
        """The new value of dimension ``index`` of a Reshape target of ``rank`` dims."""
        if value in self.sides and index >= rank - 2:
            side = self.sides[value]
            if side is None:
                raise ModelError(
                    f"cannot resize this static export: path={xml} ambiguous dimension {value} "
                    "(re-export at the wanted size)"
                )
            return side[0] if index == rank - 2 else side[1]
        if value in self.flat:
            new = self.flat[value]
            if new is None:
                raise ModelError(
                    f"cannot resize this static export: path={xml} ambiguous dimension {value} "
                    "(re-export at the wanted size)"
                )
            return new
        return value


def _replace_constant(node: ov.Node, data: npt.NDArray[Any]) -> None:
    new = opset.constant(data)
    new.set_friendly_name(node.get_friendly_name())
    for target in list(node.output(0).get_target_inputs()):
        target.replace_source_output(new.output(0))


def _rewrite_anchor_constant(node: ov.Node, old: int, new: InputSize, strides: Sequence[int], xml: Path) -> None:
    data = node.get_data()
    n_old = anchor_count(old, strides)
    points, stride_row = anchor_grid(old, strides)
    flat = data.astype(np.float64).reshape(-1, n_old)
    new_points, new_strides = anchor_grid(new, strides)
    n_new = new_points.shape[1]
    shape = [n_new if d == n_old else d for d in data.shape]
    if flat.shape == points.shape and np.array_equal(flat, points):
        _replace_constant(node, new_points.astype(data.dtype).reshape(shape))
    elif flat.shape == stride_row.shape and np.array_equal(flat, stride_row):
        _replace_constant(node, new_strides.astype(data.dtype).reshape(shape))
    else:
        raise ModelError(
            f"cannot resize this static export: path={xml} constant={node.get_friendly_name()} "
            f"shape={list(data.shape)} depends on the input size but is not an anchor grid "
            f"(re-export with imgsz={new} or dynamic=True)"
        )


def resize_static_export(model: ov.Model, new_size: InputSize, strides: Sequence[int], xml: Path) -> None:
    """Reshape a static Ultralytics detection export to a ``new_size`` input, in place.

    ``new_size`` is a square side or ``(height, width)``: a rectangular input fitted to the
    camera's aspect ratio skips the grey padding a square one computes for nothing (a 4:3
    frame in a 640 square wastes a quarter of the work, 16:9 over 40 %).

    Rewrites the constant Reshape targets (spatial sides, areas and the anchor count, from
    index 2 on) and the anchor-point / stride constants, then lets OpenVINO re-infer every
    shape. Works on dynamic exports too (there is nothing to rewrite).

    Raises:
        ModelError: the export is not square, a side is not a multiple of the largest
            stride, or a size-dependent constant is not recognised.
    """
    shape = model.input(0).get_partial_shape()
    new_h, new_w = _hw(new_size)
    target = ov.PartialShape([1, 3, new_h, new_w])
    if new_h % max(strides) or new_w % max(strides):
        raise ModelError(f"input size {new_size} is not a multiple of the model stride {max(strides)}: path={xml}")
    try:
        if shape.is_static and shape != target:
            h, w = int(shape[2].get_length()), int(shape[3].get_length())
            if h != w:
                raise ModelError(
                    f"cannot resize a non-square static export: path={xml} input={shape} "
                    f"(re-export with imgsz={new_size} or dynamic=True)"
                )
            # The graph is only consistent again once every constant is rewritten, so set the
            # input shape by hand and re-infer once at the end (model.reshape validates first).
            model.get_parameters()[0].set_partial_shape(target)
            _rewrite_size_constants(model, h, new_size, strides, xml)
            model.validate_nodes_and_infer_types()
        elif shape != target:
            model.reshape({model.input(0): target})
    except RuntimeError as err:
        text = str(err).strip()
        reason = next(
            (ln for ln in text.splitlines() if "Requested" in ln or "incompatible" in ln),
            text[:200],
        )
        raise ModelError(
            f"cannot reshape the model to {new_size}: path={xml} reason={reason.strip()} "
            f"(re-export with imgsz={new_size} or dynamic=True)"
        ) from None


def _rewrite_size_constants(model: ov.Model, old: int, new: InputSize, strides: Sequence[int], xml: Path) -> None:
    mapping = _SizeMap.of(old, new, strides)
    n_old = anchor_count(old, strides)
    for node in model.get_ordered_ops():
        kind = node.get_type_name()
        if kind == "Reshape":
            src = node.input(1).get_source_output().get_node()
            if src.get_type_name() != "Constant":
                continue
            dims = src.get_data()
            rank = len(dims)
            new_dims = np.array([mapping.dim(int(d), i, rank, xml) if i >= 2 else int(d) for i, d in enumerate(dims)])
            if not np.array_equal(new_dims, dims):
                node.input(1).replace_source_output(opset.constant(new_dims.astype(dims.dtype)).output(0))
        elif kind == "Constant" and n_old in tuple(node.get_output_shape(0)) and node.get_output_shape(0)[-1] == n_old:
            _rewrite_anchor_constant(node, old, new, strides, xml)
