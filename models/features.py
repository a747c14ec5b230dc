"""Frozen-backbone feature maps and teacher embeddings of crops, computed once and cached.

Training a head on a CPU is fast only if the backbone never runs in the training loop: the
YOLO prefix (OpenVINO, INT8 like at run time) turns every augmented view into a feature map
once; the teacher (OMZ 0277) embeds every crop once. Both are stored as ``.npy`` in a work
folder keyed by what produced them, so a second experiment starts in seconds.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import openvino as ov
from tqdm import tqdm

from pictag.models.backbone import cut_prefix
from pictag.reid.openvino_embedder import _add_preprocessing

log = logging.getLogger(__name__)

U8 = npt.NDArray[np.uint8]


class CropModelRunner:
    """Runs an ``1 x 3 x H x W`` model on ``(n, H, W, 3)`` uint8 BGR crops with async requests."""

    def __init__(
        self,
        model: ov.Model,
        input_format: str,
        *,
        precision: str = "f32",
        streams: int = 2,
        core: ov.Core | None = None,
    ) -> None:
        core = core or ov.Core()
        model = _add_preprocessing(model, input_format)
        self._compiled = core.compile_model(
            model,
            "CPU",
            {
                "INFERENCE_PRECISION_HINT": precision,
                "PERFORMANCE_HINT": "THROUGHPUT",
                "NUM_STREAMS": streams,
            },
        )
        self.out_shape = tuple(int(d) for d in self._compiled.outputs[0].get_shape())[1:]
        self._queue = ov.AsyncInferQueue(self._compiled, streams)
        self._queue.set_callback(self._collect)
        self._out = np.zeros((0, *self.out_shape), np.float16)

    def _collect(self, request: ov.InferRequest, index: int) -> None:
        self._out[index] = request.get_output_tensor(0).data[0]

    def __call__(self, crops: U8, dtype: type = np.float16, progress: str | None = None) -> npt.NDArray[np.generic]:
        """Outputs for all crops as ``(n, *out_shape)`` in ``dtype``."""
        self._out = np.empty((len(crops), *self.out_shape), dtype)
        it = range(len(crops))
        for i in tqdm(it, desc=progress, leave=False, disable=progress is None, mininterval=2.0):
            self._queue.start_async({0: crops[i : i + 1]}, i)
        self._queue.wait_all()
        return self._out


def prefix_runner(detector_xml: str | Path, layer: int, core: ov.Core | None = None) -> CropModelRunner:
    """The YOLO prefix up to ``layer`` on 256x128 crops (RGB/255 input, as the detector)."""
    core = core or ov.Core()
    prefix = cut_prefix(core.read_model(str(detector_xml)), layer, (256, 128))
    return CropModelRunner(prefix, "rgb01", core=core)


def teacher_runner(xml: str | Path, core: ov.Core | None = None) -> CropModelRunner:
    """An OMZ re-id model as distillation teacher (BGR 0..255 input). bf16: training-time only."""
    core = core or ov.Core()
    model = core.read_model(str(xml))
    return CropModelRunner(model, "bgr255", precision="bf16", core=core)


def crops_key(crops: U8, *parts: object) -> str:
    """A short content hash of crops plus the settings that produced derived arrays."""
    digest = hashlib.sha1(np.ascontiguousarray(crops[:: max(1, len(crops) // 64)]).tobytes())
    digest.update(repr((len(crops), *parts)).encode())
    return digest.hexdigest()[:16]


def cached(work: Path, name: str, compute: Callable[[], npt.NDArray[np.generic]]) -> npt.NDArray[np.generic]:
    """``work/name.npy`` if it exists, else compute, save and return it."""
    path = work / f"{name}.npy"
    if path.exists():
        return np.load(path)
    work.mkdir(parents=True, exist_ok=True)
    arr = compute()
    np.save(path, arr)
    return arr
