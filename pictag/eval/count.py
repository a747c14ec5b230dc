"""`pictag eval count`: line counting with the real detector and tracker, scored against ground truth.

The video is detected once and tracked by our `ByteTracker` in this process (as `pictag eval
track` does); the confirmed tracks of every frame go through the same `FootfallEngine` the live
pipeline uses. With ground truth, the GT tracks go through the same engine with the same rule,
giving the true crossings; a predicted crossing *matches* a true one of the same line and
direction within ``window_s`` (1 s), one to one (Hungarian on the time difference).

Per line: precision = matched / predicted, recall = matched / true (each 1.0 when its
denominator is 0 — nothing to find, nothing found wrongly), F1 their harmonic mean; count error
per direction = |predicted − true| / true (None when true is 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from pictag.config.geometry import LineConfig
from pictag.config.tracking import TrackingConfig
from pictag.datasets.mot import read_seqinfo
from pictag.datasets.video import video_info
from pictag.errors import EvaluationError
from pictag.eval.frames import TrackRows
from pictag.eval.track import DetectedSequence
from pictag.footfall.engine import FootfallEngine, FootfallSettings
from pictag.footfall.outputs import LineCrossing
from pictag.tracking import ByteTracker

#: A predicted crossing matches a true one at most this far apart in time (issue 17).
MATCH_WINDOW_S = 1.0
_CAMERA = "eval"

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TrackFrame:
    """One frame of confirmed tracks: what the identity stage would hand the footfall engine."""

    ts: float
    track_ids: I64
    xyxy: F32
    ended: tuple[int, ...] = ()


def parse_line(text: str) -> tuple[float, float, float, float]:
    """``"X1,Y1,X2,Y2"`` → four floats.

    Raises:
        EvaluationError: not four numbers, or two equal points.
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
        raise EvaluationError(f"--line must be X1,Y1,X2,Y2 (four numbers), got {text!r}")
    x1, y1, x2, y2 = values
    if (x1, y1) == (x2, y2):
        raise EvaluationError(f"--line {text!r}: the two points are the same")
    return x1, y1, x2, y2


def line_configs(lines: Sequence[tuple[float, float, float, float]]) -> list[LineConfig]:
    """``--line`` values as `LineConfig` with ids ``L1``, ``L2``... (entrance lines, so occupancy runs too).

    Raises:
        EvaluationError: a coordinate is negative.
    """
    out = []
    for k, (x1, y1, x2, y2) in enumerate(lines, start=1):
        if min(x1, y1, x2, y2) < 0:
            raise EvaluationError(f"--line {k}: coordinates must be ≥ 0, got {(x1, y1, x2, y2)}")
        out.append(LineConfig(id=f"L{k}", points=((x1, y1), (x2, y2)), entrance=True))
    return out


def count_crossings(
    frames: Iterable[TrackFrame], lines: Sequence[LineConfig], settings: FootfallSettings
) -> list[LineCrossing]:
    """Every crossing the footfall engine reports for a sequence of track frames."""
    engine = FootfallEngine(replace(settings, reset_occupancy_at_close=False), now=0.0)
    engine.set_camera(_CAMERA, lines)
    found: list[LineCrossing] = []
    for f in frames:
        found.extend(
            e for e in engine.observe(_CAMERA, f.ts, f.track_ids, f.xyxy, f.ended) if isinstance(e, LineCrossing)
        )
    return found


def tracker_frames(seq: DetectedSequence, tracking: TrackingConfig) -> Iterator[TrackFrame]:
    """Our tracker over detected frames: each frame's confirmed tracks and ended ids."""
    tracker = ByteTracker(tracking)
    for stamp, det in zip(seq.timestamps, seq.detections, strict=True):
        result = tracker.update(det, stamp)
        yield TrackFrame(stamp, result.tracks.track_id, result.tracks.xyxy, tuple(result.ended))


def hold_last(frames: Iterable[TrackFrame], extra: int, dt: float) -> Iterator[TrackFrame]:
    """The frames, then the last frame's tracks held still for ``extra`` more frames ``dt`` apart.

    The video ends, not the people in it: a crossing in the last frames would be confirmed
    if the video went on, for the tracker and the ground truth alike.
    """
    last: TrackFrame | None = None
    for f in frames:
        last = f
        yield f
    if last is None:
        return
    for k in range(1, extra + 1):
        yield TrackFrame(last.ts + k * dt, last.track_ids, last.xyxy)


def truth_frames(gt: TrackRows, mot_frames: Sequence[int], timestamps: Sequence[float]) -> Iterator[TrackFrame]:
    """Ground-truth tracks frame by frame (only the frames that were analysed).

    An id ends after its last row, unless that row is in the last frame (it is still in view).
    """
    rows = gt.scored_only()
    analysed = set(mot_frames)
    last: dict[int, int] = {}
    for f, i in zip(rows.frame.tolist(), rows.ids.tolist(), strict=True):
        if f in analysed:
            last[i] = max(last.get(i, f), f)
    ending: dict[int, list[int]] = {}
    final = mot_frames[-1] if mot_frames else None
    for i, f in last.items():
        if f != final:  # a person still in view when the video ends has not left
            ending.setdefault(f, []).append(i)
    for f, stamp in zip(mot_frames, timestamps, strict=True):
        at = rows.at(f)
        yield TrackFrame(stamp, at.ids, at.xyxy.astype(np.float32), tuple(sorted(ending.get(f, ()))))


def count_sequence(
    seq: DetectedSequence,
    lines: Sequence[LineConfig],
    settings: FootfallSettings,
    tracking: TrackingConfig,
    gt: TrackRows | None = None,
) -> tuple[list[LineCrossing], list[LineCrossing] | None]:
    """Predicted crossings (our tracker) and, with ground truth, true crossings (GT tracks), same rule.

    Both sequences end with the last frame held for ``crossing_frames`` more frames
    (`hold_last`): a crossing just before the video ends counts for both or neither.
    """
    dt = 1.0 / seq.frame_rate
    extra = settings.crossing_frames
    predicted = count_crossings(hold_last(tracker_frames(seq, tracking), extra, dt), lines, settings)
    if gt is None:
        return predicted, None
    truth = count_crossings(hold_last(truth_frames(gt, seq.mot_frames, seq.timestamps), extra, dt), lines, settings)
    return predicted, truth


@dataclass(frozen=True)
class LineScore:
    """One line's counts and, with ground truth, its per-crossing scores."""

    line: LineConfig
    predicted: tuple[LineCrossing, ...]
    truth: tuple[LineCrossing, ...] | None
    matches: tuple[tuple[int, int], ...] = ()

    def counts(self, crossings: Sequence[LineCrossing]) -> dict[str, int]:
        """``{"in": n, "out": n}``."""
        return {d: sum(1 for c in crossings if c.direction == d) for d in ("in", "out")}

    def to_json(self) -> dict[str, Any]:
        """The JSON row (issue 17's keys plus ``id``, ``count_error``, ``matched``, ``missed``, ``false``)."""
        (x1, y1), (x2, y2) = self.line.points
        pred = self.counts(self.predicted)
        row: dict[str, Any] = {
            "id": self.line.id,
            "line": [x1, y1, x2, y2],
            "in": pred["in"],
            "out": pred["out"],
            "truth": None,
            "crossings": None,
            "count_error": None,
        }
        if self.truth is None:
            return row
        true = self.counts(self.truth)
        matched = len(self.matches)
        precision = matched / len(self.predicted) if self.predicted else 1.0
        recall = matched / len(self.truth) if self.truth else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        row["truth"] = true
        row["crossings"] = {"precision": precision, "recall": recall, "f1": f1}
        row["count_error"] = {d: (abs(pred[d] - true[d]) / true[d] if true[d] else None) for d in ("in", "out")}
        row["matched"] = matched
        hit_p = {p for p, _ in self.matches}
        hit_t = {t for _, t in self.matches}
        row["false"] = [_crossing_json(c) for k, c in enumerate(self.predicted) if k not in hit_p]
        row["missed"] = [_crossing_json(c) for k, c in enumerate(self.truth) if k not in hit_t]
        return row


def _crossing_json(c: LineCrossing) -> dict[str, Any]:
    return {"direction": c.direction, "ts": round(c.ts, 3), "track_id": c.track_id}


def match_crossings(
    predicted: Sequence[LineCrossing], truth: Sequence[LineCrossing], window_s: float = MATCH_WINDOW_S
) -> list[tuple[int, int]]:
    """One-to-one matches ``(predicted index, true index)``: same line and direction, ``|Δt| ≤ window_s``.

    Hungarian assignment on |Δt| maximises the number of matches first (infeasible pairs
    cost more than any set of feasible ones), then minimises the total time difference.
    """
    if not predicted or not truth:
        return []
    big = 1e6
    cost = np.full((len(predicted), len(truth)), big)
    for i, p in enumerate(predicted):
        for j, t in enumerate(truth):
            dt = abs(p.ts - t.ts)
            if p.line_id == t.line_id and p.direction == t.direction and dt <= window_s:
                cost[i, j] = dt
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if cost[i, j] < big]


def score_lines(
    lines: Sequence[LineConfig],
    predicted: Sequence[LineCrossing],
    truth: Sequence[LineCrossing] | None,
    window_s: float = MATCH_WINDOW_S,
) -> list[LineScore]:
    """Per line: its predicted crossings, true crossings and matches."""
    out = []
    for line in lines:
        pred = tuple(c for c in predicted if c.line_id == line.id)
        if truth is None:
            out.append(LineScore(line, pred, None))
            continue
        true = tuple(c for c in truth if c.line_id == line.id)
        out.append(LineScore(line, pred, true, tuple(match_crossings(pred, true, window_s))))
    return out


def totals(scores: Sequence[LineScore]) -> dict[str, Any]:
    """All lines pooled: counts, and with ground truth precision/recall/F1 over every crossing."""
    pred = [c for s in scores for c in s.predicted]
    out: dict[str, Any] = {
        "in": sum(1 for c in pred if c.direction == "in"),
        "out": sum(1 for c in pred if c.direction == "out"),
    }
    if any(s.truth is None for s in scores) or not scores:
        return out
    true = [c for s in scores for c in (s.truth or ())]
    matched = sum(len(s.matches) for s in scores)
    precision = matched / len(pred) if pred else 1.0
    recall = matched / len(true) if true else 1.0
    out["truth"] = {d: sum(1 for c in true if c.direction == d) for d in ("in", "out")}
    out["crossings"] = {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }
    return out


@dataclass(frozen=True)
class CountInputs:
    """Where the video and ground truth are and how their frames line up."""

    video: Path
    gt: Path | None
    frame_offset: int
    frame_rate: float
    max_frames: int | None
    name: str


def resolve_count_inputs(
    video: str | Path, gt: str | Path | None, frame_offset: int, max_frames: int | None = None
) -> CountInputs:
    """Check the files; frame rate and length from seqinfo.ini next to ``gt/`` if there, else the video.

    Raises:
        EvaluationError: a file is missing or the frame rate is unknown.
    """
    video_p = Path(video).expanduser()
    if not video_p.is_file():
        raise EvaluationError(f"video file not found: path={video_p}")
    gt_p = Path(gt).expanduser() if gt else None
    if gt_p is not None and not gt_p.is_file():
        raise EvaluationError(f"ground truth file not found: path={gt_p}")
    info_path = gt_p.parent.parent / "seqinfo.ini" if gt_p is not None else None
    info = read_seqinfo(info_path) if info_path is not None and info_path.is_file() else None
    rate = info.frame_rate if info else video_info(video_p).fps
    if not rate or rate <= 0:
        raise EvaluationError(f"unknown frame rate: video={video_p}")
    limit = max_frames
    if info is not None:
        last = info.length - frame_offset + 1  # frames past the annotation have no ground truth
        limit = last if limit is None else min(limit, last)
    return CountInputs(video_p, gt_p, frame_offset, float(rate), limit, info.name if info else video_p.stem)
