"""The line-crossing rule, vectorised over the people of a frame and the lines of a camera.

Rule (issue 17), for every confirmed track and line, on the bottom-centre P of the track's box:

- side(P) = sign((Bx−Ax)(Py−Ay) − (By−Ay)(Px−Ax)) with A, B the line's points;
- the track's *committed* side is the first non-zero side it is seen on;
- when P is seen on the other side, a *candidate* change starts; it is confirmed once P has
  been seen on that side in ``frames`` consecutive observations of the track; a frame back on
  the committed side cancels it (so jitter over the line never counts, and never twice);
- a confirmed change from −1 to +1 is ``in``, from +1 to −1 ``out``; it is counted only if
  the path crossed the drawn *segment*: the step from the last point before the change to the
  first point after it meets the line at A + t (B − A) with 0 ≤ t ≤ 1. A change across the
  line's extension (walking round its end) moves the committed side silently;
- points exactly on the line (side 0) are ignored: they neither start, advance nor cancel
  a change (the crossing step then starts on the line, where the person stood);
- *clearance*: a change is confirmed only if, during it, the point was seen at least once
  ``clearance`` pixels past the line (a fraction of the person's box height, passed per
  person), so a person standing on the line — whose feet jitter across it by a few pixels —
  never counts, however long they stand; the crossing time stays the first frame on the new side;
- a U-turn on the line counts nothing unless the person stayed ``frames`` observations on
  the far side (then it is an ``in`` and an ``out``: they did go through and come back);
- frames in which the track is not observed (lost) neither advance nor cancel a change;
  the crossing step then spans the gap.

State layout: arrays of shape ``(rows, L)`` (one row per live track of the camera, one column
per line), owned by `LineState`; `step_lines` reads and writes the rows of one frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pictag.footfall.geometry import PackedLines, crossing_position, line_cross

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]


_FIELDS = ("side", "cand", "count", "cand_ts", "cand_t", "cleared")


@dataclass
class LineState:
    """Crossing state of every (track row, line) pair of one camera.

    Attributes:
        side: ``(rows, L) int8`` committed side (0: not seen off the line yet).
        cand: ``(rows, L) int8`` side of the change in progress (0: none).
        count: ``(rows, L) int32`` observations on ``cand`` so far.
        cand_ts: ``(rows, L) float64`` time of the change's first frame on the new side.
        cand_t: ``(rows, L) float64`` where the change's step met the line (fraction A→B).
        cleared: ``(rows, L) bool`` the change in progress has been seen clear of the line.
    """

    side: I8
    cand: I8
    count: npt.NDArray[np.int32]
    cand_ts: F64
    cand_t: F64
    cleared: npt.NDArray[np.bool_]

    @classmethod
    def empty(cls, rows: int, lines: int) -> LineState:
        """Fresh state: nothing known about any track."""
        return cls(
            side=np.zeros((rows, lines), np.int8),
            cand=np.zeros((rows, lines), np.int8),
            count=np.zeros((rows, lines), np.int32),
            cand_ts=np.zeros((rows, lines), np.float64),
            cand_t=np.zeros((rows, lines), np.float64),
            cleared=np.zeros((rows, lines), bool),
        )

    def grow(self, rows: int) -> LineState:
        """The same state with room for ``rows`` rows (new rows fresh)."""
        out = LineState.empty(rows, self.side.shape[1])
        n = self.side.shape[0]
        for name in _FIELDS:
            getattr(out, name)[:n] = getattr(self, name)
        return out

    def clear(self, row: int) -> None:
        """Forget a row (its track ended)."""
        self.side[row] = 0
        self.cand[row] = 0
        self.count[row] = 0
        self.cleared[row] = False

    def columns(self, keep: list[int | None]) -> LineState:
        """State for a new list of lines: column j copies old column ``keep[j]``, or starts fresh (None)."""
        out = LineState.empty(self.side.shape[0], len(keep))
        for j, old in enumerate(keep):
            if old is not None:
                for name in _FIELDS:
                    getattr(out, name)[:, j] = getattr(self, name)[:, old]
        return out


@dataclass(frozen=True)
class Crossings:
    """Crossings confirmed in one frame, as parallel arrays.

    Attributes:
        rows: ``(k,)`` track rows; lines: ``(k,)`` line columns;
        side: ``(k,)`` the new side (+1: ``in``, −1: ``out``); ts: ``(k,)`` crossing times.
    """

    rows: I64
    lines: I64
    side: I8
    ts: F64

    def __len__(self) -> int:
        return int(self.rows.shape[0])


def step_lines(
    state: LineState,
    rows: I64,
    points: F64,
    *,
    previous: F64,
    lines: PackedLines,
    ts: float,
    frames: int,
    clearance: F64 | None = None,
) -> Crossings | None:
    """Advance the crossing rule by one frame (see the module docstring).

    Args:
        state: the camera's state; rows ``rows`` are read and updated in place.
        rows: ``(n,)`` distinct state rows of the tracks observed in this frame.
        points: ``(n, 2)`` their bottom-centre points.
        previous: ``(n, 2)`` their points at their previous observation (any value for new tracks).
        lines: the camera's lines (`pictag.footfall.geometry.pack_lines`).
        ts: the frame's time (seconds).
        frames: observations on the new side that confirm a change (≥ 1).
        clearance: ``(n, 1)`` per person, how far (pixels) from the line the point must be seen at
            least once during a change for it to be confirmed; None: no such condition.

    Returns:
        The crossings confirmed in this frame that crossed their drawn segment; None when
        nothing was confirmed (the usual frame: no arrays are built for it).
    """
    if rows.shape[0] == 0 or len(lines) == 0:
        return None
    cross = line_cross(points, lines)
    s = np.sign(cross).astype(np.int8)
    # take() rather than fancy indexing: several times cheaper on arrays this small.
    side, cand = state.side.take(rows, axis=0), state.cand.take(rows, axis=0)
    if not np.count_nonzero(cand) and not np.count_nonzero(s != side):
        return None  # the usual frame: everybody where they were
    count = state.count.take(rows, axis=0)
    off = s != 0
    init = off & (side == 0)
    back = off & (s == side)
    away = off & (side != 0) & (s != side)
    start = away & (cand != s)
    count = np.where(start, 1, np.where(away, count + 1, np.where(back, 0, count))).astype(np.int32)
    cand = np.where(away, s, np.where(back, 0, cand)).astype(np.int8)
    if np.count_nonzero(start):
        ri, li = np.nonzero(start)
        r = rows[ri]
        state.cand_t[r, li] = crossing_position(previous[ri], points[ri], lines.xyxy[li])
        state.cand_ts[r, li] = ts
    if clearance is None:
        cleared = away
    else:
        far = np.abs(cross) >= clearance * lines.length
        cleared = away & (far | (state.cleared.take(rows, axis=0) & ~start))
        state.cleared[rows] = cleared
    confirm = cleared & (count >= frames)
    state.side[rows] = np.where(init | confirm, s, side)
    state.cand[rows] = np.where(confirm, 0, cand)
    state.count[rows] = np.where(confirm, 0, count)
    if not np.count_nonzero(confirm):
        return None
    ri, li = np.nonzero(confirm)
    r = rows[ri]
    t = state.cand_t[r, li]
    on_segment = (t >= 0.0) & (t <= 1.0)
    return Crossings(
        rows=r[on_segment],
        lines=li[on_segment].astype(np.int64),
        side=s[ri, li][on_segment],
        ts=state.cand_ts[r, li][on_segment],
    )
