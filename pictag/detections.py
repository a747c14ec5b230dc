"""The one detection type passed between stages.

A `Detections` is a set of boxes in *frame* pixel coordinates stored as
parallel arrays (like supervision's ``Detections``): every stage filters it with
boolean masks and builds new objects instead of mutating, so a result handed
to another actor can never change under its feet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: ``track_id`` value of a detection that no tracker has claimed.
NO_TRACK = -1


def _as_f32(values: Any, shape: tuple[int, ...]) -> FloatArray:
    arr = np.asarray(values, dtype=np.float32)
    if arr.size == 0:
        arr = arr.reshape(shape)
    return arr


@dataclass(frozen=True)
class Detections:
    """Person (or other class) boxes of one frame.

    Attributes:
        xyxy: ``(n, 4) float32`` boxes as x1, y1, x2, y2 in frame pixels.
        confidence: ``(n,) float32`` detector scores in 0..1.
        class_id: ``(n,) int64`` detector class indices.
        track_id: ``(n,) int64`` tracker ids, ``NO_TRACK`` (-1) when untracked.
        embedding: optional ``(n, d) float32`` appearance embeddings (L2-normalised).
    """

    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray
    track_id: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    embedding: FloatArray | None = None

    def __post_init__(self) -> None:
        xyxy = _as_f32(self.xyxy, (0, 4))
        n = xyxy.shape[0]
        conf = _as_f32(self.confidence, (0,))
        cls = np.asarray(self.class_id, dtype=np.int64).reshape(-1)
        tid = np.asarray(self.track_id, dtype=np.int64).reshape(-1)
        if tid.size == 0 and n > 0:
            tid = np.full(n, NO_TRACK, dtype=np.int64)
        if xyxy.ndim != 2 or xyxy.shape[1] != 4:
            raise ValueError(f"xyxy must have shape (n, 4), got {xyxy.shape}")
        for name, arr in (("confidence", conf), ("class_id", cls), ("track_id", tid)):
            if arr.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
        emb = self.embedding
        if emb is not None:
            emb = np.asarray(emb, dtype=np.float32)
            if emb.ndim != 2 or emb.shape[0] != n:
                raise ValueError(f"embedding must have shape ({n}, d), got {emb.shape}")
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "class_id", cls)
        object.__setattr__(self, "track_id", tid)
        object.__setattr__(self, "embedding", emb)

    @classmethod
    def empty(cls) -> Detections:
        """No boxes."""
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            confidence=np.zeros(0, np.float32),
            class_id=np.zeros(0, np.int64),
        )

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __getitem__(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.int64] | Sequence[int]) -> Detections:
        """Select boxes with a boolean mask or an index array."""
        idx = np.asarray(index)
        return Detections(
            xyxy=self.xyxy[idx].reshape(-1, 4),
            confidence=self.confidence[idx].reshape(-1),
            class_id=self.class_id[idx].reshape(-1),
            track_id=self.track_id[idx].reshape(-1),
            embedding=None if self.embedding is None else self.embedding[idx].reshape(-1, self.embedding.shape[1]),
        )

    def with_track_ids(self, track_id: IntArray) -> Detections:
        """A copy with tracker ids attached."""
        return replace(self, track_id=np.asarray(track_id, dtype=np.int64))

    def with_embeddings(self, embedding: FloatArray) -> Detections:
        """A copy with appearance embeddings attached."""
        return replace(self, embedding=np.asarray(embedding, dtype=np.float32))

    @property
    def heights(self) -> FloatArray:
        """Box heights in pixels, ``(n,)``."""
        return (self.xyxy[:, 3] - self.xyxy[:, 1]).astype(np.float32)

    @property
    def areas(self) -> FloatArray:
        """Box areas in square pixels, ``(n,)``."""
        w = np.clip(self.xyxy[:, 2] - self.xyxy[:, 0], 0, None)
        h = np.clip(self.xyxy[:, 3] - self.xyxy[:, 1], 0, None)
        areas: FloatArray = (w * h).astype(np.float32)
        return areas
