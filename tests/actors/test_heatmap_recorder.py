"""HeatmapRecorder (the detector actor's heatmaps) with a real StoreActor: increments reach DuckDB
periodically and at the local day change, the background sample is masked, a forgotten camera is written."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import ray

from pictag.actors.heatmaps import HeatmapRecorder
from pictag.actors.store import StoreActor
from pictag.config import parse_config
from pictag.detections import Detections
from pictag.messages import FrameRef, StageTimings
from pictag.reports.heatmap_live import decode_background
from pictag.reports.runner import ReportSettings

pytestmark = pytest.mark.timeout(120)

TZ = ZoneInfo("Europe/Berlin")
W, H = 160, 120


def boxes(*feet: tuple[int, int]) -> Detections:
    xyxy = np.array([[x - 8, y - 40, x + 8, y] for x, y in feet], np.float32).reshape(-1, 4)
    return Detections(xyxy=xyxy, confidence=np.full(len(xyxy), 0.9, np.float32), class_id=np.zeros(len(xyxy), np.int64))


def frame_ref(ts: float, seq: int, person_x: int) -> FrameRef:
    image = np.full((H, W, 3), 60, np.uint8)
    image[60:100, person_x - 8 : person_x + 8] = (255, 0, 255)  # a magenta "person", detected below
    return FrameRef("door", seq, ray.put(image), image.shape, StageTimings(captured_at=ts))


async def feed(recorder: HeatmapRecorder, start: float, frames: int, dt: float) -> None:
    for k in range(frames):
        x = 20 + (k * 7) % 120
        recorder.observe(frame_ref(start + k * dt, k, x), boxes((x, 100)), boxes((x, 100)))
        await asyncio.sleep(0.01)


def test_increments_reach_the_store_and_the_day_change_closes_the_old_day(ray_session, tmp_path: Path) -> None:
    config = parse_config(
        {
            "storage": {"path": str(tmp_path / "pictag.duckdb")},
            "reports": {
                "timezone": "Europe/Berlin",
                "heatmap": {
                    "cell_px": 8,
                    "sample_every_s": 0.05,
                    "persist_every_s": 1,
                    "background_samples": 8,
                    "background_width": 160,
                },
            },
        }
    )
    store = StoreActor.remote(config.storage, ReportSettings.from_config(config))
    before_midnight = datetime(2026, 11, 24, 23, 59, 50, tzinfo=TZ).timestamp()

    async def run() -> None:
        recorder = HeatmapRecorder(store)
        recorder.observe(frame_ref(before_midnight - 1, 0, 20), boxes(), boxes())  # asks the store for settings
        for _ in range(100):
            if recorder.stats()["enabled"]:
                break
            await asyncio.sleep(0.05)
        await feed(recorder, before_midnight, 40, 0.2)  # 8 s of the old day, people walking
        for _ in range(100):  # within persist_every_s the old day reaches the store, before any day change
            if await store.heatmap.remote("door", date(2026, 11, 24)) is not None:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("no periodic heatmap write within 10 s")
        await feed(recorder, before_midnight + 11, 10, 0.2)  # after midnight: a new day's grid
        await recorder.forget("door")  # the camera stops: what it gathered is written

    asyncio.run(run())
    old = ray.get(store.heatmap.remote("door", date(2026, 11, 24)))
    new = ray.get(store.heatmap.remote("door", date(2026, 11, 25)))
    assert old is not None and new is not None
    assert old.person_seconds == pytest.approx(39 * 0.2, rel=1e-3)  # each frame counts the gap since the last
    assert new.person_seconds == pytest.approx(9 * 0.2, rel=1e-3)  # a day's first frame stands for nothing yet
    background = decode_background(old.background_jpeg)
    assert background is not None and background.shape == (H, W, 3) and old.background_samples >= 3
    magenta = (background[..., 2] > 180) & (background[..., 0] > 180) & (background[..., 1] < 100)
    assert not magenta.any()  # the person was masked before the sample was kept
    ray.get(store.close.remote())
