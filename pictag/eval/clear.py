"""CLEAR MOT and identity metrics through py-motmetrics (the MOTChallenge devkit's Python port).

We feed motmetrics our own IoU distance (``1 - IoU``, NaN under the threshold)
instead of ``motmetrics.distances.iou_matrix``, which calls ``np.asfarray`` and
fails on NumPy 2. Everything else — the per-frame matching with its
keep-previous-matches rule, switch and fragmentation counting, the global ID
assignment behind IDF1 — is the library's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pictag.errors import EvaluationError
from pictag.eval.frames import EvalFrame

#: A match needs IoU ≥ 0.5 (MOTChallenge).
DEFAULT_IOU = 0.5

_METRICS = (
    "mota",
    "motp",
    "idf1",
    "idp",
    "idr",
    "precision",
    "recall",
    "num_switches",
    "num_fragmentations",
    "num_false_positives",
    "num_misses",
    "num_objects",
    "num_predictions",
    "num_unique_objects",
    "mostly_tracked",
    "partially_tracked",
    "mostly_lost",
)


@dataclass(frozen=True)
class ClearResult:
    """CLEAR MOT and ID metrics of one sequence (ratios 0..1).

    Attributes:
        mota: 1 - (FN + FP + IDSW) / GT boxes.
        motp: mean IoU of matched pairs (MOTChallenge convention; motmetrics reports 1 - IoU).
        idf1, idp, idr: identity F1 / precision / recall after the global id assignment.
        precision, recall: of the per-frame matches.
        id_switches, fragmentations, false_positives, misses: counts.
        gt_boxes, hyp_boxes, gt_ids: sizes.
        mostly_tracked, partially_tracked, mostly_lost: ground-truth tracks covered
            ≥ 80 %, 20-80 %, < 20 % of their life.
    """

    mota: float
    motp: float
    idf1: float
    idp: float
    idr: float
    precision: float
    recall: float
    id_switches: int
    fragmentations: int
    false_positives: int
    misses: int
    gt_boxes: int
    hyp_boxes: int
    gt_ids: int
    mostly_tracked: int
    partially_tracked: int
    mostly_lost: int


def _motmetrics() -> Any:
    try:
        import motmetrics
    except ImportError:
        raise EvaluationError(
            "py-motmetrics is not installed: pip install 'pictag[eval]' (or pip install motmetrics)"
        ) from None
    return motmetrics


def clear_metrics(frames: Sequence[EvalFrame], iou_threshold: float = DEFAULT_IOU) -> ClearResult:
    """CLEAR MOT (MOTA, MOTP, switches, fragmentations) and ID metrics (IDF1) of one sequence."""
    mm = _motmetrics()
    acc = mm.MOTAccumulator(auto_id=False)
    for f in frames:
        dist = 1.0 - f.iou
        dist[f.iou < iou_threshold] = np.nan
        acc.update(f.gt_ids.tolist(), f.hyp_ids.tolist(), dist, frameid=f.frame)
    row = mm.metrics.create().compute(acc, metrics=list(_METRICS), name="seq").iloc[0]

    def num(key: str) -> float:
        value = float(row[key])
        return 0.0 if np.isnan(value) else value

    motp_distance = float(row["motp"])  # mean (1 - IoU) over matches; NaN without any match

    return ClearResult(
        mota=num("mota"),
        motp=0.0 if np.isnan(motp_distance) else 1.0 - motp_distance,
        idf1=num("idf1"),
        idp=num("idp"),
        idr=num("idr"),
        precision=num("precision"),
        recall=num("recall"),
        id_switches=int(num("num_switches")),
        fragmentations=int(num("num_fragmentations")),
        false_positives=int(num("num_false_positives")),
        misses=int(num("num_misses")),
        gt_boxes=int(num("num_objects")),
        hyp_boxes=int(num("num_predictions")),
        gt_ids=int(num("num_unique_objects")),
        mostly_tracked=int(num("mostly_tracked")),
        partially_tracked=int(num("partially_tracked")),
        mostly_lost=int(num("mostly_lost")),
    )
