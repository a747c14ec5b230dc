"""Gallery search cost: one query (a newly decided track) against ``n`` identities.

Used by the unit test that guards the 10k-identity case and for the figure in docs/identity.md
(``python -m pictag.identity.bench``). The search is memory-bound: 10 000 identities x 4
prototypes x 256 floats is 41 MB read per query.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from pictag.identity.gallery import IdentityGallery, IdentityMeta
from pictag.identity.matching import assign
from pictag.reid.base import l2_normalize


@dataclass(frozen=True)
class SearchTiming:
    """Milliseconds per search (similarity + joint assignment), best and median of the repeats."""

    identities: int
    queries: int
    best_ms: float
    median_ms: float
    found: bool


def random_gallery(n: int, k: int = 4, dim: int = 256, seed: int = 0) -> IdentityGallery:
    """``n`` identities with ``k`` random unit prototypes each."""
    rng = np.random.default_rng(seed)
    gallery = IdentityGallery(k=k, dim=dim, capacity=n)
    protos = l2_normalize(rng.normal(size=(n, k, dim)))
    for i in range(n):
        gallery.add(IdentityMeta(f"p_{i:06d}", 0.0, 0.0), protos[i])
    return gallery


def time_search(
    gallery: IdentityGallery, queries: int = 1, repeats: int = 30, threshold: float = 0.44, seed: int = 1
) -> SearchTiming:
    """Time ``similarity`` + ``assign`` for queries that are noisy copies of known prototypes."""
    rng = np.random.default_rng(seed)
    targets = rng.choice(len(gallery), size=queries, replace=False)
    q = l2_normalize(
        np.stack([gallery.prototypes(gallery.id_at(int(t)))[0] for t in targets])
        + 0.02 * rng.normal(size=(queries, gallery.dim or 0))
    )
    spent = []
    found = True
    for _ in range(repeats):
        start = time.perf_counter()
        result = assign(gallery.similarity(q), threshold)
        spent.append(time.perf_counter() - start)
        found &= bool((result.identity == targets).all())
    ms = np.asarray(spent) * 1000.0
    return SearchTiming(len(gallery), queries, float(ms.min()), float(np.median(ms)), found)


if __name__ == "__main__":
    for size in (100, 1000, 10_000):
        g = random_gallery(size)
        for nq in (1, 4):
            print(time_search(g, nq), file=sys.stdout)
