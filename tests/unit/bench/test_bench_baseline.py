"""The baseline loop: its looping reader, and a few real frames through the real models."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pictag.bench.baseline import (
    STAGES,
    BaselineLoop,
    BaselineParams,
    LoopingReader,
    run_baseline,
)
from pictag.config import parse_config
from pictag.detections import Detections
from pictag.errors import CameraError

FRAME_SHAPE = (576, 768, 3)


def _tracks(ids: list[int], heights: list[float], confidence: float = 0.9) -> Detections:
    xs = np.arange(len(ids), dtype=np.float32) * 120 + 50  # side by side, no overlap
    hs = np.asarray(heights, dtype=np.float32)
    xyxy = np.stack([xs, np.full_like(xs, 100), xs + 50, 100 + hs], axis=1)
    n = len(ids)
    return Detections(
        xyxy=xyxy,
        confidence=np.full(n, confidence, np.float32),
        class_id=np.zeros(n, np.int64),
        track_id=np.asarray(ids, np.int64),
    )


def test_reader_loops_the_file_and_rejects_a_missing_one(asset: Any, tmp_path: Path) -> None:
    reader = LoopingReader(asset("TUD-Campus.mp4"))  # 71 frames
    try:
        frames = [reader.read() for _ in range(80)]
    finally:
        reader.close()
    assert all(f.shape == (480, 640, 3) for f in frames)
    assert np.array_equal(frames[0], frames[71])  # frame 72 is frame 1 again
    with pytest.raises(CameraError, match="cannot open video"):
        LoopingReader(tmp_path / "missing.mp4")


def test_loop_runs_real_models_on_real_frames_and_reports_the_contract(asset: Any) -> None:
    config = parse_config({"detector": {"input_size": 320}}, "test")
    loop = BaselineLoop(config, [asset("vtest.avi")] * 2)
    try:
        until = time.monotonic() + 1.5
        loop.run_max(until)
        summary = loop.summary(1.5)
        assert summary["counters"]["processed"] >= 4
        assert summary["detections_per_frame"] > 1  # PETS09 always has people in view
        assert set(summary["stages_ms"]) == set(STAGES) and summary["stages_ms"]["detect"] > 0
        assert summary["skip_rate"] == 0.0 and summary["latency_ms"]["p50"] > 0
        loop.reset_tally()
        loop.run_paced(fps=1000.0, until=time.monotonic() + 1.0)  # far more than it can do
        paced = loop.summary(1.0)
        assert paced["skip_rate"] > 0.5, paced["counters"]
        assert paced["counters"]["offered"] == paced["counters"]["processed"] + paced["counters"]["skipped"]
    finally:
        loop.close()


def test_ceiling_only_run_measures_the_detector_alone(asset: Any) -> None:
    params = BaselineParams(
        source=str(asset("vtest.avi")),
        cameras=1,
        fps=0.0,
        warmup_s=0.0,
        seconds=0.0,
        config={"detector": {"input_size": 320}},
        ceiling_s=0.5,
        loop=False,
    )
    out = run_baseline(params)
    assert out["ceiling"]["fps"] > 0 and out["ceiling"]["input_size"] == 320
    assert "fps_processed" not in out
