"""Footfall engine cost per frame for N people, against the tracker on the same frames.

`pictag bench footfall` (or ``python -m pictag.footfall.bench``). The scene is the tracker
benchmark's synthetic shop camera (`pictag.tracking.bench`: people of 80-200 px walking and
bouncing off the 1280x720 frame, 5 % misses, false positives); it is tracked by `ByteTracker`
and the confirmed tracks of every frame go to `FootfallEngine.observe` with two lines and
three zones (one a queue), so crossings, entries and leaves happen. Both calls are timed in
the same run: on a shared machine the ratio is steadier than either number.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pictag.config.geometry import LineConfig, ZoneConfig
from pictag.config.tracking import TrackingConfig
from pictag.footfall.engine import FootfallEngine
from pictag.tracking.bench import FRAME_H, FRAME_W, _scene
from pictag.tracking.bytetrack import ByteTracker


@dataclass(frozen=True)
class FootfallBench:
    """Microseconds per frame of the footfall engine and of the tracker that fed it."""

    people: int
    frames: int
    footfall_us_mean: float
    footfall_us_p95: float
    tracker_us_mean: float
    ratio: float
    events: int
    tracks_mean: float

    def to_json(self) -> dict[str, Any]:
        """A plain dict for JSON."""
        return asdict(self)


def bench_geometry() -> tuple[list[LineConfig], list[ZoneConfig]]:
    """Two vertical lines at a third and two thirds of the frame; three zones side by side, one a queue."""
    lines = [
        LineConfig(id=f"l{i}", points=((FRAME_W * i / 3, 0.0), (FRAME_W * i / 3, FRAME_H)), entrance=i == 1)
        for i in (1, 2)
    ]
    zones = [
        ZoneConfig(
            id=f"z{i}",
            points=[
                (FRAME_W * i / 3, 100.0),
                (FRAME_W * (i + 1) / 3, 100.0),
                (FRAME_W * (i + 1) / 3, 650.0),
                (FRAME_W * i / 3, 650.0),
            ],
            kind="queue" if i == 0 else "area",
        )
        for i in range(3)
    ]
    return lines, zones


def benchmark(people: int = 10, frames: int = 1000, fps: float = 10.0, seed: int = 0) -> FootfallBench:
    """Time `FootfallEngine.observe` (and `ByteTracker.update`) over the synthetic scene; skip 10 warm-up frames."""
    scene = _scene(people, frames, fps, seed)
    tracker = ByteTracker(TrackingConfig())
    engine = FootfallEngine(now=0.0)
    engine.set_camera("cam", *bench_geometry())
    ff = np.zeros(frames)
    tr = np.zeros(frames)
    events = 0
    tracks = 0
    for k, det in enumerate(scene):
        ts = k / fps
        t0 = time.perf_counter()
        result = tracker.update(det, ts)
        t1 = time.perf_counter()
        out = engine.observe("cam", ts, result.tracks.track_id, result.tracks.xyxy, result.ended)
        t2 = time.perf_counter()
        tr[k], ff[k] = t1 - t0, t2 - t1
        events += len(out)
        tracks += len(result.tracks)
    keep = slice(min(10, frames - 1), None)
    ff_us, tr_us = ff[keep] * 1e6, tr[keep] * 1e6
    return FootfallBench(
        people=people,
        frames=frames,
        footfall_us_mean=float(ff_us.mean()),
        footfall_us_p95=float(np.percentile(ff_us, 95)),
        tracker_us_mean=float(tr_us.mean()),
        ratio=float(ff_us.mean() / tr_us.mean()),
        events=events,
        tracks_mean=tracks / frames,
    )


def table(rows: list[FootfallBench]) -> str:
    """Markdown table of benchmark rows."""
    out = [
        "| people | tracks/frame | footfall µs/frame (mean, p95) | tracker µs/frame | footfall / tracker | events |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.people} | {r.tracks_mean:.1f} | {r.footfall_us_mean:.1f}, {r.footfall_us_p95:.1f} | "
            f"{r.tracker_us_mean:.1f} | {r.ratio:.3f} | {r.events} |"
        )
    return "\n".join(out)


def main() -> None:
    """Print the table for a few crowd sizes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--frames", type=int, default=1000)
    args = parser.parse_args()
    print(table([benchmark(n, args.frames) for n in args.people]))


if __name__ == "__main__":
    main()
