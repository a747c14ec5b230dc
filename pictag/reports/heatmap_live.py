"""Heatmaps of a running camera: per local day, accumulated frame by frame where the frames are.

`CameraHeatmap` is one camera's day: a `HeatmapGrid` of confirmed tracks' bottom-centres
(each weighted by the seconds its frame stands for: the gap to the camera's previous
analysed frame, capped) and a `BackgroundModel` fed a frame now and then with *every*
person box masked before the sample is kept. `take_delta` hands the grid's increment (and,
when new samples arrived, a freshly rendered background as JPEG) to the store, which adds
it to the day's row (`pictag.storage.heatmaps`). Pixels of people never leave: the samples
are masked before they are kept, and only the median of masked samples is encoded.

Threads: `add_tracks` and `take_delta` run on the owner's event loop; `add_sample` and
`render_background` may run in worker threads (they share a lock). Nothing here knows Ray.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import numpy.typing as npt

from pictag.config.reports import HeatmapConfig
from pictag.reports.heatmap import BackgroundModel, Frame, HeatmapError, HeatmapGrid, heatmap_png
from pictag.reports.schedule import day_bounds
from pictag.storage.heatmaps import HeatmapDelta, StoredHeatmap

#: A frame stands for the time since the camera's previous analysed frame, at most this long
#: (a camera that stalled for a minute must not credit its next frame with a minute).
MAX_FRAME_WEIGHT_S = 2.0
JPEG_QUALITY = 90


@dataclass(frozen=True)
class HeatmapSettings:
    """What a node needs to accumulate heatmaps (from ``reports.heatmap`` and ``reports.timezone``)."""

    heatmap: HeatmapConfig
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        """The site's zone (local days)."""
        return ZoneInfo(self.timezone)


def local_day(ts: float, tz: ZoneInfo) -> tuple[date, float]:
    """The local day of ``ts`` and when it ends (epoch s)."""
    day = datetime.fromtimestamp(ts, tz).date()
    return day, day_bounds(day, tz)[1]


class CameraHeatmap:
    """One camera's heatmap for one local day (see the module docstring)."""

    def __init__(
        self, camera_id: str, width: int, height: int, *, day: date, day_end: float, cfg: HeatmapConfig
    ) -> None:
        self.camera_id, self.day, self.day_end = camera_id, day, day_end
        self.width, self.height = int(width), int(height)
        self._cfg = cfg
        self._grid = HeatmapGrid(width, height, cfg.cell_px)
        self._background = BackgroundModel(
            width,
            height,
            samples=cfg.background_samples,
            min_clean=cfg.min_clean_samples,
            keep_width=cfg.background_width,
            seed=zlib.crc32(f"{camera_id}/{day}".encode()),
        )
        self._lock = threading.Lock()
        self._last_ts: float | None = None
        self._last_sample_ts: float | None = None
        self._samples_seen = 0  # samples offered and kept since the start (version of the reservoir)
        self._rendered_at_version = 0
        self._rendered_samples = 0  # samples in the last background handed over
        self._rendered_at: float | None = None

    # ---- per frame (event loop) ------------------------------------------------------------
    def add_tracks(self, ts: float, xyxy: npt.NDArray[np.float32]) -> None:
        """Count the confirmed tracks of a frame captured at ``ts``."""
        weight = 0.0 if self._last_ts is None else min(max(ts - self._last_ts, 0.0), MAX_FRAME_WEIGHT_S)
        self._last_ts = ts if self._last_ts is None else max(ts, self._last_ts)
        if weight > 0.0 and len(xyxy):
            self._grid.add(xyxy, weight)

    def sample_due(self, ts: float) -> bool:
        """True when a background sample is due (the caller then calls `add_sample`); marks it taken.

        Every ``fill_every_s`` until the reservoir is full, then every ``sample_every_s`` (the
        reservoir then replaces samples at random, so the day stays evenly represented).
        """
        filling = self._background.kept < self._background.capacity
        every = min(self._cfg.fill_every_s, self._cfg.sample_every_s) if filling else self._cfg.sample_every_s
        if self._last_sample_ts is not None and ts - self._last_sample_ts < every:
            return False
        self._last_sample_ts = ts
        return True

    # ---- worker threads -------------------------------------------------------------------
    def add_sample(self, frame: Frame, person_boxes: npt.NDArray[np.float32]) -> bool:
        """Offer a frame with every person box in it (detections and tracks); True when kept.

        Raises:
            HeatmapError: the frame is not this camera's size.
        """
        with self._lock:
            kept = self._background.add_sample(frame, person_boxes)
            if kept:
                self._samples_seen += 1
            return kept

    def background_due(self, now: float) -> bool:
        """True when a new background is worth writing: samples arrived and it says much more.

        Rewriting the day's row with a new ~80 kB JPEG every minute made the store's DuckDB
        process grow by ~1 MB a minute (measured: `bench soak`, and 240 rewrites of one row
        in isolation). So a background goes out when the reservoir holds at least twice the
        samples of the last one written (1, 2, 4, ... while it fills) or ``background_every_s``
        after the last one; the end of the day, a stopping camera and `flush` force it.
        """
        with self._lock:
            if self._samples_seen == self._rendered_at_version:
                return False
            kept = self._background.kept
        if self._rendered_at is None or kept >= 2 * self._rendered_samples:
            return True
        return now - self._rendered_at >= self._cfg.background_every_s

    def render_background(self, now: float | None = None) -> tuple[bytes, int, float] | None:
        """``(jpeg, samples, hole_fraction)`` when samples arrived since the last render, else None."""
        with self._lock:
            if self._samples_seen == self._rendered_at_version:
                return None
            version = self._samples_seen
            background = self._background.render()
        if background is None:
            return None
        ok, data = cv2.imencode(".jpg", background.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise HeatmapError(f"camera={self.camera_id} reason=jpeg_encode_failed")
        self._rendered_at_version = version
        self._rendered_samples = background.samples
        self._rendered_at = time.time() if now is None else now
        return bytes(data.tobytes()), background.samples, background.hole_fraction

    # ---- hand-over ------------------------------------------------------------------------
    def take_counts(self) -> npt.NDArray[np.float32] | None:
        """The person-seconds added since the last call (the grid restarts at zero); None if nothing."""
        counts = self._grid.counts
        if not counts.any():
            return None
        self._grid.counts = np.zeros_like(counts)
        return counts

    def delta(
        self, counts: npt.NDArray[np.float32] | None, background: tuple[bytes, int, float] | None
    ) -> HeatmapDelta | None:
        """The store's increment from `take_counts` and `render_background` (None when both are empty)."""
        if counts is None and background is None:
            return None
        jpeg, samples, holes = background if background is not None else (None, 0, None)
        return HeatmapDelta(
            camera_id=self.camera_id,
            day=self.day,
            day_end=self.day_end,
            width=self.width,
            height=self.height,
            cell_px=self._grid.cell_px,
            counts=counts if counts is not None else np.zeros_like(self._grid.counts),
            background_jpeg=jpeg,
            background_samples=samples,
            hole_fraction=holes,
        )


def person_boxes(*boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Every box to mask in a background sample: detections and tracks together, ``(n, 4)``."""
    parts = [np.asarray(b, np.float32).reshape(-1, 4) for b in boxes]
    return np.concatenate(parts, axis=0) if parts else np.zeros((0, 4), np.float32)


def decode_background(jpeg: bytes | None) -> Frame | None:
    """A stored background JPEG as a BGR image (None when there is none or it does not decode)."""
    if not jpeg:
        return None
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image, np.uint8)


def stored_png(row: StoredHeatmap) -> bytes:
    """The PNG of ``GET /api/v1/cameras/{id}/heatmap.png``: the stored grid over the stored background."""
    grid = HeatmapGrid(row.width, row.height, row.cell_px)
    grid.counts = row.counts.astype(np.float32)
    return heatmap_png(grid, decode_background(row.background_jpeg))
