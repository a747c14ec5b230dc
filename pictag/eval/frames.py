"""Ground truth and tracker output side by side, frame by frame, as the MOT metrics need them.

Both CLEAR/ID (py-motmetrics) and HOTA score one sequence as a list of
`EvalFrame`: the ground-truth and tracker boxes of one frame and their IoU
matrix, computed once in float64 (TrackEval computes in float64 too; a float32
IoU can flip a pair that sits exactly on a threshold).

MOT16/17/20 protocol (TrackEval's ``MotChallenge2DBox`` preprocessing): a tracker
box that matches (Hungarian, IoU ≥ 0.5) a ground-truth box of a *distractor*
class — person on vehicle, static person, distractor, reflection — is removed
before scoring, so a tracker is neither rewarded nor punished for following a
mannequin. MOT15 sequences (PETS09, TUD) have no classes and skip this step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from pictag.errors import EvaluationError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: MOT17 classes whose matched tracker boxes are removed before scoring (TrackEval).
DISTRACTOR_CLASSES = (2, 7, 8, 12)
_EPS = float(np.finfo(np.float64).eps)


def iou_matrix(a: npt.ArrayLike, b: npt.ArrayLike) -> F64:
    """``(n, m)`` float64 IoU of xyxy boxes; 0 where a box or the union has no area."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    valid = (area_a[:, None] > _EPS) & (area_b[None, :] > _EPS) & (union > _EPS)
    return np.where(valid, inter / np.where(valid, union, 1.0), 0.0)


@dataclass(frozen=True)
class TrackRows:
    """Boxes of a whole sequence as parallel arrays (ground truth or tracker output).

    Attributes:
        frame: ``(n,) int64`` 1-based MOT frame numbers.
        ids: ``(n,) int64`` track ids.
        xyxy: ``(n, 4) float64`` boxes.
        class_id: ``(n,) int64`` MOT classes (1 = pedestrian).
        scored: ``(n,) bool`` rows that count; False for ground truth the benchmark
            ignores (zero-marked, or not a pedestrian in MOT17) but that may still
            mark a tracker box as a distractor.
    """

    frame: I64
    ids: I64
    xyxy: F64
    class_id: I64
    scored: npt.NDArray[np.bool_]

    @classmethod
    def build(
        cls,
        frame: npt.ArrayLike,
        ids: npt.ArrayLike,
        xyxy: npt.ArrayLike,
        class_id: npt.ArrayLike | None = None,
        scored: npt.ArrayLike | None = None,
    ) -> TrackRows:
        """Rows sorted by frame (stable), with dtypes and shapes checked."""
        f = np.asarray(frame, dtype=np.int64).reshape(-1)
        i = np.asarray(ids, dtype=np.int64).reshape(-1)
        b = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        c = np.ones_like(f) if class_id is None else np.asarray(class_id, dtype=np.int64).reshape(-1)
        k = np.ones(f.shape, bool) if scored is None else np.asarray(scored, dtype=bool).reshape(-1)
        if not (f.shape[0] == i.shape[0] == b.shape[0] == c.shape[0] == k.shape[0]):
            raise EvaluationError(
                f"rows disagree in length: frame={f.shape[0]} ids={i.shape[0]} boxes={b.shape[0]} "
                f"classes={c.shape[0]} scored={k.shape[0]}"
            )
        order = np.argsort(f, kind="stable")
        return cls(f[order], i[order], b[order], c[order], k[order])

    @classmethod
    def empty(cls) -> TrackRows:
        """No rows."""
        return cls.build(np.zeros(0), np.zeros(0), np.zeros((0, 4)))

    def scored_only(self) -> TrackRows:
        """Only the rows that count."""
        k = self.scored
        return TrackRows(self.frame[k], self.ids[k], self.xyxy[k], self.class_id[k], self.scored[k])

    def __len__(self) -> int:
        return int(self.frame.shape[0])

    def at(self, frame: int) -> TrackRows:
        """The rows of one frame."""
        lo, hi = np.searchsorted(self.frame, [frame, frame + 1])
        sl = slice(int(lo), int(hi))
        return TrackRows(self.frame[sl], self.ids[sl], self.xyxy[sl], self.class_id[sl], self.scored[sl])


@dataclass(frozen=True)
class EvalFrame:
    """One frame to score.

    Attributes:
        frame: 1-based MOT frame number.
        gt_ids: ``(n,)`` ground-truth ids.
        hyp_ids: ``(m,)`` tracker ids.
        iou: ``(n, m)`` float64 IoU between ground-truth and tracker boxes.
    """

    frame: int
    gt_ids: I64
    hyp_ids: I64
    iou: F64


def _distractor_matches(iou: F64, gt_class: I64) -> I64:
    """Tracker columns matched (IoU ≥ 0.5, Hungarian) to distractor-class ground truth."""
    if iou.size == 0:
        return np.zeros(0, np.int64)
    scores = np.where(iou < 0.5 - _EPS, 0.0, iou)
    rows, cols = linear_sum_assignment(-scores)
    matched = scores[rows, cols] > _EPS
    rows, cols = rows[matched], cols[matched]
    out: I64 = cols[np.isin(gt_class[rows], DISTRACTOR_CLASSES)].astype(np.int64)
    return out


def align(gt: TrackRows, hyp: TrackRows, frames: Iterable[int], *, mot17_preprocess: bool = False) -> list[EvalFrame]:
    """Pair ground truth and tracker output on the frames that were evaluated.

    Args:
        gt: ground truth; rows with ``scored`` False are never scored but, with
            ``mot17_preprocess``, mark tracker boxes on distractors.
        hyp: tracker output (every row scored).
        frames: the MOT frame numbers the tracker saw (frames without rows count too:
            a missed frame is a miss, not a skipped frame).
        mot17_preprocess: drop tracker boxes matched to distractor-class ground
            truth first, as TrackEval does for MOT16/17/20.

    Raises:
        EvaluationError: an id occurs twice in one frame.
    """
    out: list[EvalFrame] = []
    for f in frames:
        g, h = gt.at(int(f)), hyp.at(int(f))
        iou = iou_matrix(g.xyxy, h.xyxy)
        keep_h = np.ones(len(h), bool)
        if mot17_preprocess:
            keep_h[_distractor_matches(iou, g.class_id)] = False
        g_ids, h_ids, iou = g.ids[g.scored], h.ids[keep_h], iou[np.ix_(g.scored, keep_h)]
        if np.unique(g_ids).size != g_ids.size or np.unique(h_ids).size != h_ids.size:
            raise EvaluationError(
                f"an id occurs twice in one frame: frame={f} (ground truth or tracker output is corrupt)"
            )
        out.append(EvalFrame(int(f), g_ids, h_ids, iou))
    return out


def write_mot_rows(rows: TrackRows, path: str | Path) -> None:
    """Write tracker output as a MOTChallenge result file (``frame,id,x,y,w,h,1,-1,-1,-1``)."""
    wh = rows.xyxy[:, 2:] - rows.xyxy[:, :2]
    lines = [
        f"{f},{i},{x:.2f},{y:.2f},{w:.2f},{h:.2f},1,-1,-1,-1"
        for f, i, (x, y), (w, h) in zip(
            rows.frame.tolist(),
            rows.ids.tolist(),
            rows.xyxy[:, :2].tolist(),
            wh.tolist(),
            strict=True,
        )
    ]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def read_mot_rows(path: str | Path, *, ground_truth: bool = True) -> TrackRows:
    """Every row of a MOTChallenge ground truth or tracker result file.

    Columns: ``frame, id, x, y, w, h[, conf[, ...]]``.

    Unlike `pictag.datasets.mot.read_mot` this keeps the rows that are not scored
    (zero-marked, non-pedestrian), with their class, because the MOT17 distractor
    step needs them. 9 columns: MOT16/17/20 ground truth (class in column 8);
    anything else (MOT15 with world coordinates, tracker results): class 1. A row
    is scored when its column 7 is non-zero and, for 9 columns, its class is 1.
    With ``ground_truth`` False (a tracker's result file) every row is scored.

    Raises:
        EvaluationError: missing or malformed file.
    """
    p = Path(path)
    try:
        data = np.loadtxt(p, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as err:
        raise EvaluationError(f"cannot read MOT rows: path={p} reason={err}") from None
    if data.size == 0:
        return TrackRows.empty()
    if data.shape[1] < 6:
        raise EvaluationError(f"a MOT file needs frame,id,x,y,w,h columns: path={p} columns={data.shape[1]}")
    n = data.shape[0]
    if not ground_truth:
        cls, scored = np.ones(n), np.ones(n, bool)
    else:
        cls = data[:, 7] if data.shape[1] == 9 else np.ones(n)
        scored = (np.ones(n, bool) if data.shape[1] < 7 else data[:, 6] != 0) & (cls == 1)
    xyxy = np.concatenate([data[:, 2:4], data[:, 2:4] + data[:, 4:6]], axis=1)
    return TrackRows.build(data[:, 0], data[:, 1], xyxy, cls, scored)
