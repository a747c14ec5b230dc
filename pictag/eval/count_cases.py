"""Synthetic counting cases: generated tracks with known truth through the live footfall engine.

``python -m pictag.eval.count_cases`` prints the table in docs/footfall.md. Each case is a
short scene at 10 frames/s on one camera with one vertical line x = 400 from y = 100 to 600
(A at the top, so walking right→left is ``in``); people are 160 px tall boxes whose
bottom-centre follows a path plus Gaussian jitter (σ = 3 px ≈ 2 % of the height, what a detector
gives for a person standing still; seeded). The truth is what the people did, not what the
rule says.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pictag.config.geometry import LineConfig
from pictag.eval.count import TrackFrame, count_crossings
from pictag.footfall.engine import FootfallSettings

FPS = 10.0
LINE_X = 400.0
LINE = LineConfig(id="door", points=((LINE_X, 100.0), (LINE_X, 600.0)), entrance=True)
HEIGHT, WIDTH = 160.0, 60.0
JITTER_PX = 3.0

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Walk:
    """One track: its id and its feet positions frame by frame (None: not detected in that frame)."""

    track_id: int
    start: int
    points: list[tuple[float, float] | None]


def _frames(walks: list[Walk], seed: int, jitter: float = JITTER_PX) -> Iterator[TrackFrame]:
    """Turn walks into per-frame confirmed tracks with jittered boxes; a walk ends after its last point."""
    rng = np.random.default_rng(seed)
    end = max(w.start + len(w.points) for w in walks)
    for f in range(end):
        ids, boxes, ended = [], [], []
        for w in walks:
            k = f - w.start
            if k == len(w.points):
                ended.append(w.track_id)
            if 0 <= k < len(w.points) and w.points[k] is not None:
                x, y = w.points[k]  # type: ignore[misc]
                x, y = x + rng.normal(0, jitter), y + rng.normal(0, jitter)
                ids.append(w.track_id)
                boxes.append([x - WIDTH / 2, y - HEIGHT, x + WIDTH / 2, y])
        yield TrackFrame(
            f / FPS,
            np.asarray(ids, np.int64),
            np.asarray(boxes, np.float32).reshape(-1, 4),
            tuple(ended),
        )


def _path(x0: float, y0: float, x1: float, y1: float, steps: int) -> list[tuple[float, float] | None]:
    return [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in np.linspace(0.0, 1.0, steps)]


def _hold(x: float, y: float, steps: int) -> list[tuple[float, float] | None]:
    return [(x, y)] * steps


@dataclass(frozen=True)
class Case:
    """A scene with its true counts."""

    name: str
    description: str
    walks: Callable[[], list[Walk]]
    true_in: int
    true_out: int


def _u_turn_short() -> list[Walk]:
    # Walks right→left up to the line, one step (2 frames) over it, and back.
    return [Walk(1, 0, _path(600, 400, 410, 400, 15) + _path(385, 400, 385, 400, 2) + _path(410, 400, 600, 400, 15))]


def _u_turn_long() -> list[Walk]:
    # Walks through, stands 1 s on the far side, walks back out.
    return [Walk(1, 0, _path(600, 400, 320, 400, 20) + _hold(320, 400, 10) + _path(320, 400, 600, 400, 20))]


def _linger_on_line() -> list[Walk]:
    # Comes to the door and stands *on* the line for 20 s, then leaves the way they came.
    return [Walk(1, 0, _path(600, 400, LINE_X, 400, 15) + _hold(LINE_X, 400, 200) + _path(LINE_X, 400, 600, 400, 15))]


def _linger_near_line() -> list[Walk]:
    # Stands 10 px (≈ 3 σ of the jitter) outside the line for 20 s, then walks in.
    return [Walk(1, 0, _path(600, 400, 410, 400, 15) + _hold(410, 400, 200) + _path(410, 400, 200, 400, 15))]


def _side_by_side() -> list[Walk]:
    # Two people walk in shoulder to shoulder (boxes touching), then two walk out together.
    return [
        Walk(1, 0, _path(650, 330, 150, 330, 30)),
        Walk(2, 0, _path(650, 390, 150, 390, 30)),
        Walk(3, 40, _path(150, 300, 650, 300, 30)),
        Walk(4, 40, _path(150, 300 + WIDTH, 650, 300 + WIDTH, 30)),
    ]


def _swap_at_line() -> list[Walk]:
    # One walks in, one walks out; they meet on the line and the tracker swaps their ids there.
    a_in = _path(650, 400, 150, 400, 31)
    b_out = _path(150, 410, 650, 410, 31)
    return [Walk(1, 0, a_in[:15] + b_out[15:]), Walk(2, 0, b_out[:15] + a_in[15:])]


def _fragment_at_line() -> list[Walk]:
    # One person walks in; the tracker loses them on the line (3 frames undetected) and
    # starts a new track after it (the old one ends 3 s later, as ByteTrack's lost timeout).
    path = _path(650, 400, 150, 400, 31)
    return [Walk(1, 0, path[:14] + [None] * 30), Walk(2, 17, path[17:])]


def _gap_at_line() -> list[Walk]:
    # The same, but the tracker re-finds the person under the same id after the gap.
    path = _path(650, 400, 150, 400, 31)
    return [Walk(1, 0, path[:14] + [None, None, None] + path[17:])]


def _along_line() -> list[Walk]:
    # Walks the whole length of the line, on it.
    return [Walk(1, 0, _path(LINE_X, 50, LINE_X, 650, 60))]


def _along_near_line() -> list[Walk]:
    # Walks along the line 15 px (5 σ) from it.
    return [Walk(1, 0, _path(LINE_X + 15, 50, LINE_X + 15, 650, 60))]


def _round_the_end() -> list[Walk]:
    # Walks round the line's bottom end (below y = 600) from one side to the other.
    return [Walk(1, 0, _path(600, 500, 450, 650, 10) + _path(450, 650, 350, 650, 10) + _path(350, 650, 200, 500, 10))]


def _crowd() -> list[Walk]:
    # 20 people cross at random heights and angles, both ways, some at the same time.
    rng = np.random.default_rng(7)
    walks = []
    for k in range(20):
        y0, y1 = rng.uniform(150, 550, 2)
        inward = k % 2 == 0
        x0, x1 = (700.0, 100.0) if inward else (100.0, 700.0)
        walks.append(Walk(k + 1, int(rng.integers(0, 100)), _path(x0, y0, x1, y1, int(rng.integers(20, 60)))))
    return walks


CASES: tuple[Case, ...] = (
    Case("crossings", "20 people cross at random heights, angles and speeds (2-6 s), both ways", _crowd, 10, 10),
    Case("u_turn_short", "walks onto the line, 2 frames over it, turns back", _u_turn_short, 0, 0),
    Case("u_turn_long", "walks through, stands 1 s inside, walks back out", _u_turn_long, 1, 1),
    Case(
        "linger_on_line",
        "stands on the line 20 s (feet jitter over it), leaves the way they came",
        _linger_on_line,
        0,
        0,
    ),
    Case("linger_near_line", "stands 10 px outside the line 20 s, then walks in", _linger_near_line, 1, 0),
    Case("side_by_side", "two walk in shoulder to shoulder, two walk out together", _side_by_side, 2, 2),
    Case("swap_at_line", "one in, one out; ids swap where they meet on the line", _swap_at_line, 1, 1),
    Case("fragment_at_line", "lost on the line for 3 frames, found again under a new id", _fragment_at_line, 1, 0),
    Case("gap_at_line", "lost on the line for 3 frames, found again under the same id", _gap_at_line, 1, 0),
    Case("along_line", "walks the length of the line, on it", _along_line, 0, 0),
    Case("along_near_line", "walks the length of the line 15 px from it", _along_near_line, 0, 0),
    Case("round_the_end", "walks round the line's end to the other side", _round_the_end, 0, 0),
)


@dataclass(frozen=True)
class CaseResult:
    """Counted vs true crossings of a case, summed over seeds."""

    case: Case
    seeds: int
    counted_in: int
    counted_out: int


def run_case(case: Case, seeds: int = 20, settings: FootfallSettings | None = None) -> CaseResult:
    """Run a case with ``seeds`` different jitter draws (default settings: the ``site`` defaults); counts summed."""
    settings = settings or FootfallSettings()
    ins = outs = 0
    for seed in range(seeds):
        found = count_crossings(_frames(case.walks(), seed), [LINE], settings)
        ins += sum(1 for c in found if c.direction == "in")
        outs += sum(1 for c in found if c.direction == "out")
    return CaseResult(case, seeds, ins, outs)


def table(results: list[CaseResult]) -> str:
    """Markdown table: per case, true and counted in/out per run (mean over seeds)."""
    rows = ["| case | what happens | true in / out | counted in / out (mean of runs) |", "|---|---|---|---|"]
    for r in results:
        c = r.case
        rows.append(
            f"| `{c.name}` | {c.description} | {c.true_in} / {c.true_out} | "
            f"{r.counted_in / r.seeds:.2f} / {r.counted_out / r.seeds:.2f} |"
        )
    return "\n".join(rows)


def main() -> None:
    """Print the table of every case."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20, help="Jitter draws per case (default 20).")
    parser.add_argument(
        "--crossing-frames",
        type=int,
        default=FootfallSettings.crossing_frames,
        help="Hysteresis N (default: site.crossing_frames's default).",
    )
    parser.add_argument(
        "--edge-clearance",
        type=float,
        default=FootfallSettings.edge_clearance,
        help="Clearance, fraction of box height (default: site.edge_clearance's default).",
    )
    args = parser.parse_args()
    settings = FootfallSettings(crossing_frames=args.crossing_frames, edge_clearance=args.edge_clearance)
    print(table([run_case(c, args.seeds, settings) for c in CASES]))


if __name__ == "__main__":
    main()
