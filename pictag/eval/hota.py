"""HOTA (Higher Order Tracking Accuracy), as defined by Luiten et al., IJCV 2021.

This follows the reference implementation, TrackEval's ``metrics/hota.py``, step
for step — its result on the same input agrees to floating-point rounding
(tests/unit/eval/test_hota.py checks it on MOT17 ground truth). It is our own
vectorised code rather than a dependency because the PyPI build of TrackEval pulls
in opencv-python, which clashes with opencv-python-headless in one environment.

Algorithm (one sequence):

1. For every frame, a soft IoU-of-sets between each ground-truth id and tracker
   id is accumulated (``sim / (row sum + column sum - sim)``); with the number of
   frames each id appears in, it gives a *global alignment score* per id pair.
2. For every frame, a Hungarian matching maximises ``alignment × IoU``, so a pair
   that is consistently together across the sequence wins over a locally better
   one — this is what makes HOTA reward association.
3. For each localisation threshold α ∈ {0.05, 0.10, …, 0.95}, matched pairs with
   IoU ≥ α are true positives: DetA = TP / (TP + FN + FP); AssA averages, over the
   TPs, the Jaccard index of the two ids' trajectories; HOTA_α = √(DetA·AssA).
4. HOTA, DetA, AssA, LocA are the means over α.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from pictag.eval.frames import EvalFrame

F64 = npt.NDArray[np.float64]

#: Localisation thresholds α (TrackEval: ``np.arange(0.05, 0.99, 0.05)``).
ALPHAS: F64 = np.arange(0.05, 0.99, 0.05)
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class HotaResult:
    """HOTA and its sub-metrics, averaged over α (ratios 0..1), plus the per-α curves.

    Attributes:
        hota, deta, assa, loca, detre, detpr, assre, asspr: means over `ALPHAS`.
        hota_alpha, deta_alpha, assa_alpha: ``(19,)`` values per α.
        tp, fn, fp: ``(19,)`` detection counts per α.
    """

    hota: float
    deta: float
    assa: float
    loca: float
    detre: float
    detpr: float
    assre: float
    asspr: float
    hota_alpha: F64
    deta_alpha: F64
    assa_alpha: F64
    tp: F64
    fn: F64
    fp: F64

    def summary(self) -> dict[str, float]:
        """The scalar fields, for JSON."""
        return {
            "hota": self.hota,
            "deta": self.deta,
            "assa": self.assa,
            "loca": self.loca,
            "detre": self.detre,
            "detpr": self.detpr,
            "assre": self.assre,
            "asspr": self.asspr,
        }


def _relabel(
    frames: Sequence[EvalFrame],
) -> tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.int64]], int, int]:
    """Ids → contiguous 0..k-1 indices (per side), frame by frame."""
    gt_all = np.concatenate([f.gt_ids for f in frames]) if frames else np.zeros(0, np.int64)
    hyp_all = np.concatenate([f.hyp_ids for f in frames]) if frames else np.zeros(0, np.int64)
    gt_u, gt_inv = np.unique(gt_all, return_inverse=True)
    hyp_u, hyp_inv = np.unique(hyp_all, return_inverse=True)
    gt_split = np.cumsum([f.gt_ids.size for f in frames])[:-1]
    hyp_split = np.cumsum([f.hyp_ids.size for f in frames])[:-1]
    return np.split(gt_inv, gt_split), np.split(hyp_inv, hyp_split), int(gt_u.size), int(hyp_u.size)


def _finish(counts: tuple[F64, F64, F64], loc_sum: F64, matches: F64, id_counts: tuple[F64, F64]) -> HotaResult:
    """Turn per-α (TP, FN, FP) counts and the (α, gt, hyp) match counts into the metric values."""
    tp, fn, fp = counts
    gt_count, hyp_count = id_counts
    denom_tp = np.maximum(1.0, tp)
    union = gt_count[None, :, None] + hyp_count[None, None, :] - matches
    assa = np.sum(matches * matches / np.maximum(1.0, union), axis=(1, 2)) / denom_tp
    assre = np.sum(matches * matches / np.maximum(1.0, gt_count)[None, :, None], axis=(1, 2)) / denom_tp
    asspr = np.sum(matches * matches / np.maximum(1.0, hyp_count)[None, None, :], axis=(1, 2)) / denom_tp
    loca = np.maximum(1e-10, loc_sum) / np.maximum(1e-10, tp)
    detre = tp / np.maximum(1.0, tp + fn)
    detpr = tp / np.maximum(1.0, tp + fp)
    deta = tp / np.maximum(1.0, tp + fn + fp)
    hota = np.sqrt(deta * assa)
    return HotaResult(
        hota=float(hota.mean()),
        deta=float(deta.mean()),
        assa=float(assa.mean()),
        loca=float(loca.mean()),
        detre=float(detre.mean()),
        detpr=float(detpr.mean()),
        assre=float(assre.mean()),
        asspr=float(asspr.mean()),
        hota_alpha=hota,
        deta_alpha=deta,
        assa_alpha=assa,
        tp=tp,
        fn=fn,
        fp=fp,
    )


def hota(frames: Sequence[EvalFrame]) -> HotaResult:
    """HOTA of one sequence (see the module docstring).

    Args:
        frames: the aligned frames (`pictag.eval.frames.align`); similarity is their IoU.
    """
    n_alpha = ALPHAS.size
    gt_idx, hyp_idx, n_gt, n_hyp = _relabel(frames)
    n_gt_dets = sum(g.size for g in gt_idx)
    n_hyp_dets = sum(h.size for h in hyp_idx)
    zeros = np.zeros(n_alpha)
    if n_gt_dets == 0 or n_hyp_dets == 0:
        # As TrackEval: every box is a miss (or a false positive), every score 0, LocA 1.
        return HotaResult(
            0.0,
            0.0,
            0.0,
            1.0,
            0.0,
            0.0,
            0.0,
            0.0,
            zeros,
            zeros,
            zeros,
            zeros,
            zeros + n_gt_dets,
            zeros + n_hyp_dets,
        )

    # Pass 1: soft alignment between ids over the whole sequence.
    potential = np.zeros((n_gt, n_hyp))
    gt_count = np.bincount(np.concatenate(gt_idx), minlength=n_gt).astype(np.float64)
    hyp_count = np.bincount(np.concatenate(hyp_idx), minlength=n_hyp).astype(np.float64)
    for f, g, h in zip(frames, gt_idx, hyp_idx, strict=True):
        if g.size == 0 or h.size == 0:
            continue
        sim = f.iou
        denom = sim.sum(0)[None, :] + sim.sum(1)[:, None] - sim
        soft = np.where(denom > _EPS, sim / np.where(denom > _EPS, denom, 1.0), 0.0)
        potential[np.ix_(g, h)] += soft
    alignment = potential / (gt_count[:, None] + hyp_count[None, :] - potential)

    # Pass 2: per-frame matching that maximises alignment × IoU; thresholds applied per α.
    tp, loc_sum = np.zeros(n_alpha), np.zeros(n_alpha)
    pair_alpha, pair_gt, pair_hyp = [], [], []
    for f, g, h in zip(frames, gt_idx, hyp_idx, strict=True):
        if g.size == 0 or h.size == 0:
            continue
        sim = f.iou
        rows, cols = linear_sum_assignment(-(alignment[np.ix_(g, h)] * sim))
        matched_sim = sim[rows, cols]
        ok = matched_sim[None, :] >= ALPHAS[:, None] - _EPS  # (α, k)
        tp += ok.sum(axis=1)
        loc_sum += (ok * matched_sim[None, :]).sum(axis=1)
        a_idx, k_idx = np.nonzero(ok)
        pair_alpha.append(a_idx)
        pair_gt.append(g[rows[k_idx]])
        pair_hyp.append(h[cols[k_idx]])
    matches = np.zeros((n_alpha, n_gt, n_hyp))
    if pair_alpha:
        np.add.at(
            matches,
            (np.concatenate(pair_alpha), np.concatenate(pair_gt), np.concatenate(pair_hyp)),
            1.0,
        )
    fn = n_gt_dets - tp
    fp = n_hyp_dets - tp
    return _finish((tp, fn, fp), loc_sum, matches, (gt_count, hyp_count))
