"""Joint assignment of new tracks to gallery identities (Hungarian, with a threshold and blocks).

Tracks of one camera decided in the same frame are assigned together so that two people
visible at the same time can never receive the same identity, and an identity already shown
on that camera in this frame is blocked for everyone else. Each track may also stay
unmatched (a new identity): the problem is padded with one "new" column per track at cost 0,
while a real pair costs ``-similarity`` and is allowed only at or above the threshold — so the
solver maximises the total similarity of the accepted matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_FORBIDDEN = 1e6


@dataclass(frozen=True)
class Assignment:
    """Result of `assign`.

    Attributes:
        identity: ``(n,) int64`` gallery column of each track, -1 for a new identity.
        similarity: ``(n,) float32`` similarity of the match (best unblocked gallery
            similarity for unmatched rows, -inf when the gallery is empty).
    """

    identity: IntArray
    similarity: FloatArray


def assign(similarity: npt.ArrayLike, threshold: float, blocked: npt.ArrayLike | None = None) -> Assignment:
    """Assign each row (track) at most one column (identity), no column twice.

    Args:
        similarity: ``(n, m)`` track-to-identity similarities (``-inf`` for identities that
            cannot be matched).
        threshold: lowest similarity of an accepted match.
        blocked: optional ``(n, m)`` bool, True where a pair is forbidden (identity already
            visible on the track's camera).

    Returns:
        An `Assignment`; pairs below the threshold or blocked are never returned.
    """
    sim = np.asarray(similarity, dtype=np.float32)
    n = sim.shape[0]
    m = sim.shape[1] if sim.ndim == 2 else 0
    sim = sim.reshape(n, m)
    blk = np.zeros((n, m), bool) if blocked is None else np.asarray(blocked, bool).reshape(n, m)
    allowed = (sim >= threshold) & ~blk
    best_sim = np.where(blk, -np.inf, sim).max(axis=1) if m else np.full(n, -np.inf)
    out = np.full(n, -1, dtype=np.int64)
    out_sim = best_sim.astype(np.float32)
    cols = np.flatnonzero(allowed.any(axis=0))  # only identities someone may take
    if n == 0 or cols.size == 0:
        return Assignment(out, out_sim)
    sub = sim[:, cols]
    cost = np.where(allowed[:, cols], -sub.astype(np.float64), _FORBIDDEN)
    cost = np.concatenate([cost, np.zeros((n, n))], axis=1)  # one "new identity" column per row
    rows, picked = linear_sum_assignment(cost)
    for r, c in zip(rows.tolist(), picked.tolist(), strict=True):
        if c < cols.size and allowed[r, cols[c]]:
            out[r] = cols[c]
            out_sim[r] = sub[r, c]
    return Assignment(out, out_sim)
