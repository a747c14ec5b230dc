"""Re-id retrieval metrics: CMC rank-k, mAP and the same/different cosine distributions.

Standard single-gallery protocol (as Market-1501 evaluation, minus the camera filter: the
time gap of `time_gap_split` plays that role): each query ranks the whole gallery by cosine
similarity; rank-k is the fraction of queries whose first correct match is within the top k;
AP is the mean precision at each correct match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class RetrievalScores:
    """Metrics of one model on one query/gallery split (fractions 0..1)."""

    rank1: float
    rank5: float
    map: float
    queries: int
    same_mean: float
    same_std: float
    diff_mean: float
    diff_std: float
    overlap: float

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict for JSON."""
        return asdict(self)


def histogram_overlap(same: npt.ArrayLike, diff: npt.ArrayLike, bins: int = 100) -> float:
    """Shared area of the two normalised cosine histograms on [-1, 1] (0: separable, 1: identical)."""
    edges = np.linspace(-1.0, 1.0, bins + 1)
    hs, _ = np.histogram(np.asarray(same), bins=edges)
    hd, _ = np.histogram(np.asarray(diff), bins=edges)
    if hs.sum() == 0 or hd.sum() == 0:
        return float("nan")
    return float(np.minimum(hs / hs.sum(), hd / hd.sum()).sum())


def retrieval_scores(
    query: npt.NDArray[np.float32],
    q_ids: npt.NDArray[np.int64],
    gallery: npt.NDArray[np.float32],
    g_ids: npt.NDArray[np.int64],
) -> RetrievalScores:
    """Rank-1/5 and mAP of L2-normalised ``query`` embeddings against ``gallery``.

    Queries whose identity has no gallery crop are left out (they cannot be retrieved).
    """
    sim = query @ gallery.T
    match = q_ids[:, None] == g_ids[None, :]
    valid = match.any(axis=1)
    sim, match = sim[valid], match[valid]
    order = np.argsort(-sim, axis=1, kind="stable")
    hits = np.take_along_axis(match, order, axis=1)
    first = hits.argmax(axis=1)
    cum = np.cumsum(hits, axis=1)
    ranks = np.arange(1, hits.shape[1] + 1)[None, :]
    ap = (cum / ranks * hits).sum(axis=1) / np.maximum(hits.sum(axis=1), 1)
    same = sim[match]
    diff = sim[~match]
    return RetrievalScores(
        rank1=float((first < 1).mean()),
        rank5=float((first < 5).mean()),
        map=float(ap.mean()),
        queries=int(valid.sum()),
        same_mean=_stat(same, np.mean),
        same_std=_stat(same, np.std),
        diff_mean=_stat(diff, np.mean),
        diff_std=_stat(diff, np.std),
        overlap=histogram_overlap(same, diff),
    )


def _stat(values: npt.NDArray[np.float32], fn: Callable[[npt.NDArray[np.float32]], np.floating]) -> float:
    return float(fn(values)) if values.size else float("nan")


def pair_similarities(
    query: npt.NDArray[np.float32],
    q_ids: npt.NDArray[np.int64],
    gallery: npt.NDArray[np.float32],
    g_ids: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Same-person and different-person query-gallery cosine similarities (for histograms)."""
    sim = query @ gallery.T
    match = q_ids[:, None] == g_ids[None, :]
    return sim[match].astype(np.float32), sim[~match].astype(np.float32)
