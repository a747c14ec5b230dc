"""Presence in zones with hysteresis, vectorised over the people of a frame and a camera's zones.

Rule, for every confirmed track and zone, on the bottom-centre P of the track's box: the
track *enters* once P has been inside the polygon in ``frames`` consecutive observations of
the track (the entry time is the first of them) and *leaves* once P has been outside in
``frames`` consecutive observations (the leave time is the first of those); dwell = leave −
entry. With a *clearance*, an entry (a leave) also needs P seen at least once that far inside
(outside) the outline during those observations, so a person standing on a zone's edge does
not flap in and out. A track that ends (or a camera that stops) while inside leaves at its last
sighting. Frames in which the track is not observed change nothing.

State layout: ``(rows, Z)`` arrays owned by `ZoneState`; `step_zones` updates one frame's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pictag.footfall.geometry import PackedPolygons, distance_to_edges, points_in_polygons

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


_FIELDS = ("inside", "count", "cand_ts", "entered_ts", "cleared")


@dataclass
class ZoneState:
    """Presence state of every (track row, zone) pair of one camera.

    Attributes:
        inside: ``(rows, Z) bool`` committed presence.
        count: ``(rows, Z) int32`` consecutive observations that disagree with ``inside``.
        cand_ts: ``(rows, Z) float64`` time of the first of them.
        entered_ts: ``(rows, Z) float64`` entry time of the current presence.
        cleared: ``(rows, Z) bool`` the change in progress has been seen clear of the outline.
    """

    inside: Bool
    count: npt.NDArray[np.int32]
    cand_ts: F64
    entered_ts: F64
    cleared: Bool

    @classmethod
    def empty(cls, rows: int, zones: int) -> ZoneState:
        """Fresh state: nobody inside."""
        return cls(
            inside=np.zeros((rows, zones), bool),
            count=np.zeros((rows, zones), np.int32),
            cand_ts=np.zeros((rows, zones), np.float64),
            entered_ts=np.zeros((rows, zones), np.float64),
            cleared=np.zeros((rows, zones), bool),
        )

    def grow(self, rows: int) -> ZoneState:
        """The same state with room for ``rows`` rows."""
        out = ZoneState.empty(rows, self.inside.shape[1])
        n = self.inside.shape[0]
        for name in _FIELDS:
            getattr(out, name)[:n] = getattr(self, name)
        return out

    def clear(self, row: int) -> None:
        """Forget a row."""
        self.inside[row] = False
        self.count[row] = 0
        self.cleared[row] = False

    def columns(self, keep: list[int | None]) -> ZoneState:
        """State for a new list of zones: column j copies old column ``keep[j]``, or starts empty (None)."""
        out = ZoneState.empty(self.inside.shape[0], len(keep))
        for j, old in enumerate(keep):
            if old is not None:
                for name in _FIELDS:
                    getattr(out, name)[:, j] = getattr(self, name)[:, old]
        return out

    def leave_time(self, row: int, zone: int, last_seen: float) -> float:
        """End of a presence without a confirmed leave: the first frame seen outside, else ``last_seen``."""
        return float(self.cand_ts[row, zone]) if self.count[row, zone] > 0 else last_seen


@dataclass(frozen=True)
class ZoneChanges:
    """Entries and leaves confirmed in one frame (parallel arrays).

    Attributes:
        enter_rows, enter_zones, enter_ts: ``(a,)`` entries.
        leave_rows, leave_zones, leave_ts, leave_entered_ts: ``(b,)`` leaves.
    """

    enter_rows: I64
    enter_zones: I64
    enter_ts: F64
    leave_rows: I64
    leave_zones: I64
    leave_ts: F64
    leave_entered_ts: F64


def step_zones(
    state: ZoneState,
    rows: I64,
    points: F64,
    *,
    zones: PackedPolygons,
    ts: float,
    frames: int,
    clearance: F64 | None = None,
) -> ZoneChanges | None:
    """Advance zone presence by one frame (see the module docstring).

    Args:
        state: the camera's state; rows ``rows`` are read and updated in place.
        rows: ``(n,)`` distinct rows of the tracks observed in this frame.
        points: ``(n, 2)`` their bottom-centre points.
        zones: the camera's polygons packed by `pictag.footfall.geometry.pack_polygons`.
        ts: the frame's time.
        frames: consecutive observations that confirm an entry or a leave (≥ 1).
        clearance: ``(n, 1)`` per person, how far (pixels) inside (outside) the outline the point
            must be seen once for an entry (a leave); None: no such condition.

    Returns:
        The entries and leaves confirmed in this frame; None when there are none.
    """
    if rows.shape[0] == 0 or len(zones) == 0:
        return None
    now_in = points_in_polygons(points, zones)
    inside, count = state.inside.take(rows, axis=0), state.count.take(rows, axis=0)
    differs = now_in != inside
    if not np.count_nonzero(differs) and not np.count_nonzero(count):
        return None  # the usual frame: everybody where they were
    count = np.where(differs, count + 1, 0).astype(np.int32)
    first = differs & (count == 1)
    if np.count_nonzero(first):
        ri, zi = np.nonzero(first)
        state.cand_ts[rows[ri], zi] = ts
    if clearance is None:
        cleared = differs
    else:
        far = np.zeros_like(differs)
        busy = np.flatnonzero(differs.any(axis=1))  # distances only for people whose presence may change
        far[busy] = distance_to_edges(points[busy], zones) >= clearance[busy]
        cleared = differs & (far | (state.cleared.take(rows, axis=0) & ~first))
        state.cleared[rows] = cleared
    confirm = cleared & (count >= frames)
    state.inside[rows] = np.where(confirm, now_in, inside)
    state.count[rows] = np.where(confirm, 0, count)
    if not np.count_nonzero(confirm):
        return None
    ri, zi = np.nonzero(confirm & now_in)
    enter_rows = rows[ri]
    enter_ts = state.cand_ts[enter_rows, zi]
    state.entered_ts[enter_rows, zi] = enter_ts
    lri, lzi = np.nonzero(confirm & ~now_in)
    leave_rows = rows[lri]
    return ZoneChanges(
        enter_rows=enter_rows,
        enter_zones=zi.astype(np.int64),
        enter_ts=enter_ts,
        leave_rows=leave_rows,
        leave_zones=lzi.astype(np.int64),
        leave_ts=state.cand_ts[leave_rows, lzi],
        leave_entered_ts=state.entered_ts[leave_rows, lzi],
    )
