"""The per-site footfall engine: every camera's lines and zones, site occupancy, live figures.

The identity stage holds one `FootfallEngine` for the whole site and calls, per analysed frame
of any camera, `FootfallEngine.observe` with that frame's *confirmed* tracks; it turns the
returned records into events and store rows (adding person ids). Periodically (e.g. once a
second) it calls `tick` so the closing-time reset happens even while no frame arrives.

Occupancy rule (docs/footfall.md):

1. every ``in`` over an *entrance* line adds one, every ``out`` takes one away, never below 0;
2. reconciliation with the people in view: occupancy is raised to the largest number of
   people that one camera sees inside the site right now, if it is lower. Inside means: on a
   camera with entrance lines, on the inside (+1) side of all of them; on any other camera,
   every track. The *largest* (not the sum) because cameras may overlap — it is a bound
   that is certainly not too high; occupancy is never *lowered* by it, since people may stand
   where no camera looks;
3. reset to 0 at closing time (`OpeningHours.next_reset`), with the per-line counters.

Staff are included in occupancy (they are in the building, and whether a person is staff is
often known only after they came in); tracks flagged with `mark_staff_track` are left out of
the live zone counts, queue figures and the live line counters. Stored figures leave staff
out per day with `pictag.footfall.staff`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy.typing as npt

from pictag.config.geometry import LineConfig, ZoneConfig
from pictag.config.site import SiteConfig
from pictag.footfall.camera import CameraCounter
from pictag.footfall.hours import OpeningHours
from pictag.footfall.outputs import FootfallEvent, LineCrossing, OccupancyChanged, ZoneKind, ZoneLeft
from pictag.footfall.stats import estimate_wait

#: A camera whose last frame is older than this no longer bounds occupancy from below.
STALE_VIEW_S = 5.0
#: Queue leaves kept per queue zone for the live wait estimate.
MAX_QUEUE_LEAVES = 512


@dataclass(frozen=True)
class FootfallSettings:
    """The engine's knobs (from the ``site`` section)."""

    crossing_frames: int = 3
    zone_frames: int = 3
    queue_wait_window_s: float = 900.0
    reset_occupancy_at_close: bool = True
    edge_clearance: float = 0.075

    @classmethod
    def from_config(cls, site: SiteConfig) -> FootfallSettings:
        """Settings from ``site``."""
        return cls(
            crossing_frames=site.crossing_frames,
            zone_frames=site.zone_frames,
            queue_wait_window_s=site.queue_wait_window_s,
            reset_occupancy_at_close=site.reset_occupancy_at_close,
            edge_clearance=site.edge_clearance,
        )


@dataclass(frozen=True)
class LineCount:
    """A line's live counters since the last reset (staff-flagged tracks left out)."""

    camera_id: str
    line_id: str
    entrance: bool
    ins: int
    outs: int


@dataclass(frozen=True)
class ZoneCount:
    """A zone right now: people inside (staff left out); for a queue, its estimated wait."""

    camera_id: str
    zone_id: str
    kind: ZoneKind
    count: int
    wait_s: float | None = None
    wait_sample: int = 0


@dataclass(frozen=True)
class FootfallSnapshot:
    """Live site figures for the dashboard.

    Attributes:
        occupancy: people inside (see the module docstring).
        entered, exited: entrance crossings since ``since`` (staff-flagged tracks left out).
        since: the last reset (or the engine's start).
        in_view: the reconciliation bound at the latest frame.
    """

    ts: float
    occupancy: int
    entered: int
    exited: int
    since: float
    in_view: int
    lines: tuple[LineCount, ...]
    zones: tuple[ZoneCount, ...]


class FootfallEngine:
    """Lines, zones and occupancy of one site, fed frame by frame from every camera."""

    def __init__(
        self, settings: FootfallSettings | None = None, hours: OpeningHours | None = None, now: float | None = None
    ) -> None:
        self.settings = settings or FootfallSettings()
        self.hours = hours or OpeningHours.always()
        self._cameras: dict[str, CameraCounter] = {}
        self._occupancy = 0
        self._entered = 0
        self._exited = 0
        start = time.time() if now is None else now
        self._since = start
        self._next_reset = self._reset_after(start)
        self._line_counts: dict[tuple[str, str], list[int]] = {}
        self._queue_leaves: dict[tuple[str, str], deque[tuple[float, float]]] = {}

    @classmethod
    def from_config(cls, site: SiteConfig, now: float | None = None) -> FootfallEngine:
        """An engine for a ``site`` section (cameras are added with `set_camera`)."""
        return cls(FootfallSettings.from_config(site), OpeningHours.from_config(site), now)

    def _reset_after(self, ts: float) -> float:
        return self.hours.next_reset(ts) if self.settings.reset_occupancy_at_close else float("inf")

    # ---- cameras ------------------------------------------------------------------------
    def set_camera(
        self, camera_id: str, lines: Sequence[LineConfig] = (), zones: Sequence[ZoneConfig] = ()
    ) -> list[FootfallEvent]:
        """Add a camera or replace its lines and zones (run-time edits keep unchanged ones' state).

        Returns:
            `ZoneLeft` (``zone_changed``) for people inside zones that changed or were removed.
        """
        cam = self._cameras.get(camera_id)
        if cam is None:
            self._cameras[camera_id] = CameraCounter(camera_id, lines, zones)
            return []
        out = cam.set_geometry(lines, zones)
        self._note_leaves(cam, out)
        return out

    def forget_camera(self, camera_id: str) -> list[FootfallEvent]:
        """The camera stopped or was removed: close its zone presences and drop its state."""
        cam = self._cameras.pop(camera_id, None)
        if cam is None:
            return []
        out = cam.end_all("camera_stopped")
        self._note_leaves(cam, out)
        for key in [k for k in self._line_counts if k[0] == camera_id]:
            del self._line_counts[key]
        for key in [k for k in self._queue_leaves if k[0] == camera_id]:
            del self._queue_leaves[key]
        return out

    def mark_staff_track(self, camera_id: str, track_id: int, staff: bool = True) -> bool:
        """Flag a live track as staff (its person is staff today); False if the track is not known."""
        cam = self._cameras.get(camera_id)
        return cam is not None and cam.mark_staff(track_id, staff)

    # ---- per frame ----------------------------------------------------------------------
    def observe(
        self,
        camera_id: str,
        ts: float,
        track_ids: npt.ArrayLike,
        xyxy: npt.ArrayLike,
        ended: Iterable[int] = (),
    ) -> list[FootfallEvent]:
        """One analysed frame of one camera.

        Args:
            camera_id: the camera (unknown cameras are added without lines or zones).
            ts: the frame's capture time (Unix seconds).
            track_ids: ``(n,) int64`` ids of the *confirmed* tracks matched in this frame.
            xyxy: ``(n, 4) float32`` their boxes in frame pixels.
            ended: track ids the tracker ended in this frame.

        Returns:
            In order: an occupancy reset if a closing passed, line crossings, zone entries and
            leaves, and an `OccupancyChanged` if occupancy moved.
        """
        out = self._maybe_reset(ts)
        cam = self._cameras.get(camera_id)
        if cam is None:
            cam = self._cameras[camera_id] = CameraCounter(camera_id)
        found = cam.observe(
            ts,
            track_ids,
            xyxy,
            ended,
            crossing_frames=self.settings.crossing_frames,
            zone_frames=self.settings.zone_frames,
            edge_clearance=self.settings.edge_clearance,
        )
        before = self._occupancy
        reason = None
        for item in found:
            if isinstance(item, LineCrossing):
                self._count(cam, item)
                if item.entrance:
                    reason = "crossing"
        self._note_leaves(cam, found)
        out.extend(found)
        bound = self._in_view(ts) if self._occupancy < self._in_view(ts, upper=True) else 0
        if self._occupancy < bound:
            self._occupancy = bound
            reason = "reconciled"
        if self._occupancy != before and reason is not None:
            out.append(
                OccupancyChanged(ts, self._occupancy, before, "crossing" if reason == "crossing" else "reconciled")
            )
        return out

    def tick(self, ts: float) -> list[FootfallEvent]:
        """Time passes without frames: apply a due occupancy reset."""
        return self._maybe_reset(ts)

    def _maybe_reset(self, ts: float) -> list[FootfallEvent]:
        if ts < self._next_reset:
            return []
        before = self._occupancy
        self._occupancy = self._entered = self._exited = 0
        self._line_counts.clear()
        self._since = self._next_reset
        self._next_reset = self._reset_after(ts)
        return [OccupancyChanged(self._since, 0, before, "reset")]

    def _count(self, cam: CameraCounter, crossing: LineCrossing) -> None:
        staff = cam.is_staff(crossing.track_id)
        if not staff:
            cell = self._line_counts.setdefault((cam.camera_id, crossing.line_id), [0, 0])
            cell[0 if crossing.direction == "in" else 1] += 1
        if not crossing.entrance:
            return
        if crossing.direction == "in":
            self._occupancy += 1
            self._entered += 0 if staff else 1
        else:
            self._occupancy = max(0, self._occupancy - 1)
            self._exited += 0 if staff else 1

    def _note_leaves(self, cam: CameraCounter, found: Iterable[FootfallEvent]) -> None:
        for item in found:
            if isinstance(item, ZoneLeft) and item.kind == "queue" and not cam.is_staff(item.track_id):
                q = self._queue_leaves.setdefault((cam.camera_id, item.zone_id), deque(maxlen=MAX_QUEUE_LEAVES))
                q.append((item.ts, item.dwell_s))

    def _in_view(self, ts: float, upper: bool = False) -> int:
        """The reconciliation bound: most people one fresh camera sees inside (``upper``: in view at all)."""
        best = 0
        for c in self._cameras.values():
            if c.last_ts is not None and ts - c.last_ts <= STALE_VIEW_S:
                best = max(best, c.in_view if upper else c.inside_in_view)
        return best

    # ---- live figures -------------------------------------------------------------------
    @property
    def occupancy(self) -> int:
        """People inside now."""
        return self._occupancy

    def snapshot(self, ts: float) -> FootfallSnapshot:
        """Live figures: occupancy, entrance counters, every line's and zone's counts."""
        lines: list[LineCount] = []
        zones: list[ZoneCount] = []
        window = self.settings.queue_wait_window_s
        for cam in self._cameras.values():
            for ln in cam.lines:
                ins, outs = self._line_counts.get((cam.camera_id, ln.id), (0, 0))
                lines.append(LineCount(cam.camera_id, ln.id, ln.entrance, ins, outs))
            for zone, count in zip(cam.zones, cam.zone_counts(), strict=True):
                wait, sample = (None, 0)
                if zone.kind == "queue":
                    wait, sample = estimate_wait(self._queue_leaves.get((cam.camera_id, zone.id), ()), ts, window)
                zones.append(ZoneCount(cam.camera_id, zone.id, zone.kind, count, wait, sample))
        return FootfallSnapshot(
            ts, self._occupancy, self._entered, self._exited, self._since, self._in_view(ts), tuple(lines), tuple(zones)
        )
