"""CameraHeatmap: person-seconds from frame gaps, masked background samples, increments for the store."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pictag.config.reports import HeatmapConfig
from pictag.reports.heatmap_live import MAX_FRAME_WEIGHT_S, CameraHeatmap, decode_background, local_day, person_boxes

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 24)
T0 = datetime(2026, 11, 24, 10, tzinfo=TZ).timestamp()


def heatmap(**cfg: object) -> CameraHeatmap:
    config = HeatmapConfig.model_validate({"cell_px": 10, "background_samples": 4, "min_clean_samples": 1, **cfg})
    return CameraHeatmap("door", 100, 50, day=DAY, day_end=T0 + 14 * 3600, cfg=config)


def box(x: float, y: float) -> np.ndarray:
    return np.array([[x - 5, y - 20, x + 5, y]], np.float32)  # feet at (x, y)


def test_each_frame_counts_the_gap_since_the_previous_one_capped() -> None:
    hm = heatmap()
    hm.add_tracks(T0, box(15, 25))  # the first frame of a camera stands for nothing yet
    hm.add_tracks(T0 + 0.2, box(15, 25))
    hm.add_tracks(T0 + 0.5, box(15, 25))
    hm.add_tracks(T0 + 60.5, box(95, 49))  # after a stall: at most MAX_FRAME_WEIGHT_S
    hm.add_tracks(T0 + 60.0, box(95, 49))  # out of order: weight 0, clock kept
    counts = hm.take_counts()
    assert counts is not None and counts.shape == (5, 10)
    assert counts[2, 1] == pytest.approx(0.5) and counts[4, 9] == pytest.approx(MAX_FRAME_WEIGHT_S)
    assert counts.sum() == pytest.approx(0.5 + MAX_FRAME_WEIGHT_S)
    assert hm.take_counts() is None  # taken: the next increment starts at zero


def test_samples_are_due_every_sample_every_s_once_the_reservoir_is_full() -> None:
    hm = heatmap(sample_every_s=60, fill_every_s=60)
    assert [hm.sample_due(T0 + t) for t in (0, 30, 59.9, 60, 100, 121)] == [True, False, False, True, False, True]


def test_an_empty_reservoir_fills_every_fill_every_s_then_slows_to_sample_every_s() -> None:
    hm = heatmap(sample_every_s=60, fill_every_s=5, background_samples=3)
    floor = np.full((50, 100, 3), 90, np.uint8)
    due = []
    for t in (0, 2, 5, 10, 15, 20, 60, 75, 80):
        due.append(hm.sample_due(T0 + t))
        if due[-1]:
            hm.add_sample(floor, np.zeros((0, 4), np.float32))
    # 0, 5, 10 fill the 3 slots; then one a minute after the last sample (at 10 s): 70 s
    assert due == [True, False, True, True, False, False, False, True, False]


def test_background_is_rendered_only_when_samples_arrived_and_has_no_person() -> None:
    hm = heatmap()
    floor = np.full((50, 100, 3), 90, np.uint8)
    assert hm.render_background() is None  # nothing yet
    for x in (20, 50, 80, 30):
        frame = floor.copy()
        frame[10:40, x - 5 : x + 5] = (255, 0, 255)  # a magenta "person", detected
        assert hm.add_sample(frame, person_boxes(box(x, 40), np.zeros((0, 4), np.float32)))
    got = hm.render_background()
    assert got is not None
    jpeg, samples, holes = got
    image = decode_background(jpeg)
    assert image is not None and image.shape == (50, 100, 3) and samples == 4 and holes == 0.0
    assert np.abs(image.astype(int) - 90).max() <= 3  # the floor, never the magenta person (JPEG: +-3)
    assert hm.render_background() is None  # unchanged since
    delta = hm.delta(None, got)
    assert delta is not None and delta.counts.sum() == 0 and delta.background_samples == 4
    assert hm.delta(None, None) is None


def test_local_day_and_its_end_follow_the_site_zone_across_dst() -> None:
    day, end = local_day(datetime(2026, 10, 25, 12, tzinfo=TZ).timestamp(), TZ)  # 25 h long (fall back)
    assert day == date(2026, 10, 25)
    assert end - datetime(2026, 10, 25, 0, tzinfo=TZ).timestamp() == 25 * 3600


def test_person_boxes_joins_detections_and_tracks() -> None:
    joined = person_boxes(box(1, 2), np.zeros((0, 4), np.float32), box(3, 4))
    assert joined.shape == (2, 4) and joined.dtype == np.float32


def test_background_is_due_when_its_samples_doubled_or_after_background_every_s() -> None:
    hm = heatmap(background_samples=8, background_every_s=600)
    floor = np.full((50, 100, 3), 90, np.uint8)
    no_person = np.zeros((0, 4), np.float32)

    def offer() -> None:
        assert hm.add_sample(floor, no_person)

    assert not hm.background_due(T0)  # no sample yet
    offer()
    assert hm.background_due(T0)  # the first one
    assert hm.render_background(now=T0) is not None
    assert not hm.background_due(T0 + 10_000)  # nothing new: never, however long
    offer()
    assert hm.background_due(T0 + 1)  # 2 samples against 1 written
    assert hm.render_background(now=T0 + 1) is not None
    offer()
    assert not hm.background_due(T0 + 2)  # 3 against 2: not worth a rewrite yet
    assert hm.background_due(T0 + 1 + 600)  # ... until background_every_s passed
    offer()
    assert hm.background_due(T0 + 3)  # 4 against 2
