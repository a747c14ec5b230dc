"""Microbenchmarks of the pipeline's components against OpenVINO's own ceiling.

* detector: per model, precision and input size — synchronous latency of our
  `YoloOpenVINODetector.detect` (letterbox + inference + decode/NMS, and the
  inference alone), its async throughput through `submit` (the runtime's path), and
  the ceiling: inference only on the same reshaped IR with a full async queue at the
  THROUGHPUT hint, in-process and through ``benchmark_app``.
* re-id: per model and precision — milliseconds per crop of `OpenVINOCropEmbedder`
  at batch 1/8/16 and the model's ceiling in crops/s.
* tracker: `pictag.tracking.bench` (ByteTracker cost for N people).

Each measurement is short (seconds): on a shared machine, compare the ratios inside
one table rather than numbers across runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag import assets
from pictag.bench.ovbench import async_ceiling, cpu_config, run_benchmark_app, sync_latency_ms
from pictag.bench.stats import percentiles, ratio
from pictag.config.detector import DetectorConfig
from pictag.config.reid import ReidConfig
from pictag.detection import YoloOpenVINODetector
from pictag.detection.letterbox import letterbox
from pictag.detection.ultralytics_ir import locate_export, read_metadata, resize_static_export
from pictag.errors import PictagError
from pictag.ov import read_ir
from pictag.reid.crops import extract_crops
from pictag.reid.model_files import resolve_model_file
from pictag.reid.openvino_embedder import OpenVINOCropEmbedder

FrameArray = npt.NDArray[np.uint8]
#: Precision names of the detector and re-id configurations.
Precision = Literal["f32", "bf16", "int8"]
Progress = Callable[[str], None]


def _float_precision(precision: str) -> str:
    """The INFERENCE_PRECISION_HINT for a config precision (an INT8 IR's float ops run in f32)."""
    return "f32" if precision == "int8" else precision


def detector_model(config: DetectorConfig, assets_dir: str | None = None) -> ov.Model:
    """The detector IR reshaped to ``config.input_size`` exactly as `YoloOpenVINODetector` does."""
    xml, meta_path = locate_export(assets.resolve(config.model, assets_dir))
    meta = read_metadata(meta_path)
    model = read_ir(xml)
    resize_static_export(model, config.input_size, meta.strides, xml)
    return model


def detector_ceiling(
    config: DetectorConfig, assets_dir: str | None, frame: FrameArray, seconds: float
) -> dict[str, Any]:
    """Inference-only async throughput of the configured detector IR (THROUGHPUT hint)."""
    model = detector_model(config, assets_dir)
    core = ov.Core()
    compiled = core.compile_model(model, "CPU", cpu_config("THROUGHPUT", _float_precision(config.precision)))
    tensor, _ = letterbox(frame, config.input_size)
    result = async_ceiling(compiled, tensor, seconds)
    return {
        "model": config.model,
        "precision": config.precision,
        "input_size": config.input_size,
        **result.as_dict(),
    }


def _submit_throughput(detector: YoloOpenVINODetector, frames: Sequence[FrameArray], seconds: float) -> float:
    """Frames/s through `submit` (letterbox + async inference + decode), kept busy ``seconds``."""
    done = 0
    lock = threading.Lock()

    def on_done(_: object) -> None:
        nonlocal done
        with lock:
            done += 1

    for f in frames[:4]:
        detector.submit(f, on_done)
    detector.wait_all()
    done = 0
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        detector.submit(frames[i % len(frames)], on_done)
        i += 1
    detector.wait_all()
    return done / (time.perf_counter() - start)


def _timed(fn: Callable[[], Any], runs: int) -> dict[str, float | None]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return percentiles(times, (50, 95))


def _detector_latency(path: Path, config: DetectorConfig, frame: FrameArray, runs: int) -> dict[str, Any]:
    """Sync latency of `detect` and of its three parts, on a LATENCY-compiled detector."""
    det = YoloOpenVINODetector(path, config)
    tensor, box = det.preprocess(frame)
    raw = det.infer(tensor)
    for _ in range(3):
        det.detect(frame)
    return {
        "detect_ms": _timed(lambda: det.detect(frame), runs),
        "preprocess_ms": _timed(lambda: det.preprocess(frame), runs)["p50"],
        "infer_ms": _timed(lambda: det.infer(tensor), runs)["p50"],
        "postprocess_ms": _timed(lambda: det.postprocess(raw, box), runs)["p50"],
    }


def bench_detector(
    model: str,
    precision: Precision,
    size: int,
    frames: Sequence[FrameArray],
    *,
    seconds: float = 4.0,
    runs: int = 30,
    assets_dir: str | None = None,
    with_benchmark_app: bool = True,
) -> dict[str, Any]:
    """One row of the detector table (see the module docstring)."""
    row: dict[str, Any] = {"model": model, "precision": precision, "input_size": size}
    sync_cfg = DetectorConfig(model=model, precision=precision, input_size=size, num_requests=1)
    path = assets.resolve(model, assets_dir)
    row.update(_detector_latency(path, sync_cfg, frames[0], runs))
    async_det = YoloOpenVINODetector(path, sync_cfg.model_copy(update={"num_requests": 2}))
    row["submit_fps"] = round(_submit_throughput(async_det, frames, seconds), 1)
    model_ir = detector_model(sync_cfg, assets_dir)
    hint = cpu_config("THROUGHPUT", _float_precision(precision))
    compiled = ov.Core().compile_model(model_ir, "CPU", hint)
    tensor, _ = letterbox(frames[0], size)
    row["ceiling"] = async_ceiling(compiled, tensor, seconds).as_dict()
    row["submit_vs_ceiling"] = ratio(row["submit_fps"], row["ceiling"]["fps"])
    if with_benchmark_app:
        row["benchmark_app"] = run_benchmark_app(model_ir, seconds, _float_precision(precision))
    return row


def _embedder_ms_per_crop(
    emb: OpenVINOCropEmbedder, crops: npt.NDArray[np.uint8], batches: Sequence[int], runs: int
) -> dict[str, float | None]:
    """Milliseconds per crop of `embed_crops` called with each batch size (p50 of ``runs``)."""
    out: dict[str, float | None] = {}
    for b in batches:
        batch = crops[:b]
        emb.embed_crops(batch)

        def call_once(c: npt.NDArray[np.uint8] = batch) -> None:
            emb.embed_crops(c)

        call = _timed(call_once, runs)["p50"]
        out[str(b)] = None if call is None else round(call / b, 3)
    return out


def _raw_model_figures(
    path: Path, size_hw: tuple[int, int], precision: str, runs: int, seconds: float
) -> tuple[ov.Model, dict[str, Any]]:
    """The IR alone (batch 1, float input): sync latency and async ceiling."""
    core = ov.Core()
    raw = core.read_model(str(path))
    raw.reshape({raw.inputs[0]: ov.PartialShape([1, 3, *size_hw])})
    inputs = np.random.default_rng(0).uniform(0, 255, (1, 3, *size_hw)).astype(np.float32)
    fp = _float_precision(precision)
    latency = core.compile_model(raw, "CPU", cpu_config("LATENCY", fp))
    throughput = core.compile_model(raw, "CPU", cpu_config("THROUGHPUT", fp))
    return raw, {
        "sync_infer_ms": sync_latency_ms(latency, inputs, runs)["p50"],
        "ceiling": async_ceiling(throughput, inputs, seconds).as_dict(),
    }


def bench_reid(
    model: str,
    precision: Precision,
    frame: FrameArray,
    boxes: npt.NDArray[np.float32],
    *,
    batches: Sequence[int] = (1, 8, 16),
    runs: int = 20,
    seconds: float = 4.0,
    assets_dir: str | None = None,
    with_benchmark_app: bool = True,
) -> dict[str, Any]:
    """One row of the re-id table: ms per crop at each batch size and the model's ceiling."""
    row: dict[str, Any] = {"model": model, "precision": precision}
    path = resolve_model_file(model, precision, assets_dir)
    row["file"] = f"{path.parent.name}/{path.name}"
    cfg = ReidConfig(model=model, precision=precision)  # defaults the runtime uses
    emb = OpenVINOCropEmbedder(path, input_format=cfg.input_format, precision=precision, num_requests=cfg.num_requests)
    size_hw = emb.size_hw
    crops = extract_crops(frame, np.resize(boxes, (max(batches), 4)), size_hw)
    row["extract_ms_16"] = _timed(lambda: extract_crops(frame, np.resize(boxes, (16, 4)), size_hw), runs)["p50"]
    row["ms_per_crop"] = _embedder_ms_per_crop(emb, crops, batches, runs)
    raw, figures = _raw_model_figures(path, size_hw, precision, runs, seconds)
    row.update(figures)
    best = min((v for v in row["ms_per_crop"].values() if v), default=None)
    row["best_crops_per_s"] = round(1000.0 / best, 1) if best else None
    row["best_vs_ceiling"] = ratio(row["best_crops_per_s"], row["ceiling"]["fps"])
    if with_benchmark_app:
        row["benchmark_app"] = run_benchmark_app(raw, seconds, _float_precision(precision))
    return row


def bench_tracker(people: Sequence[int], frames: int = 600) -> list[dict[str, Any]]:
    """ByteTracker cost per frame on the synthetic shop scene of `pictag.tracking.bench`."""
    from pictag.tracking.bench import benchmark

    out = []
    for n in people:
        r = benchmark(n, frames)
        out.append(
            {
                "people": n,
                "frames": r.frames,
                "ms_mean": round(r.ms_mean, 3),
                "ms_p50": round(r.ms_p50, 3),
                "ms_p95": round(r.ms_p95, 3),
                "tracks_last_frame": r.tracks_last_frame,
            }
        )
    return out


def sample_frames(source: str | Path, count: int, stride: int = 7) -> list[FrameArray]:
    """``count`` frames spread through a video (every ``stride``-th), for microbenchmarks."""
    import cv2

    cap = cv2.VideoCapture(str(source), cv2.CAP_FFMPEG)
    frames: list[FrameArray] = []
    k = 0
    try:
        while len(frames) < count:
            ok, frame = cap.read()
            if not ok:
                break
            if k % stride == 0:
                frames.append(np.asarray(frame, dtype=np.uint8))
            k += 1
    finally:
        cap.release()
    if not frames:
        raise PictagError(f"no frame could be read from {source} (check the file and its codec)")
    return frames


def person_boxes(
    frame: FrameArray, config: DetectorConfig, assets_dir: str | None = None, limit: int = 16
) -> npt.NDArray[np.float32]:
    """Person boxes of a frame found by the detector (crops for the re-id benchmark)."""
    det = YoloOpenVINODetector(assets.resolve(config.model, assets_dir), config.model_copy(update={"num_requests": 1}))
    found = det.detect(frame)
    if len(found) == 0:
        h, w = frame.shape[:2]
        return np.array([[w * 0.4, h * 0.2, w * 0.5, h * 0.7]], dtype=np.float32)
    order = np.argsort(-found.confidence)[:limit]
    return found.xyxy[order]


def model_available(name: str, precision: str, assets_dir: str | None = None) -> Path | None:
    """The re-id model file for a name and precision, or None when it is not in the assets."""
    try:
        return resolve_model_file(name, precision, assets_dir)
    except PictagError:
        return None
