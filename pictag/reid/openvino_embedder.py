"""Crop embedder on OpenVINO: any re-id IR/ONNX with an ``N x 3 x H x W`` input, ``N x D`` output.

Pixel conversion (BGR→RGB, uint8→float, mean/std) is compiled into the model with
OpenVINO's PrePostProcessor, so the Python side only cuts and resizes crops into a
``(n, H, W, 3) uint8`` array.

Batching, measured on this 2-core CPU (paired runs, docs/reid.md): a model reshaped to a
dynamic batch was *slower* per crop than a loop over a static batch-1 model for 0277, 0287,
0288 and OSNet at 1, 8 and 16 crops (OpenVINO's CPU plugin pays for dynamic shapes), and an
``AsyncInferQueue`` of 2 batch-1 requests on a 2-stream THROUGHPUT compilation was another
~20 % faster than the loop at 16 crops. So: static batch 1, ``num_requests`` streams, crops
dispatched asynchronously; a single crop goes to a LATENCY compilation that uses every
thread for it (one stream alone ran it ~1.7x slower).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag.detection.feature_maps import FeatureMaps
from pictag.errors import ModelError
from pictag.reid.base import FloatArray, FrameArray, l2_normalize
from pictag.reid.crops import extract_crops

log = logging.getLogger(__name__)

#: rt_info key our exported IRs carry to say which pixel format they expect.
INPUT_FORMAT_KEY = "pictag_input_format"
IMAGENET_MEAN_RGB = (123.675, 116.28, 103.53)
IMAGENET_STD_RGB = (58.395, 57.12, 57.375)
FORMATS = ("bgr255", "rgb_imagenet", "rgb01")


def detect_input_format(model: ov.Model, path: Path) -> str:
    """Pixel format of a model: our IRs' rt_info, torchreid's for ONNX, else OMZ's BGR."""
    if model.has_rt_info(INPUT_FORMAT_KEY):
        fmt = str(model.get_rt_info(INPUT_FORMAT_KEY).astype(str))
        if fmt not in FORMATS:
            raise ModelError(f"model={path} reason=unknown_input_format value={fmt!r} (known: {FORMATS})")
        return fmt
    return "rgb_imagenet" if path.suffix == ".onnx" else "bgr255"


def _input_hw(model: ov.Model, path: Path) -> tuple[int, int]:
    """Check the model has one ``? x 3 x H x W`` input and one ``? x D`` output; return (H, W)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelError(
            f"model={path} reason=bad_signature expected 1 input and 1 output, "
            f"got {len(model.inputs)} inputs and {len(model.outputs)} outputs"
        )
    shape = model.inputs[0].get_partial_shape()
    out = model.outputs[0].get_partial_shape()
    if shape.rank.get_length() != 4 or not shape[1].is_static or shape[1].get_length() != 3:
        raise ModelError(f"model={path} reason=bad_input expected input N x 3 x H x W, got {shape}")
    if not (shape[2].is_static and shape[3].is_static):
        raise ModelError(f"model={path} reason=dynamic_input_size expected a fixed H x W, got {shape}")
    if out.rank.get_length() != 2 or not out[1].is_static:
        raise ModelError(f"model={path} reason=bad_output expected output N x D, got {out}")
    return shape[2].get_length(), shape[3].get_length()


def _add_preprocessing(model: ov.Model, fmt: str) -> ov.Model:
    """Compile pixel conversion into the model: it then takes ``N x H x W x 3`` uint8 BGR."""
    ppp = ov.preprocess.PrePostProcessor(model)
    inp = ppp.input()
    inp.tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")).set_color_format(
        ov.preprocess.ColorFormat.BGR
    )
    inp.model().set_layout(ov.Layout("NCHW"))
    if fmt != "bgr255":
        inp.preprocess().convert_color(ov.preprocess.ColorFormat.RGB)
    inp.preprocess().convert_element_type(ov.Type.f32)
    if fmt == "rgb_imagenet":
        inp.preprocess().mean(list(IMAGENET_MEAN_RGB)).scale(list(IMAGENET_STD_RGB))
    elif fmt == "rgb01":
        inp.preprocess().scale(255.0)
    return ppp.build()


class OpenVINOCropEmbedder:
    """Embeds person crops with an OpenVINO model (OMZ re-id, OSNet ONNX, PicTag's own IR).

    Thread-safe: calls are serialised (the model stage calls it from a worker thread);
    within a call the crops run on ``num_requests`` parallel streams.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        input_format: str = "auto",
        precision: str = "f32",
        device: str = "CPU",
        num_threads: int = 0,
        num_requests: int = 2,
        core: ov.Core | None = None,
    ) -> None:
        """Load, check and compile the model.

        Raises:
            ModelError: unreadable file, or not ``N x 3 x H x W`` → ``N x D``.
        """
        path = Path(model_path)
        core = core or ov.Core()
        try:
            model = core.read_model(str(path))
        except RuntimeError as err:
            raise ModelError(f"model={path} reason=unreadable ({str(err).splitlines()[0]}): check the file") from None
        self.size_hw = _input_hw(model, path)
        self.input_format = detect_input_format(model, path) if input_format == "auto" else input_format
        self.dim = int(model.outputs[0].get_partial_shape()[1].get_length())
        self.model_path = path
        model.reshape({model.inputs[0]: ov.PartialShape([1, 3, *self.size_hw])})
        model = _add_preprocessing(model, self.input_format)
        props: dict[str, Any] = {}
        if device.upper().startswith("CPU"):
            props["INFERENCE_PRECISION_HINT"] = "bf16" if precision == "bf16" else "f32"
            if num_threads:
                props["INFERENCE_NUM_THREADS"] = num_threads
        throughput = core.compile_model(
            model, device, {**props, "PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": num_requests}
        )
        latency = core.compile_model(model, device, {**props, "PERFORMANCE_HINT": "LATENCY"})
        self._single = latency.create_infer_request()
        self._queue = ov.AsyncInferQueue(throughput, num_requests)
        self._queue.set_callback(self._collect)
        self._out = np.zeros((0, self.dim), dtype=np.float32)
        self._lock = threading.Lock()
        log.info(
            "re-id model %s loaded: %s input, %d-d, %s",
            path.name,
            self.input_format,
            self.dim,
            precision,
        )

    def embed_crops(self, crops: npt.NDArray[np.uint8]) -> FloatArray:
        """Embed ready-made ``(n, H, W, 3) uint8`` BGR crops of the input size → ``(n, dim)``."""
        n = crops.shape[0]
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if crops.shape[1:] != (*self.size_hw, 3):
            raise ValueError(f"crops must be (n, {self.size_hw[0]}, {self.size_hw[1]}, 3), got {crops.shape}")
        with self._lock:
            if n == 1:
                return l2_normalize(self._single.infer({0: crops}, share_inputs=False)[0].reshape(1, self.dim))
            self._out = np.empty((n, self.dim), dtype=np.float32)
            for i in range(n):
                self._queue.start_async({0: crops[i : i + 1]}, i)
            self._queue.wait_all()
            out = self._out
        return l2_normalize(out)

    def _collect(self, request: ov.InferRequest, index: int) -> None:
        self._out[index] = request.get_output_tensor(0).data.reshape(self.dim)

    #: Crop mode reads pixels, no detector feature maps.
    feature_layers: tuple[int, ...] = ()

    def embed(self, frame: FrameArray, boxes_xyxy: FloatArray, features: FeatureMaps | None = None) -> FloatArray:
        """``(n, dim)`` L2-normalised embeddings of the person boxes in a BGR frame (``features`` unused)."""
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"frame must be H x W x 3 BGR, got shape {frame.shape}")
        return self.embed_crops(extract_crops(frame, boxes_xyxy, self.size_hw))
