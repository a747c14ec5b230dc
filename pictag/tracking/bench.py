"""Tracker cost in milliseconds per frame for N people (``python -m pictag.tracking.bench``).

The scene is synthetic but shaped like a shop camera: people of 80-200 px walk at
0.2-1.5 m/s-like speeds with small jitter, bounce off the frame edges (so paths
cross), are missed 5 % of the time and sometimes detected with a low score, and a
few false positives appear per frame. Only `ByteTracker.update` is timed.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from pictag.config.tracking import TrackingConfig
from pictag.detections import Detections
from pictag.tracking.bytetrack import ByteTracker

FRAME_W, FRAME_H = 1280.0, 720.0


@dataclass(frozen=True)
class BenchResult:
    """Tracker cost over a synthetic sequence."""

    people: int
    frames: int
    ms_mean: float
    ms_p50: float
    ms_p95: float
    tracks_last_frame: int


def _scene(people: int, frames: int, fps: float, seed: int) -> list[Detections]:
    rng = np.random.default_rng(seed)
    h = rng.uniform(80, 200, people)
    w = h * rng.uniform(0.35, 0.5, people)
    pos = np.column_stack([rng.uniform(0, FRAME_W - w), rng.uniform(0, FRAME_H - h)])
    vel = rng.normal(0, 1, (people, 2)) * h[:, None] * 0.5  # px/s
    out = []
    for _ in range(frames):
        pos += vel / fps
        for axis, limit in ((0, FRAME_W - w), (1, FRAME_H - h)):
            bounce = (pos[:, axis] < 0) | (pos[:, axis] > limit)
            vel[bounce, axis] *= -1
            pos[:, axis] = np.clip(pos[:, axis], 0, limit)
        boxes = np.column_stack([pos, pos[:, 0] + w, pos[:, 1] + h]) + rng.normal(0, 2, (people, 4))
        score = np.where(
            rng.random(people) < 0.15,
            rng.uniform(0.15, 0.5, people),
            rng.uniform(0.6, 0.95, people),
        )
        seen = rng.random(people) > 0.05
        fp = rng.uniform([0, 0, 0, 0], [FRAME_W - 60, FRAME_H - 150, 0, 0], (3, 4))
        fp[:, 2:] = fp[:, :2] + [50, 120]
        xyxy = np.concatenate([boxes[seen], fp]).astype(np.float32)
        conf = np.concatenate([score[seen], rng.uniform(0.1, 0.4, 3)]).astype(np.float32)
        out.append(Detections(xyxy=xyxy, confidence=conf, class_id=np.zeros(len(conf), np.int64)))
    return out


def benchmark(
    people: int = 20,
    frames: int = 600,
    fps: float = 10.0,
    config: TrackingConfig | None = None,
    seed: int = 0,
) -> BenchResult:
    """Time `ByteTracker.update` over a synthetic scene of ``people`` walkers.

    The first 10 frames (track start-up) are not counted.
    """
    scene = _scene(people, frames, fps, seed)
    tracker = ByteTracker(config or TrackingConfig())
    times = np.zeros(frames)
    tracks = 0
    for k, det in enumerate(scene):
        start = time.perf_counter()
        result = tracker.update(det, k / fps)
        times[k] = time.perf_counter() - start
        tracks = len(result.tracks)
    ms = times[min(10, frames - 1) :] * 1000.0
    return BenchResult(
        people=people,
        frames=frames,
        ms_mean=float(ms.mean()),
        ms_p50=float(np.percentile(ms, 50)),
        ms_p95=float(np.percentile(ms, 95)),
        tracks_last_frame=tracks,
    )


def main() -> None:
    """Print the benchmark for a few crowd sizes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, nargs="+", default=[1, 5, 20, 50])
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args()
    for n in args.people:
        r = benchmark(n, args.frames)
        print(
            f"{n:3d} people: {r.ms_mean:.3f} ms/frame mean, p50 {r.ms_p50:.3f}, p95 {r.ms_p95:.3f} "
            f"({r.tracks_last_frame} tracks in the last frame)"
        )


if __name__ == "__main__":
    main()
