"""The in-memory identity gallery: prototypes of every known identity, searched in one matmul.

Layout: a slab ``(capacity, k, d) float32`` of prototypes; identity ``i`` owns row ``i``. An
identity with fewer than ``k`` prototypes repeats its first one in the spare slots, so the
best-prototype similarity is a plain max over the ``k`` slots with no mask. Rows ``[0, len)``
are used and kept dense (removal moves the last row into the hole), so a search is one
``queries @ slab[:len].reshape(-1, d).T`` and a max over each identity's ``k`` slots — no
Python loop over identities. Capacity doubles when full. Measured in docs/identity.md.

Only *active* identities can be matched: an identity with no prototype yet (created from a
track without a good crop) or one expired at the end of the day is skipped by `similarity`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pictag.errors import PictagError
from pictag.storage.records import IdentityRecord

FloatArray = npt.NDArray[np.float32]


@dataclass
class IdentityMeta:
    """What the identity stage remembers about an identity besides its prototypes."""

    id: str
    created_at: float
    last_seen_at: float
    n_sightings: int = 0

    def record(self) -> IdentityRecord:
        """The ``identities`` row for the store (a frozen snapshot of the counters)."""
        return IdentityRecord(
            id=self.id,
            created_at=self.created_at,
            last_seen_at=self.last_seen_at,
            n_sightings=self.n_sightings,
        )


class IdentityGallery:
    """Prototypes and metadata of every identity the identity stage can match.

    Args:
        k: prototypes per identity.
        dim: embedding width (None: taken from the first prototypes added).
        capacity: initial number of identity rows.
    """

    def __init__(self, k: int, dim: int | None = None, capacity: int = 256) -> None:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k = k
        self.dim = dim
        self._capacity = max(1, capacity)
        self._slab = np.zeros((self._capacity, k, dim or 0), dtype=np.float32)
        self._valid = np.zeros((self._capacity, k), dtype=bool)
        self._active = np.zeros(self._capacity, dtype=bool)
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._meta: list[IdentityMeta] = []

    # ---- size and lookup ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._index

    @property
    def ids(self) -> list[str]:
        """Identity ids by row."""
        return list(self._ids)

    def id_at(self, row: int) -> str:
        """The identity id of a row (as returned by `similarity` columns)."""
        return self._ids[row]

    def row_of(self, person_id: str) -> int:
        """The row of an identity (its `similarity` column)."""
        return self._index[person_id]

    def meta(self, person_id: str) -> IdentityMeta:
        """Metadata of an identity.

        Raises:
            KeyError: unknown id.
        """
        return self._meta[self._index[person_id]]

    def prototypes(self, person_id: str) -> FloatArray:
        """``(m, d)`` prototypes of an identity (``m <= k``; 0 when it has none yet)."""
        row = self._index[person_id]
        out: FloatArray = self._slab[row][self._valid[row]].copy()
        return out

    def is_active(self, person_id: str) -> bool:
        """True when the identity can be matched."""
        return bool(self._active[self._index[person_id]])

    def active_count(self) -> int:
        """Identities that can be matched now."""
        return int(self._active[: len(self)].sum())

    # ---- changes -----------------------------------------------------------------------
    def _ensure_dim(self, dim: int) -> None:
        if self.dim is None:
            self.dim = dim
            self._slab = np.zeros((self._capacity, self.k, dim), dtype=np.float32)
        elif dim != self.dim:
            raise PictagError(
                f"embedding width {dim} does not match the gallery's {self.dim}: the re-id model "
                "changed; use a new storage.path (old identities cannot be compared)"
            )

    def _grow(self) -> None:
        cap = self._capacity * 2
        slab = np.zeros((cap, self.k, self.dim or 0), dtype=np.float32)
        slab[: self._capacity] = self._slab
        valid = np.zeros((cap, self.k), dtype=bool)
        valid[: self._capacity] = self._valid
        active = np.zeros(cap, dtype=bool)
        active[: self._capacity] = self._active
        self._slab, self._valid, self._active, self._capacity = slab, valid, active, cap

    def add(self, meta: IdentityMeta, prototypes: npt.ArrayLike | None = None) -> None:
        """Add an identity (its prototypes may come later, see `set_prototypes`).

        Raises:
            PictagError: the id exists already.
        """
        if meta.id in self._index:
            raise PictagError(f"identity={meta.id} reason=duplicate; it is in the gallery already")
        if len(self) == self._capacity:
            self._grow()
        row = len(self._ids)
        self._ids.append(meta.id)
        self._index[meta.id] = row
        self._meta.append(meta)
        self._valid[row] = False
        self._active[row] = False
        if prototypes is not None:
            self.set_prototypes(meta.id, prototypes)

    def set_prototypes(self, person_id: str, prototypes: npt.ArrayLike) -> None:
        """Replace an identity's prototypes (at most ``k`` rows are kept); it becomes active."""
        protos = np.asarray(prototypes, dtype=np.float32)
        if protos.ndim == 1:
            protos = protos[None, :]
        protos = protos[: self.k]
        row = self._index[person_id]
        if protos.shape[0] == 0:
            self._valid[row] = False
            self._active[row] = False
            return
        self._ensure_dim(int(protos.shape[1]))
        self._slab[row] = protos[0]  # spare slots repeat the first prototype: max is unchanged
        self._slab[row, : protos.shape[0]] = protos
        self._valid[row] = False
        self._valid[row, : protos.shape[0]] = True
        self._active[row] = True

    def deactivate(self, person_id: str) -> None:
        """Keep the identity's metadata but never match it again (expired, prototypes erased)."""
        row = self._index[person_id]
        self._active[row] = False
        self._valid[row] = False
        self._slab[row] = 0.0

    def remove(self, person_id: str) -> bool:
        """Forget an identity completely (erasure). False when unknown."""
        row = self._index.pop(person_id, None)
        if row is None:
            return False
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._ids[row] = moved
            self._meta[row] = self._meta[last]
            self._index[moved] = row
            self._slab[row] = self._slab[last]
            self._valid[row] = self._valid[last]
            self._active[row] = self._active[last]
        self._ids.pop()
        self._meta.pop()
        self._slab[last] = 0.0
        self._valid[last] = False
        self._active[last] = False
        return True

    # ---- search ------------------------------------------------------------------------
    def similarity(self, queries: npt.ArrayLike) -> FloatArray:
        """Best-prototype cosine similarity of each query to each identity, ``(n, len)``.

        Inactive identities get ``-inf``.

        Args:
            queries: ``(n, d)`` L2-normalised track appearances.
        """
        q = np.asarray(queries, dtype=np.float32)
        n, rows = q.shape[0], len(self)
        if rows == 0 or self.dim is None:
            return np.full((n, rows), -np.inf, dtype=np.float32)
        if q.shape[1] != self.dim:
            raise PictagError(
                f"query width {q.shape[1]} does not match the gallery's {self.dim}: the re-id "
                "model changed; use a new storage.path"
            )
        flat = self._slab[:rows].reshape(rows * self.k, self.dim)
        sims = (q @ flat.T).reshape(n, rows, self.k).max(axis=2)
        out: FloatArray = np.where(self._active[:rows][None, :], sims, -np.inf).astype(np.float32)
        return out
