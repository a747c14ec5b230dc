"""The baseline the actor pipeline must beat: one process, one plain loop, round-robin over cameras.

For each camera in turn: OpenCV reads a frame → the same OpenVINO YOLO detector,
synchronously (compiled for latency: one request using every core) → the same tracking and
appearance schedule (`pictag.pipeline.node.NodeTracker`: good crops, warm-up, refresh) →
the same re-id embedder (joint mode: from the same inference's feature maps) → the same
identity engine (gallery, sessions, visits, events). No threads of our own, no queues,
no Ray, no store: what a competent engineer writes first.

Two ways to drive it, matching the runtime's two scenarios:

* **paced** (``fps`` > 0): each camera delivers a frame every ``1/fps`` seconds, like a
  live camera. When the loop is late for a camera, the frames it missed are read and
  thrown away (a live stream does not wait) and counted as skipped; latency runs
  from the moment the processed frame was due (when a camera would have delivered
  it) to the end of its processing, so waiting for its turn in the round-robin counts.
* **max** (``fps`` = 0): frames as fast as the loop can go; latency runs from the
  start of the read. Its frames/s is the baseline's throughput ceiling.

`run_baseline` is meant to run in a child process (``python -m pictag.bench.baseline``)
so its CPU time and memory can be measured alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import psutil

from pictag.bench.procs import MachineCpu
from pictag.bench.stats import CameraCounters, cpu_percent, percentiles, rate
from pictag.config import PictagConfig
from pictag.detection import build_detector
from pictag.errors import CameraError
from pictag.identity.engine import EngineSettings, IdentityEngine
from pictag.messages import TrackSummaries
from pictag.pipeline.node import NodeTracker
from pictag.reid import build_embedder
from pictag.reid.threshold import resolve_reid

FrameArray = npt.NDArray[np.uint8]
#: Stages timed per frame, in pipeline order.
STAGES = ("decode", "detect", "track", "embed", "identity")
MIB = 1024 * 1024


class LoopingReader:
    """A video file read with OpenCV from the start again at its end (one 'camera')."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._cap = self._open()

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self._path, cv2.CAP_FFMPEG)
        if not cap.isOpened():
            raise CameraError(f"cannot open video: path={self._path} (check the file and its codec)")
        return cap

    def read(self) -> FrameArray:
        """The next frame (BGR); restarts the file at its end."""
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self._cap.release()
            self._cap = self._open()
            ok, frame = self._cap.read()
            if not ok or frame is None:
                raise CameraError(f"video gave no frame: path={self._path}")
        return np.asarray(frame, dtype=np.uint8)

    def skip(self, frames: int) -> None:
        """Decode and discard frames (a live stream moves on while nobody reads it)."""
        for _ in range(frames):
            if not self._cap.grab():
                self._cap.release()
                self._cap = self._open()

    def close(self) -> None:
        """Release the decoder."""
        self._cap.release()


@dataclass
class _Tally:
    counters: CameraCounters = field(default_factory=CameraCounters)
    latency_ms: list[float] = field(default_factory=list)
    stage_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    crops: int = 0
    detections: int = 0


class BaselineLoop:
    """The single-process loop over ``len(sources)`` cameras (see the module docstring)."""

    def __init__(self, config: PictagConfig, sources: Sequence[str | Path], assets_dir: str | None = None) -> None:
        # Synchronous use: one request compiled for LATENCY (every core on one frame).
        det_config = config.detector.model_copy(update={"num_requests": 1})
        reid, _ = resolve_reid(config.reid, assets_dir)
        self.embedder = build_embedder(reid, assets_dir, config.detector) if reid.enabled else None
        layers = self.embedder.feature_layers if self.embedder is not None else ()
        self.detector = build_detector(det_config, assets_dir, feature_layers=layers)
        # The runtime's node policy: good crops only, warm-up crops on consecutive frames,
        # then one refresh per reid.refresh_s per track.
        self.node = NodeTracker(config.tracking, reid, config.identity)
        self.engine = IdentityEngine(EngineSettings.from_config(reid, config.identity, config.tracking, config.privacy))
        self.cameras = [f"cam{i + 1}" for i in range(len(sources))]
        self.readers = [LoopingReader(s) for s in sources]
        self._tally = _Tally()

    def close(self) -> None:
        """Release the video readers."""
        for r in self.readers:
            r.close()

    def process(self, index: int, frame: FrameArray, captured_at: float) -> dict[str, float]:
        """Detect, track, embed and fold one frame of camera ``index``; returns stage times (ms)."""
        cam = self.cameras[index]
        t0 = time.perf_counter()
        output = self.detector.detect_full(frame)
        t1 = time.perf_counter()
        step = self.node.step(cam, 0, captured_at, output.detections, frame.shape)
        t2 = time.perf_counter()
        appearance = {}
        crops = int(np.count_nonzero(step.due))
        if self.embedder is not None and crops:
            tracks = step.frame.tracks
            embeddings = self.embedder.embed(frame, tracks.xyxy[step.due], output.features)
            appearance = self.node.add_embeddings(cam, tracks.track_id[step.due], embeddings, captured_at)
        self.node.release(cam, step.frame.ended)
        t3 = time.perf_counter()
        self.engine.observe(TrackSummaries(step.frame, appearance), expect_appearance=self.embedder is not None)
        t4 = time.perf_counter()
        self._tally.crops += crops
        self._tally.detections += len(output.detections)
        return {
            "detect": (t1 - t0) * 1e3,
            "track": (t2 - t1) * 1e3,
            "embed": (t3 - t2) * 1e3,
            "identity": (t4 - t3) * 1e3,
        }

    def _record(self, stages: dict[str, float], latency_ms: float) -> None:
        for name, ms in stages.items():
            self._tally.stage_ms[name].append(ms)
        self._tally.latency_ms.append(latency_ms)
        self._tally.counters = self._tally.counters + CameraCounters(decoded=1, sent=1, processed=1)

    @property
    def processed(self) -> int:
        """Frames processed since the last `reset_tally`."""
        return self._tally.counters.processed

    def reset_tally(self) -> None:
        """Forget what was measured so far (end of warm-up)."""
        self._tally = _Tally()

    def run_max(self, until: float) -> None:
        """Round-robin as fast as possible until ``time.monotonic() >= until``."""
        i = 0
        while time.monotonic() < until:
            start = time.perf_counter()
            frame = self.readers[i].read()
            decoded = time.perf_counter()
            stages = self.process(i, frame, time.time())
            stages["decode"] = (decoded - start) * 1e3
            self._record(stages, (time.perf_counter() - start) * 1e3)
            i = (i + 1) % len(self.readers)

    def run_paced(self, fps: float, until: float, next_due: list[float] | None = None) -> list[float]:
        """Round-robin, each camera due every ``1/fps`` s; returns the due times to go on from."""
        period = 1.0 / fps
        n = len(self.readers)
        now = time.monotonic()
        due = next_due or [now + k * period / n for k in range(n)]
        i = 0
        while time.monotonic() < until:
            now = time.monotonic()
            if now < due[i]:
                time.sleep(due[i] - now)
            missed = int((time.monotonic() - due[i]) // period)
            if missed > 0:  # the camera moved on while we were busy elsewhere
                self.readers[i].skip(missed)
                due[i] += missed * period
                self._tally.counters = self._tally.counters + CameraCounters(decoded=missed, skipped=missed)
            start = time.perf_counter()
            frame = self.readers[i].read()
            decoded = time.perf_counter()
            stages = self.process(i, frame, time.time())
            stages["decode"] = (decoded - start) * 1e3
            self._record(stages, (time.monotonic() - due[i]) * 1e3)
            due[i] += period
            i = (i + 1) % n
        return due

    def summary(self, seconds: float) -> dict[str, Any]:
        """Contract figures of the measured window."""
        t = self._tally
        c = t.counters
        processed = max(c.processed, 1)
        return {
            "fps_processed": round(rate(c.processed, seconds), 2),
            "fps_processed_per_camera": round(rate(c.processed, seconds) / len(self.readers), 2),
            "processed_fraction": c.processed_fraction,
            "skip_rate": c.skip_rate,
            "latency_ms": percentiles(t.latency_ms),
            "stages_ms": {s: percentiles(v, (50,))["p50"] for s, v in t.stage_ms.items()},
            "stages_mean_ms": {s: round(float(np.mean(v)), 2) if v else None for s, v in t.stage_ms.items()},
            "counters": {"offered": c.offered, "processed": c.processed, "skipped": c.skipped},
            "crops_per_frame": round(t.crops / processed, 2),
            "detections_per_frame": round(t.detections / processed, 2),
        }


@dataclass(frozen=True)
class BaselineParams:
    """What one baseline run does (JSON-serialisable: it crosses into a child process)."""

    source: str
    cameras: int
    fps: float
    warmup_s: float
    seconds: float
    config: dict[str, Any]
    ceiling_s: float = 0.0
    assets_dir: str | None = None
    loop: bool = True


def run_baseline(params: BaselineParams, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build the loop, warm up, measure; the contract figures plus this process's CPU and memory."""
    from pictag.config import parse_config

    config = parse_config(params.config, "bench")
    out: dict[str, Any] = {
        "cameras": params.cameras,
        "scenario": "live" if params.fps > 0 else "max",
        "fps_target": params.fps or None,
    }
    if params.ceiling_s > 0:
        from pictag.bench.micro import detector_ceiling

        reader = LoopingReader(params.source)
        frame = reader.read()
        reader.close()
        out["ceiling"] = detector_ceiling(config.detector, params.assets_dir, frame, params.ceiling_s)
    if not params.loop:
        return out
    loop = BaselineLoop(config, [params.source] * params.cameras, params.assets_dir)
    try:
        warm_until = time.monotonic() + params.warmup_s
        due = None
        if params.fps > 0:
            due = loop.run_paced(params.fps, warm_until)
        else:
            loop.run_max(warm_until)
        loop.reset_tally()
        me = psutil.Process()
        cpu0 = sum(me.cpu_times()[:2])
        machine = MachineCpu()
        start = time.monotonic()
        if progress:
            progress(f"baseline: {params.cameras} camera(s), measuring {params.seconds:.0f} s")
        if params.fps > 0:
            loop.run_paced(params.fps, start + params.seconds, due)
        else:
            loop.run_max(start + params.seconds)
        wall = time.monotonic() - start
        cpu = sum(me.cpu_times()[:2]) - cpu0
        mem = me.memory_full_info()
        out.update(loop.summary(wall))
        out.update(
            {
                "seconds": round(wall, 2),
                "cpu_percent": cpu_percent(cpu, wall),
                "cpu_ms_per_frame_total": round(1000.0 * cpu / max(loop.processed, 1), 2),
                "others_cpu_percent": round(max(0.0, machine.busy_percent() - cpu_percent(cpu, wall)), 1),
                "rss_mb": round(mem.rss / MIB, 1),
                "pss_mb": round(getattr(mem, "pss", mem.rss) / MIB, 1),
            }
        )
    finally:
        loop.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Child entry: ``python -m pictag.bench.baseline PARAMS.json`` → one JSON line on stdout."""
    parser = argparse.ArgumentParser(description="Run the single-process baseline loop once.")
    parser.add_argument("params", type=Path, help="JSON file with BaselineParams fields.")
    args = parser.parse_args(argv)
    params = BaselineParams(**json.loads(args.params.read_text(encoding="utf-8")))
    result = run_baseline(params, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
