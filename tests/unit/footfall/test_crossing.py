"""The line-crossing rule of issue 17, table-driven on feet paths of one or more tracks."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.config.geometry import LineConfig
from pictag.footfall.camera import CameraCounter
from pictag.footfall.outputs import LineCrossing

H = 100.0  # box height: clearance 0.075 -> 7.5 px
VERTICAL = LineConfig(id="v", points=((100.0, 0.0), (100.0, 200.0)), entrance=True)  # right of it is -1
HORIZONTAL = LineConfig(id="h", points=((0.0, 100.0), (200.0, 100.0)))  # above it is -1


def _box(x: float, y: float) -> list[float]:
    return [x - 20, y - H, x + 20, y]


def run(
    paths: dict[int, list[tuple[float, float] | None]],
    line: LineConfig = VERTICAL,
    frames: int = 3,
    clearance: float = 0.075,
    end: bool = False,
) -> list[LineCrossing]:
    """Feed feet paths (None: not seen that frame) at 10 fps; ``end`` ends every track after its path."""
    cam = CameraCounter("cam", [line])
    out: list[LineCrossing] = []
    length = max(len(p) for p in paths.values())
    for f in range(length + 1):
        ids, boxes = [], []
        for tid, path in paths.items():
            if f < len(path) and path[f] is not None:
                ids.append(tid)
                boxes.append(_box(*path[f]))
        ended = [tid for tid, p in paths.items() if end and f == len(p)]
        found = cam.observe(
            f / 10, np.asarray(ids, np.int64), np.asarray(boxes, np.float32).reshape(-1, 4), ended,
            crossing_frames=frames, zone_frames=3, edge_clearance=clearance,
        )  # fmt: skip
        out.extend(c for c in found if isinstance(c, LineCrossing))
    return out


def xs(*values: float, y: float = 100.0) -> list[tuple[float, float] | None]:
    return [(x, y) for x in values]


def directions(found: list[LineCrossing]) -> list[str]:
    return [c.direction for c in found]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (xs(150, 130, 110, 90, 70, 50, 30), ["in"]),  # right (-1) to left (+1)
        (xs(30, 50, 70, 90, 110, 130, 150), ["out"]),
        (xs(150, 140, 130, 120), []),  # never reaches the line
        (xs(150, 110, 90, 70, 50), ["in"]),  # exactly N = 3 frames on the new side
        (xs(150, 130, 110, 90, 70, 110, 130), []),  # only 2 frames over, then back: a short U-turn
        (xs(150, 120, 80, 60, 60, 60, 60, 80, 120, 140, 150, 150), ["in", "out"]),  # went through, came back
        (xs(150, 104, 96, 104, 96, 104, 96, 104, 96, 104, 130), []),  # jitter over the line, then leaves
        (xs(150, 120, 96, 104, 80, 60, 40, 40), ["in"]),  # jitter while crossing counts once
        (xs(150, 120, 100, 100, 100, 80, 60, 40), ["in"]),  # on the line (side 0) changes nothing
    ],
)
def test_vertical_line(path, expected) -> None:
    assert directions(run({1: path})) == expected


@pytest.mark.parametrize(
    ("ys", "expected"),
    [
        ([50, 70, 90, 110, 130, 150], ["in"]),  # above (-1) to below (+1)
        ([150, 130, 110, 90, 70, 50], ["out"]),
    ],
)
def test_horizontal_line_and_its_reverse(ys, expected) -> None:
    path = [(100.0, float(y)) for y in ys]
    assert directions(run({1: path}, HORIZONTAL)) == expected
    reverse = LineConfig(id="r", points=((200.0, 100.0), (0.0, 100.0)))
    flipped = {"in": "out", "out": "in"}
    assert directions(run({1: path}, reverse)) == [flipped[d] for d in expected]


def test_hysteresis_frames() -> None:
    path = xs(150, 120, 80, 60, 120, 140)  # 2 frames over the line
    assert directions(run({1: path}, frames=2)) == ["in", "out"]
    assert directions(run({1: path}, frames=3)) == []
    assert directions(run({1: xs(150, 80, 120)}, frames=1)) == ["in", "out"]


def test_crossing_time_is_the_first_frame_on_the_new_side() -> None:
    (c,) = run({1: xs(150, 130, 110, 90, 70, 50)})
    assert c.ts == pytest.approx(0.3)
    assert c.track_id == 1 and c.line_id == "v" and c.entrance and c.camera_id == "cam"


def test_lingering_on_the_line_never_counts_with_clearance() -> None:
    rng = np.random.default_rng(1)
    on_line = [(100.0 + float(d), 100.0) for d in rng.normal(0, 2.5, 300)]  # 30 s, jitter 2.5 px
    path = xs(150, 120) + on_line + xs(120, 150)
    assert run({1: path}) == []
    assert len(run({1: path}, clearance=0.0)) > 2  # the bare sign rule flips with the jitter


def test_walking_along_the_line() -> None:
    rng = np.random.default_rng(2)
    along = [(100.0 + float(d), float(y)) for d, y in zip(rng.normal(0, 2.5, 60), np.linspace(0, 200, 60), strict=True)]
    assert run({1: along}) == []


def test_only_crossings_of_the_drawn_segment_count() -> None:
    # Walking round the line's lower end (B at y=200): crosses its extension at y=260.
    round_end = [(150, 180), (140, 230), (120, 260), (80, 260), (60, 230), (50, 180), (50, 150), (50, 120)]
    assert run({1: round_end}) == []
    # Then crossing the segment back from the new committed side counts as "out".
    assert directions(run({1: round_end + xs(80, 120, 140, 160, 170)})) == ["out"]


def test_track_end_clears_state_and_pending_changes_are_dropped() -> None:
    # Track 1 crosses 2 frames and ends; the same id reused later starts fresh (no crossing).
    assert run({1: xs(150, 130, 80, 60)}, end=True) == []


def test_frames_without_the_track_neither_advance_nor_cancel() -> None:
    path = [(150.0, 100.0), (130.0, 100.0), None, None, (80.0, 100.0), None, (70.0, 100.0), (60.0, 100.0)]
    (c,) = run({1: path})
    assert c.direction == "in" and c.ts == pytest.approx(0.4)


def test_two_people_side_by_side_count_twice() -> None:
    a = xs(150, 130, 110, 90, 70, 50, y=80)
    b = xs(150, 130, 110, 90, 70, 50, y=130)
    found = run({1: a, 2: b})
    assert sorted((c.track_id, c.direction) for c in found) == [(1, "in"), (2, "in")]


def test_first_sighting_sets_the_side_without_counting() -> None:
    assert run({1: xs(60, 50, 40, 30)}) == []  # appears already on the +1 side
    assert run({1: xs(100, 100, 60, 50, 40)}) == []  # first seen exactly on the line


def test_several_lines_at_once() -> None:
    lines = [VERTICAL, HORIZONTAL]
    cam = CameraCounter("cam", lines)
    path = [(150, 50), (140, 60), (120, 80), (100, 100), (80, 120), (60, 140), (40, 160), (20, 180), (10, 190)]
    found = []
    for f, (x, y) in enumerate(path):
        found += cam.observe(f / 10, [7], [_box(x, y)], (), crossing_frames=3, zone_frames=3)
    assert sorted((c.line_id, c.direction) for c in found) == [("h", "in"), ("v", "in")]
