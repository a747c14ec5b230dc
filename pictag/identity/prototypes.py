"""Appearance prototypes: a few diverse embeddings that stand for one person.

One mean vector blurs a person seen from the front and from the back into something that
matches neither well; keeping the k most *different* good embeddings (farthest-point
selection) covers the views seen so far. Matching then takes the best prototype
(`best_similarity`). All functions are pure, vectorised numpy on L2-normalised rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pictag.reid.base import l2_normalize

FloatArray = npt.NDArray[np.float32]


def select_diverse(embeddings: npt.ArrayLike, k: int) -> FloatArray:
    """The ``k`` rows that spread the widest (greedy farthest-point), most typical first.

    The first pick is the row closest to the normalised mean (the person's typical look, so
    a single outlier never leads); each next pick is the row whose highest similarity to the
    picks so far is lowest. Deterministic (ties: lowest index).

    Args:
        embeddings: ``(n, d)`` L2-normalised rows.
        k: how many to keep (``n <= k`` keeps all, in the same order of preference).

    Returns:
        ``(min(n, k), d) float32``.
    """
    emb = np.asarray(embeddings, dtype=np.float32)
    n = emb.shape[0]
    if n == 0 or k <= 0:
        return np.zeros((0, emb.shape[-1] if emb.ndim == 2 else 0), dtype=np.float32)
    sims = emb @ emb.T
    center = l2_normalize(emb.mean(axis=0, keepdims=True))[0]
    chosen = [int(np.argmax(emb @ center))]
    closest = sims[chosen[0]].copy()  # highest similarity of every row to the chosen set
    for _ in range(min(n, k) - 1):
        closest[chosen] = np.inf
        nxt = int(np.argmin(closest))
        chosen.append(nxt)
        closest = np.maximum(closest, sims[nxt])
    out: FloatArray = emb[chosen].copy()
    return out


#: Rows this similar count as the same vector when sets are merged.
DUPLICATE_SIMILARITY = 0.9999


def merge_prototypes(current: npt.ArrayLike, new: npt.ArrayLike, k: int) -> FloatArray:
    """``k`` diverse prototypes from an old set and new candidates (`select_diverse` over both).

    Candidates that duplicate an earlier row (a track's prototypes merged twice) are dropped
    first, so a set never holds the same vector twice.
    """
    cur = np.asarray(current, dtype=np.float32)
    add = np.asarray(new, dtype=np.float32)
    if cur.size == 0:
        both = add
    elif add.size == 0:
        both = cur
    else:
        both = np.concatenate([cur.reshape(-1, add.shape[-1]), add.reshape(-1, cur.shape[-1])])
    if both.shape[0] > 1:
        sims = np.triu(both @ both.T, k=1)
        both = both[~(sims > DUPLICATE_SIMILARITY).any(axis=0)]
    return select_diverse(both, k)


def best_similarity(queries: npt.ArrayLike, prototypes: npt.ArrayLike) -> FloatArray:
    """Highest cosine similarity of each query to any of the prototypes, ``(n,)``.

    Args:
        queries: ``(n, d)`` normalised rows.
        prototypes: ``(m, d)`` normalised rows (``m = 0`` gives ``-inf``).
    """
    q = np.asarray(queries, dtype=np.float32)
    p = np.asarray(prototypes, dtype=np.float32)
    if p.shape[0] == 0:
        return np.full(q.shape[0], -np.inf, dtype=np.float32)
    out: FloatArray = (q @ p.T).max(axis=1).astype(np.float32)
    return out
