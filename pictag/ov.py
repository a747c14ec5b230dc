"""Small OpenVINO helpers: read an IR with a clear error, compile it with explicit hints.

Every caller owns its ``ov.Core`` (pass one in, or one is made per call): no
module-level state, so two detectors in one actor never share plugin settings
by accident. Precision is always explicit where it matters: on CPUs with
AVX-512 BF16, OpenVINO silently runs float models in bf16 unless told
``INFERENCE_PRECISION_HINT=f32``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import openvino as ov

from pictag.errors import ModelError

log = logging.getLogger(__name__)

Precision = Literal["f32", "bf16"]
PerformanceHint = Literal["LATENCY", "THROUGHPUT"]


def read_ir(path: str | os.PathLike[str], core: ov.Core | None = None) -> ov.Model:
    """Read an OpenVINO IR (``.xml`` with its ``.bin`` beside it) or an ONNX file.

    Args:
        path: the ``.xml`` (or ``.onnx``) file.
        core: the caller's ``ov.Core``; a fresh one when None.

    Raises:
        ModelError: the file is missing or OpenVINO cannot parse it (the message names the path).
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise ModelError(f"model file not found: path={p} (check detector.model or run `pictag assets fetch`)")
    if p.suffix == ".xml" and not p.with_suffix(".bin").is_file():
        raise ModelError(f"model weights missing: path={p.with_suffix('.bin')} (copy the .bin next to the .xml)")
    try:
        return (core or ov.Core()).read_model(str(p))
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"cannot read model: path={p} reason={first} (re-export or re-download it)") from None


def compile_model(
    model: ov.Model,
    *,
    device: str = "CPU",
    precision: Precision | None = None,
    num_threads: int = 0,
    hint: PerformanceHint = "LATENCY",
    num_requests: int | None = None,
    core: ov.Core | None = None,
) -> ov.CompiledModel:
    """Compile a model with explicit performance settings.

    Args:
        model: the (possibly reshaped) model.
        device: OpenVINO device name.
        precision: ``INFERENCE_PRECISION_HINT`` for float ops; None keeps the device default
            (bf16 on CPUs that have it, which changes numbers).
        num_threads: ``INFERENCE_NUM_THREADS``; 0 lets OpenVINO decide.
        hint: ``PERFORMANCE_HINT``. LATENCY makes one stream using every thread; THROUGHPUT makes
            several streams so parallel requests really run in parallel.
        num_requests: ``PERFORMANCE_HINT_NUM_REQUESTS``: caps the streams THROUGHPUT creates to
            the number of requests the caller keeps in flight.
        core: the caller's ``ov.Core``; a fresh one when None.

    Raises:
        ModelError: the device rejects the model or the settings.
    """
    config: dict[str, str] = {"PERFORMANCE_HINT": hint}
    if precision is not None:
        config["INFERENCE_PRECISION_HINT"] = precision
    if num_threads > 0:
        config["INFERENCE_NUM_THREADS"] = str(num_threads)
    if num_requests is not None:
        config["PERFORMANCE_HINT_NUM_REQUESTS"] = str(num_requests)
    try:
        compiled = (core or ov.Core()).compile_model(model, device, config)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(
            f"cannot compile model: device={device} config={config} reason={first} "
            "(check the device name and precision)"
        ) from None
    log.debug("compiled %s on %s with %s", model.get_friendly_name(), device, config)
    return compiled


def op_types(model: ov.Model) -> set[str]:
    """The operation type names in a model (``{"Convolution", "FakeQuantize", ...}``)."""
    return {op.get_type_name() for op in model.get_ops()}


def is_quantized(model: ov.Model, quant_ops: Iterable[str] = ("FakeQuantize",)) -> bool:
    """Whether a model carries NNCF/POT quantisation (FakeQuantize ops), i.e. really runs INT8."""
    return bool(op_types(model) & set(quant_ops))


def with_bgr_uint8_input(model: ov.Model) -> ov.Model:
    """The model with its pixel conversion compiled in: it then takes ``1 x H x W x 3`` uint8 BGR.

    For networks trained on RGB 0..1 NCHW float input (Ultralytics YOLO). OpenVINO fuses the
    colour swap, cast, 1/255 scale and transpose into the graph; the same work done in
    numpy/OpenCV before every inference costs ~4 ms per 640 px frame on this class of CPU.
    """
    ppp = ov.preprocess.PrePostProcessor(model)
    inp = ppp.input()
    inp.tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")).set_color_format(
        ov.preprocess.ColorFormat.BGR
    )
    inp.model().set_layout(ov.Layout("NCHW"))
    inp.preprocess().convert_color(ov.preprocess.ColorFormat.RGB)
    inp.preprocess().convert_element_type(ov.Type.f32)
    inp.preprocess().scale(255.0)
    return ppp.build()
