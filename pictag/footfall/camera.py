"""One camera's counting state: its lines and zones and every live track's place against them.

Tracks get a *row* in the state arrays when first seen and give it back when they end; rows
are reused, the arrays grow by doubling. `CameraCounter.observe` is the per-frame call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from pictag.config.geometry import LineConfig, ZoneConfig
from pictag.footfall.crossing import Crossings, LineState, step_lines
from pictag.footfall.geometry import PackedLines, bottom_centre, pack_lines, pack_polygons
from pictag.footfall.outputs import FootfallEvent, LeaveReason, LineCrossing, ZoneEntered, ZoneLeft
from pictag.footfall.zones import ZoneChanges, ZoneState, step_zones

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_INITIAL_ROWS = 16


def _pack(lines: Sequence[LineConfig]) -> PackedLines:
    return pack_lines(np.asarray([[*ln.points[0], *ln.points[1]] for ln in lines], np.float64).reshape(-1, 4))


class CameraCounter:
    """Lines, zones and per-track state of one camera (all state on the instance)."""

    def __init__(self, camera_id: str, lines: Sequence[LineConfig] = (), zones: Sequence[ZoneConfig] = ()) -> None:
        self.camera_id = camera_id
        self.lines: tuple[LineConfig, ...] = tuple(lines)
        self.zones: tuple[ZoneConfig, ...] = tuple(zones)
        self._line_xy = _pack(self.lines)
        self._entrance = np.asarray([ln.entrance for ln in self.lines], bool)
        self._has_entrance = bool(self._entrance.any())
        self._packed = pack_polygons([z.points for z in self.zones])
        self._row_of: dict[int, int] = {}
        self._free: list[int] = list(range(_INITIAL_ROWS - 1, -1, -1))
        self._track_of = np.full(_INITIAL_ROWS, -1, np.int64)
        self._last_seen = np.zeros(_INITIAL_ROWS, np.float64)
        self._staff = np.zeros(_INITIAL_ROWS, bool)
        self._last_point = np.zeros((_INITIAL_ROWS, 2), np.float64)
        self._lines = LineState.empty(_INITIAL_ROWS, len(self.lines))
        self._zones = ZoneState.empty(_INITIAL_ROWS, len(self.zones))
        self._last_rows = np.zeros(0, np.int64)
        self._released_staff: set[int] = set()  # staff tracks that ended in the latest call
        self.last_ts: float | None = None

    # ---- rows ---------------------------------------------------------------------------
    def _grow(self) -> None:
        n = self._track_of.shape[0]
        self._free.extend(range(2 * n - 1, n - 1, -1))
        self._track_of = np.concatenate([self._track_of, np.full(n, -1, np.int64)])
        self._last_seen = np.concatenate([self._last_seen, np.zeros(n, np.float64)])
        self._staff = np.concatenate([self._staff, np.zeros(n, bool)])
        self._last_point = np.concatenate([self._last_point, np.zeros((n, 2), np.float64)])
        self._lines = self._lines.grow(2 * n)
        self._zones = self._zones.grow(2 * n)

    def _rows(self, track_ids: I64) -> I64:
        rows = np.empty(track_ids.shape[0], np.int64)
        row_of = self._row_of
        for i, tid in enumerate(track_ids.tolist()):
            row = row_of.get(tid)
            if row is None:
                if not self._free:
                    self._grow()
                row = row_of[tid] = self._free.pop()
                self._track_of[row] = tid
            rows[i] = row
        return rows

    def _release(self, track_id: int, reason: LeaveReason) -> list[FootfallEvent]:
        row = self._row_of.pop(track_id, None)
        if row is None:
            return []
        out = self._close_zones(row, reason, range(len(self.zones)))
        if self._staff[row]:
            self._released_staff.add(track_id)
        self._lines.clear(row)
        self._zones.clear(row)
        self._staff[row] = False
        self._track_of[row] = -1
        self._free.append(row)
        return out

    def _close_zones(self, row: int, reason: LeaveReason, zones: Iterable[int]) -> list[FootfallEvent]:
        out: list[FootfallEvent] = []
        last_seen = float(self._last_seen[row])
        for z in zones:
            if self._zones.inside[row, z]:
                left = self._zones.leave_time(row, z, last_seen)
                entered = float(self._zones.entered_ts[row, z])
                zone = self.zones[z]
                out.append(
                    ZoneLeft(
                        self.camera_id,
                        zone.id,
                        zone.kind,
                        int(self._track_of[row]),
                        left,
                        entered,
                        max(0.0, left - entered),
                        reason,
                    )
                )
                self._zones.inside[row, z] = False
                self._zones.count[row, z] = 0
        return out

    # ---- per frame ----------------------------------------------------------------------
    def observe(
        self,
        ts: float,
        track_ids: npt.ArrayLike,
        xyxy: npt.ArrayLike,
        ended: Iterable[int],
        *,
        crossing_frames: int,
        zone_frames: int,
        edge_clearance: float = 0.075,
    ) -> list[FootfallEvent]:
        """One frame: the confirmed tracks seen in it and the track ids that ended.

        Args:
            ts: the frame's capture time (seconds).
            track_ids: ``(n,) int64`` distinct ids of the confirmed tracks in this frame.
            xyxy: ``(n, 4)`` their boxes in frame pixels.
            ended: ids the tracker gave up in this frame (their state is cleared; a zone
                presence ends at the track's last sighting).

        Returns:
            Crossings, then zone entries and leaves, in that order.
        """
        ids = np.asarray(track_ids, dtype=np.int64).reshape(-1)
        boxes = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        if boxes.shape[0] != ids.shape[0]:
            raise ValueError(f"camera={self.camera_id}: {ids.shape[0]} track ids but {boxes.shape[0]} boxes")
        self.last_ts = ts
        self._released_staff.clear()
        rows = self._rows(ids)
        self._last_seen[rows] = ts
        points = bottom_centre(boxes)
        previous = self._last_point.take(rows, axis=0)
        self._last_point[rows] = points
        self._last_rows = rows
        out: list[FootfallEvent] = []
        clearance = (boxes[:, 3:4] - boxes[:, 1:2]) * edge_clearance if edge_clearance > 0 else None
        if len(self.lines):
            hits = step_lines(
                self._lines,
                rows,
                points,
                previous=previous,
                lines=self._line_xy,
                ts=ts,
                frames=crossing_frames,
                clearance=clearance,
            )
            if hits is not None:
                self._emit_crossings(hits, out)
        if len(self.zones):
            changes = step_zones(
                self._zones, rows, points, zones=self._packed, ts=ts, frames=zone_frames, clearance=clearance
            )
            if changes is not None:
                self._emit_zone_changes(changes, out)
        for tid in ended:
            out.extend(self._release(int(tid), "track_ended"))
        return out

    def _emit_crossings(self, hits: Crossings, out: list[FootfallEvent]) -> None:
        for row, line, side, when in zip(
            hits.rows.tolist(), hits.lines.tolist(), hits.side.tolist(), hits.ts.tolist(), strict=True
        ):
            ln = self.lines[line]
            out.append(
                LineCrossing(
                    self.camera_id, ln.id, "in" if side > 0 else "out", int(self._track_of[row]), when, ln.entrance
                )
            )

    def _emit_zone_changes(self, ch: ZoneChanges, out: list[FootfallEvent]) -> None:
        for row, z, when in zip(ch.enter_rows.tolist(), ch.enter_zones.tolist(), ch.enter_ts.tolist(), strict=True):
            zone = self.zones[z]
            out.append(ZoneEntered(self.camera_id, zone.id, zone.kind, int(self._track_of[row]), when))
        for row, z, when, entered in zip(
            ch.leave_rows.tolist(),
            ch.leave_zones.tolist(),
            ch.leave_ts.tolist(),
            ch.leave_entered_ts.tolist(),
            strict=True,
        ):
            zone = self.zones[z]
            out.append(
                ZoneLeft(
                    self.camera_id,
                    zone.id,
                    zone.kind,
                    int(self._track_of[row]),
                    when,
                    entered,
                    max(0.0, when - entered),
                )
            )

    @property
    def in_view(self) -> int:
        """Tracks seen in the latest frame (an upper bound of `inside_in_view`)."""
        return int(self._last_rows.shape[0])

    @property
    def inside_in_view(self) -> int:
        """Tracks of the latest frame inside the site: on a camera with entrance lines, those whose
        committed side is +1 (inside) for every entrance line; elsewhere all of them."""
        rows = self._last_rows[self._track_of.take(self._last_rows) >= 0]  # not released since
        if not self._has_entrance:
            return int(rows.shape[0])
        sides = self._lines.side.take(rows, axis=0)[:, self._entrance]
        return int(np.count_nonzero((sides > 0).all(axis=1)))

    def end_all(self, reason: LeaveReason) -> list[FootfallEvent]:
        """Every track ends (the camera stopped): open zone presences are closed."""
        out: list[FootfallEvent] = []
        self._released_staff.clear()
        for tid in list(self._row_of):
            out.extend(self._release(tid, reason))
        self._last_rows = np.zeros(0, np.int64)
        return out

    def set_geometry(self, lines: Sequence[LineConfig], zones: Sequence[ZoneConfig]) -> list[FootfallEvent]:
        """Replace the lines and zones; unchanged ones (same id, points, kind) keep their state.

        Returns:
            `ZoneLeft` (reason ``zone_changed``) for presences in zones that changed or went away.
        """
        old_lines = {ln.id: (i, ln) for i, ln in enumerate(self.lines)}
        keep_lines = [
            old_lines[ln.id][0] if ln.id in old_lines and old_lines[ln.id][1].points == ln.points else None
            for ln in lines
        ]
        old_zones = {z.id: (i, z) for i, z in enumerate(self.zones)}
        keep_zones = [
            old_zones[z.id][0]
            if z.id in old_zones and (old_zones[z.id][1].points, old_zones[z.id][1].kind) == (z.points, z.kind)
            else None
            for z in zones
        ]
        dropped = sorted(set(range(len(self.zones))) - {k for k in keep_zones if k is not None})
        out: list[FootfallEvent] = []
        for row in self._row_of.values():
            out.extend(self._close_zones(row, "zone_changed", dropped))
        self.lines, self.zones = tuple(lines), tuple(zones)
        self._line_xy = _pack(self.lines)
        self._entrance = np.asarray([ln.entrance for ln in self.lines], bool)
        self._has_entrance = bool(self._entrance.any())
        self._packed = pack_polygons([z.points for z in self.zones])
        self._lines = self._lines.columns(keep_lines)
        self._zones = self._zones.columns(keep_zones)
        return out

    # ---- live figures -------------------------------------------------------------------
    def mark_staff(self, track_id: int, staff: bool) -> bool:
        """Flag a live track as staff (left out of live zone counts); False if the track is unknown."""
        row = self._row_of.get(track_id)
        if row is None:
            return False
        self._staff[row] = staff
        return True

    def is_staff(self, track_id: int) -> bool:
        """True if a live track (or one that ended in the latest call) is flagged as staff."""
        row = self._row_of.get(track_id)
        return bool(self._staff[row]) if row is not None else track_id in self._released_staff

    def zone_counts(self) -> list[int]:
        """Live number of non-staff tracks inside each zone (lost tracks still count until they end)."""
        if not len(self.zones):
            return []
        present = self._zones.inside & ~self._staff[:, None]
        return [int(v) for v in present.sum(axis=0)]

    @property
    def track_count(self) -> int:
        """Live tracks with state (seen and not ended)."""
        return len(self._row_of)
