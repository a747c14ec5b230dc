"""The tracker's state as a table of parallel arrays (one row per track).

Keeping tracks as columns rather than one object per track lets prediction,
cost matrices and Kalman updates run as a handful of array operations per frame
whatever the number of people in view.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class TrackState(IntEnum):
    """Life cycle of one track."""

    TENTATIVE = 0  # seen fewer than min_hits times; no public id yet
    TRACKED = 1  # confirmed and matched in the latest frame
    LOST = 2  # confirmed, not matched in the latest frame, kept for re-attachment


@dataclass
class TrackTable:
    """All tracks of one tracker, column-wise (private to one tracker, updated in place).

    Attributes:
        track_id: ``(n,)`` public id, 0 while tentative.
        state: ``(n,)`` `TrackState` values.
        hits: ``(n,)`` frames in which the track was matched.
        first_seen: ``(n,)`` timestamp (s) of the first detection.
        last_seen: ``(n,)`` timestamp (s) of the latest matched detection.
        score: ``(n,)`` confidence of the latest matched detection.
        class_id: ``(n,)`` class of the latest matched detection.
        last_box: ``(n, 4)`` xyxy of the latest matched detection.
        mean: ``(n, 8)`` Kalman state (see `pictag.tracking.kalman`).
        cov: ``(n, 8, 8)`` Kalman covariance.
        det_index: ``(n,)`` index of the detection matched in the current frame, -1 if none.
    """

    track_id: I64
    state: I64
    hits: I64
    first_seen: F64
    last_seen: F64
    score: F64
    class_id: I64
    last_box: F64
    mean: F64
    cov: F64
    det_index: I64

    @classmethod
    def empty(cls) -> TrackTable:
        """A table without tracks."""
        return cls(
            track_id=np.zeros(0, np.int64),
            state=np.zeros(0, np.int64),
            hits=np.zeros(0, np.int64),
            first_seen=np.zeros(0),
            last_seen=np.zeros(0),
            score=np.zeros(0),
            class_id=np.zeros(0, np.int64),
            last_box=np.zeros((0, 4)),
            mean=np.zeros((0, 8)),
            cov=np.zeros((0, 8, 8)),
            det_index=np.zeros(0, np.int64),
        )

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    def take(self, index: npt.NDArray[np.bool_] | I64) -> TrackTable:
        """Rows selected by a boolean mask or an index array."""
        return TrackTable(**{name: getattr(self, name)[index] for name in _COLUMNS})

    def concat(self, other: TrackTable) -> TrackTable:
        """This table's rows followed by ``other``'s."""
        return TrackTable(**{name: np.concatenate([getattr(self, name), getattr(other, name)]) for name in _COLUMNS})


_COLUMNS = tuple(f.name for f in fields(TrackTable))
