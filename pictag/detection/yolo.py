"""Ultralytics YOLO (v8/v11 detection layout) on OpenVINO.

One detector serves the frames of every camera on its node: `submit` feeds an
``ov.AsyncInferQueue`` so preprocessing of the next frame, inference of
several frames and decoding overlap; `detect` is the synchronous path for
tools and tests. Everything that can disagree with the configuration (layout,
class names, precision, input size) is checked in the constructor.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag.config.detector import DetectorConfig
from pictag.detection.base import DetectionCallback, DetectorOutput, OutputCallback
from pictag.detection.decode import decode_yolo
from pictag.detection.feature_maps import LAYER_STRIDE, FeatureMaps, add_feature_outputs
from pictag.detection.letterbox import Letterbox, letterbox_image
from pictag.detection.ultralytics_ir import (
    ExportMetadata,
    check_input,
    check_output,
    locate_export,
    read_metadata,
    resize_static_export,
)
from pictag.detections import Detections
from pictag.errors import ModelError
from pictag.ov import PerformanceHint, compile_model, is_quantized, read_ir, with_bgr_uint8_input

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]


@dataclass
class _Engine:
    """The detector compiled for one input size, with its request queue and a sync request."""

    compiled: ov.CompiledModel
    output: ov.ConstOutput
    feature_outputs: list[ov.ConstOutput]
    sync_request: ov.InferRequest
    queue: ov.AsyncInferQueue


def resolve_classes(wanted: Sequence[str | int], names: dict[int, str], where: Path) -> IntArray | None:
    """Sorted class indices for names/indices from the config; None when every class is kept.

    Raises:
        ModelError: a name the model does not know or an index out of range.
    """
    by_name = {name.lower(): idx for idx, name in names.items()}
    out = set()
    for item in wanted:
        if isinstance(item, int):
            if item not in names:
                raise ModelError(f"class index {item} not in the model: path={where} classes=0..{len(names) - 1}")
            out.add(item)
        elif item.lower() in by_name:
            out.add(by_name[item.lower()])
        else:
            known = ", ".join(list(names.values())[:12]) + (", ..." if len(names) > 12 else "")
            raise ModelError(f"class {item!r} not in the model: path={where} known=[{known}] (fix detector.classes)")
    if len(out) == len(names):
        return None
    return np.array(sorted(out), dtype=np.int64)


class YoloOpenVINODetector:
    """YOLO detection export in OpenVINO IR (Ultralytics v8/v11 ``1 x (4+nc) x N`` head).

    Args:
        model_path: the export folder (``*.xml`` + ``.bin`` + ``metadata.yaml``) or its ``.xml``.
        config: detector settings (input size, thresholds, classes, precision, requests).
        core: an ``ov.Core`` to use; a private one when None.
        performance_hint: force OpenVINO's LATENCY or THROUGHPUT hint; None picks THROUGHPUT
            when ``num_requests > 1`` (parallel streams), LATENCY otherwise.
        feature_layers: YOLO layers whose feature maps every inference also returns
            (`detect_full`, `submit_full`), channels last; joint re-id pools person boxes from them.

    Raises:
        ModelError: missing files, a layout other than v8/v11 detection, unknown classes,
            ``precision="int8"`` on a float IR, or an input size the export cannot take.
    """

    def __init__(
        self,
        model_path: str | Path,
        config: DetectorConfig | None = None,
        *,
        core: ov.Core | None = None,
        performance_hint: PerformanceHint | None = None,
        feature_layers: tuple[int, ...] = (),
    ) -> None:
        self.config = config or DetectorConfig()
        self.feature_layers = tuple(feature_layers)
        xml, meta_path = locate_export(model_path)
        self.model_path = xml
        self.metadata: ExportMetadata = read_metadata(meta_path)
        self.class_names: dict[int, str] = dict(self.metadata.names)
        self.input_size: int = self.config.input_size
        self.classes: IntArray | None = resolve_classes(self.config.classes, self.class_names, xml)
        self._core = core or ov.Core()
        model = read_ir(xml, self._core)
        self.quantized = is_quantized(model)
        if self.config.precision == "int8" and not self.quantized:
            raise ModelError(
                "precision=int8 needs a quantised IR (FakeQuantize ops), this one is float: "
                f"path={xml} "
                "(use precision f32/bf16 or an NNCF-quantised export)"
            )
        check_input(model, xml)
        self._base = model
        self._xml = xml
        self._hint: PerformanceHint = performance_hint or ("THROUGHPUT" if self.config.num_requests > 1 else "LATENCY")
        #: Rect inference (``detector.rect``): inputs fitted to each camera's aspect ratio.
        self.stride: int | None = max(self.metadata.strides) if self.config.rect else None
        self._engines: dict[tuple[int, int], _Engine] = {}
        self._engines_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._submit_lock = threading.Lock()
        # Build (and so check) the square engine now: a model that does not fit fails at start.
        self._engine((self.input_size, self.input_size))
        log.info(
            "detector ready: model=%s input=%d%s classes=%s precision=%s requests=%d",
            xml.name,
            self.input_size,
            " (rect)" if self.stride else "",
            self.kept_class_names,
            self.config.precision,
            self.config.num_requests,
        )

    def _engine(self, hw: tuple[int, int]) -> _Engine:
        """The compiled model for one input ``(height, width)`` (built on first use, then kept)."""
        engine = self._engines.get(hw)
        if engine is not None:
            return engine
        with self._engines_lock:
            engine = self._engines.get(hw)
            if engine is None:
                engine = self._engines[hw] = self._build_engine(hw)
        return engine

    def _build_engine(self, hw: tuple[int, int]) -> _Engine:
        xml = self._xml
        model = self._base.clone()
        resize_static_export(model, hw, self.metadata.strides, xml)
        check_output(model, len(self.class_names), hw, self.metadata.strides, xml)
        if self.feature_layers:
            model = add_feature_outputs(model, self.feature_layers, channels_last=True)
            self._check_feature_maps(model, hw, xml)
        model = with_bgr_uint8_input(model)
        # With several requests in flight, THROUGHPUT gives each its own CPU stream so they truly
        # run in parallel (~1.8x frames/s on 2 cores); one request wants every thread (LATENCY).
        compiled = compile_model(
            model,
            device=self.config.device,
            precision="f32" if self.config.precision == "int8" else self.config.precision,
            num_threads=self.config.num_threads,
            hint=self._hint,
            num_requests=self.config.num_requests,
            core=self._core,
        )
        queue = ov.AsyncInferQueue(compiled, self.config.num_requests)
        engine = _Engine(
            compiled=compiled,
            output=compiled.output(0),
            feature_outputs=[compiled.output(i + 1) for i in range(len(self.feature_layers))],
            sync_request=compiled.create_infer_request(),
            queue=queue,
        )
        queue.set_callback(lambda request, userdata: self._on_done(engine, request, userdata))
        if hw != (self.input_size, self.input_size):
            log.info("detector input %dx%d compiled (rect inference)", hw[1], hw[0])
        return engine

    def _check_feature_maps(self, model: ov.Model, hw: tuple[int, int], xml: Path) -> None:
        """Each feature output must be ``1 x H x W x C``: the input's size divided by the layer's stride."""
        for index, layer in enumerate(self.feature_layers, start=1):
            shape = model.outputs[index].get_partial_shape()
            stride = LAYER_STRIDE.get(layer)
            want = None if stride is None else [hw[0] // stride, hw[1] // stride]
            if shape.is_dynamic or want is None or [shape[1].get_length(), shape[2].get_length()] != want:
                raise ModelError(
                    f"feature map of layer {layer} has shape {shape}, expected 1 x {want} x C "
                    f"at input {hw[1]}x{hw[0]}: path={xml}"
                )

    @property
    def kept_class_names(self) -> list[str]:
        """Names of the classes the filter keeps."""
        idx = self.class_names.keys() if self.classes is None else self.classes.tolist()
        return [self.class_names[i] for i in idx]

    @property
    def num_streams(self) -> int:
        """CPU streams OpenVINO made: how many requests really run at the same time."""
        engine = self._engine((self.input_size, self.input_size))
        return int(engine.compiled.get_property("NUM_STREAMS"))

    def preprocess(self, frame: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], Letterbox]:
        """Letterbox a BGR frame into the model's ``(1, H, W, 3)`` uint8 BGR input and its `Letterbox`.

        ``H x W`` is ``input_size`` square, or with rect inference the frame's aspect ratio
        rounded up to the stride. The compiled model converts the pixels itself
        (see `pictag.ov.with_bgr_uint8_input`).
        """
        canvas, box = letterbox_image(frame, self.input_size, stride=self.stride)
        return canvas[np.newaxis], box

    def postprocess(self, raw_output: npt.NDArray[np.float32], box: Letterbox) -> Detections:
        """Decode one raw ``1 x (4+nc) x N`` output into frame-space `Detections`."""
        return decode_yolo(
            raw_output,
            box,
            confidence=self.config.confidence,
            iou=self.config.iou,
            max_detections=self.config.max_detections,
            classes=self.classes,
        )

    def infer(self, tensor: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Run the network synchronously on a `preprocess` output; returns a copy of output 0."""
        engine = self._engine((tensor.shape[1], tensor.shape[2]))
        with self._sync_lock:
            engine.sync_request.infer({0: tensor}, share_inputs=True)
            return np.array(engine.sync_request.get_tensor(engine.output).data, copy=True)

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        """Detect synchronously in one BGR frame (thread-safe; `detect` calls are serialised)."""
        return self.detect_full(frame).detections

    def detect_full(self, frame: npt.NDArray[np.uint8]) -> DetectorOutput:
        """`detect`, with copies of the feature maps of ``feature_layers`` (thread-safe)."""
        tensor, box = self.preprocess(frame)
        engine = self._engine(box.input_hw)
        with self._sync_lock:
            engine.sync_request.infer({0: tensor}, share_inputs=True)
            return self._output_of(engine, engine.sync_request, box)

    def _output_of(self, engine: _Engine, request: ov.InferRequest, box: Letterbox) -> DetectorOutput:
        """Decode a finished request; feature maps are copied out (the request is reused)."""
        detections = self.postprocess(request.get_tensor(engine.output).data, box)
        if not engine.feature_outputs:
            return DetectorOutput(detections)
        maps = tuple(np.array(request.get_tensor(out).data[0], copy=True) for out in engine.feature_outputs)
        return DetectorOutput(detections, FeatureMaps(self.feature_layers, maps, box))

    def submit(self, frame: npt.NDArray[np.uint8], callback: DetectionCallback) -> None:
        """Queue a frame; ``callback(Detections | exception)`` runs on an OpenVINO thread.

        Returns as soon as an inference request is free (at once unless ``num_requests``
        frames are already in flight). Keep callbacks short and never call `wait_all` from one.
        """

        def detections_only(result: DetectorOutput | BaseException) -> None:
            callback(result if isinstance(result, BaseException) else result.detections)

        self.submit_full(frame, detections_only)

    def submit_full(self, frame: npt.NDArray[np.uint8], callback: OutputCallback) -> None:
        """`submit`, the callback getting the whole `DetectorOutput` (feature maps included)."""
        try:
            tensor, box = self.preprocess(frame)
        except Exception as err:  # bad frame: report through the same channel as a failed inference
            callback(err)
            return
        try:
            engine = self._engine(box.input_hw)
        except Exception as err:  # a frame size the model cannot take
            callback(err)
            return
        with self._submit_lock:
            # The tensor rides in userdata so the shared input buffer lives until the callback.
            engine.queue.start_async({0: tensor}, (tensor, box, callback), share_inputs=True)

    def wait_all(self) -> None:
        """Block until every submitted frame has been decoded and its callback has returned."""
        for engine in list(self._engines.values()):
            engine.queue.wait_all()

    def _on_done(
        self, engine: _Engine, request: ov.InferRequest, userdata: tuple[Any, Letterbox, OutputCallback]
    ) -> None:
        _, box, callback = userdata
        result: DetectorOutput | BaseException
        try:
            result = self._output_of(engine, request, box)
        except Exception as err:
            result = err
        try:
            callback(result)
        except Exception:
            log.exception("detection callback failed; the detector keeps running")

    def __repr__(self) -> str:
        return (
            f"YoloOpenVINODetector(model={self.model_path}, input_size={self.input_size}, "
            f"classes={self.kept_class_names}, precision={self.config.precision})"
        )
