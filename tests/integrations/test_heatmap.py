"""Heatmap on real video (vtest.avi, PETS09-S2L1 ground-truth boxes): the background shows no person,
a person who never moves leaves a filled hole, and the rendered PNG puts heat where people walked."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pictag.datasets.mot import load_sequence
from pictag.datasets.video import read_frames
from pictag.reports.heatmap import BackgroundModel, HeatmapError, HeatmapGrid, heatmap_png

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BUILD = list(range(0, 795, 8))  # frames offered to the background model
HELD_OUT = list(range(4, 795, 8))  # frames used only to check it


@pytest.fixture(scope="module")
def pets(asset):
    video = asset("videos/vtest.avi")
    gt = load_sequence(asset("mot/PETS09-S2L1/gt/gt.txt").parent.parent)
    frames = read_frames(video, BUILD + HELD_OUT)
    return frames, gt


def person_regions(frames, gt, indices, min_area=400):
    h, w = frames[indices[0]].shape[:2]
    for i in indices:
        for box in gt.at_video_frame(i).xyxy:
            x1, y1 = max(int(box[0]), 0), max(int(box[1]), 0)
            x2, y2 = min(int(np.ceil(box[2])), w), min(int(np.ceil(box[3])), h)
            if (x2 - x1) * (y2 - y1) >= min_area:
                yield i, (slice(y1, y2), slice(x1, x2))


def build(frames, gt, indices, *, miss_every: int = 0, paint=None, samples=32):
    h, w = frames[indices[0]].shape[:2]
    model = BackgroundModel(w, h, samples=samples, keep_width=w, seed=1)
    for n, i in enumerate(indices):
        frame, boxes = frames[i].copy(), gt.at_video_frame(i).xyxy
        if miss_every and n % miss_every == 0:
            boxes = boxes[: len(boxes) // 2]  # the detector missed half the people in this sample
        if paint is not None:
            x1, y1, x2, y2 = paint
            frame[y1:y2, x1:x2] = (255, 0, 255)  # a "person" standing there all day, always detected
            boxes = np.vstack([boxes, np.array([paint], np.float32)])
        model.add_sample(frame, boxes)
    return model.render()


@pytest.mark.parametrize("miss_every", [0, 5], ids=["all-detected", "20pct-samples-miss-half"])
def test_background_has_no_person(pets, miss_every: int) -> None:
    frames, gt = pets
    bg = build(frames, gt, BUILD, miss_every=miss_every)
    reference = build(frames, gt, HELD_OUT, samples=len(HELD_OUT))  # empty scene from other frames
    assert bg is not None and reference is not None and bg.samples == 32
    to_person, to_empty = [], []
    for i, region in person_regions(frames, gt, HELD_OUT + BUILD):
        patch = bg.image[region].astype(np.int16)
        to_person.append(np.abs(patch - frames[i][region]).mean())
        to_empty.append(np.abs(patch - reference.image[region]).mean())
    to_person_a, to_empty_a = np.array(to_person), np.array(to_empty)
    print(  # figures for docs/integrations.md (pytest -s)
        f"miss_every={miss_every} boxes={len(to_person_a)} holes={bg.hole_fraction:.4f} "
        f"bg-vs-frame min/median={to_person_a.min():.1f}/{np.median(to_person_a):.1f} "
        f"bg-vs-empty median/max={np.median(to_empty_a):.2f}/{to_empty_a.max():.2f}"
    )
    # measured: person boxes differ from the background by 13.2 grey levels at least (median 70.7);
    # the background differs from the empty scene by 1.21 at most
    assert len(to_person_a) > 1000
    assert to_empty_a.max() < 4.0, to_empty_a.max()
    assert np.median(to_person_a) > 30 and (to_person_a > 4 * to_empty_a).all()
    if miss_every == 0:
        ARTIFACTS.mkdir(exist_ok=True)
        cv2.imwrite(str(ARTIFACTS / "heatmap-background-vtest.png"), bg.image)


def test_a_person_who_never_moves_becomes_a_filled_hole(pets) -> None:
    frames, gt = pets
    paint = (560, 460, 590, 530)  # on the grass, bottom right
    bg = build(frames, gt, BUILD, paint=paint)
    assert bg is not None and bg.hole_fraction > 0.005
    x1, y1, x2, y2 = paint
    hole = bg.image[y1:y2, x1:x2].astype(np.int16)
    magenta = (hole[..., 2] > 180) & (hole[..., 0] > 180) & (hole[..., 1] < 100)
    assert not magenta.any()
    # the fill is made of the hole's surroundings (grass): every pixel lies within their colour range,
    # and on average it is the grass colour
    ring = bg.image[y1 - 30 : y2 + 30, x1 - 30 : x2 + 30].astype(np.int16).copy()
    ring[20:-20, 20:-20] = -1  # the hole and its margin are not surroundings
    around = ring[(ring >= 0).all(axis=2)]
    assert ((hole >= around.min(axis=0) - 5) & (hole <= around.max(axis=0) + 5)).all()
    assert np.abs(hole.reshape(-1, 3).mean(axis=0) - np.median(around, axis=0)).max() < 25


def test_heatmap_png_puts_heat_where_people_walked(pets) -> None:
    frames, gt = pets
    h, w = frames[0].shape[:2]
    grid = HeatmapGrid(w, h, cell_px=8)
    for _, truth in gt.iter_frames():
        grid.add(truth.xyxy, weight_s=1 / 7)  # PETS09-S2L1 runs at 7 fps
    assert grid.total_s == pytest.approx(len(gt) / 7, rel=1e-4)
    bg = build(frames, gt, BUILD)
    assert bg is not None
    png = heatmap_png(grid, bg.image)
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (h + 36, w, 3)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "heatmap-vtest.png").write_bytes(png)
    gray = cv2.cvtColor(cv2.cvtColor(bg.image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR).astype(np.int16)
    cy, cx = np.unravel_index(np.argmax(grid.counts), grid.counts.shape)
    hot = (slice(cy * 8, cy * 8 + 8), slice(cx * 8, cx * 8 + 8))
    spread = image.astype(np.int16).max(axis=2) - image.astype(np.int16).min(axis=2)  # 0 on grey
    assert spread[hot].mean() > 40  # coloured where people stood
    cold = (slice(0, 40), slice(0, 40))  # top-left building corner: nobody there
    assert grid.counts[:5, :5].sum() == 0
    assert np.abs(image[cold].astype(np.int16) - gray[cold]).max() <= 1  # the plain (grey) background


def test_grid_add_and_round_trip(tmp_path: Path) -> None:
    grid = HeatmapGrid(100, 50, cell_px=10)
    grid.add(np.array([[0, 0, 10, 10], [45, 10, 55, 50], [90, 0, 200, 99]], np.float32), weight_s=0.5)
    grid.add(np.zeros((0, 4), np.float32))
    assert grid.counts.shape == (5, 10)
    assert grid.counts[0, 0] == 0.5 and grid.counts[4, 5] == 0.5 and grid.counts[4, 9] == 0.5  # clipped inside
    grid.save(tmp_path / "g.npz")
    again = HeatmapGrid.load(tmp_path / "g.npz")
    assert (again.counts == grid.counts).all() and again.cell_px == 10
    with pytest.raises(HeatmapError, match="bad_shape"):
        grid.add(np.zeros((3, 5), np.float32))
    with pytest.raises(HeatmapError, match="bad_frame"):
        BackgroundModel(100, 50).add_sample(np.zeros((10, 10, 3), np.uint8), [])
    assert BackgroundModel(100, 50).render() is None
