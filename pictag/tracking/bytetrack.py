"""ByteTrack-class multi-object tracker for one camera.

Per frame (Zhang et al., "ByteTrack", ECCV 2022, with the changes listed in
docs/tracking.md):

1. predict every track to the frame's timestamp (Kalman, real ``dt``);
2. confirmed tracks (tracked and lost) ↔ high-score detections by IoU, a lost
   track's predicted box enlarged in proportion to how long it has been lost
   (its position gets less certain, as in C-BIoU); score fusion is optional;
3. still-unmatched *tracked* tracks ↔ low-score detections, plain IoU — the
   "BYTE" step that keeps a track alive through partial occlusion, where the
   detector's confidence drops;
4. optionally, unmatched confirmed tracks ↔ leftover high-score detections by IoU
   with the track's *last detection* rather than its prediction (OC-SORT's
   observation-centric recovery) — prediction drifts while a person stands behind
   a pillar, the last box does not;
5. tentative tracks ↔ leftover high-score detections; a tentative track that
   misses a frame is dropped, one matched ``min_hits`` times is confirmed and
   gets the next public id;
6. leftover detections scoring ``new_track_threshold`` or more start tentative
   tracks; confirmed tracks unmatched for longer than ``lost_timeout_s`` end.

One instance holds one camera's state; ids start at 1 per instance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pictag.config.tracking import TrackingConfig
from pictag.detections import Detections
from pictag.tracking import kalman
from pictag.tracking.matching import fuse_score, iou_cost, linear_assignment
from pictag.tracking.table import TrackState, TrackTable

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]

# Plain ints: comparing arrays against IntEnum members costs an enum lookup per use.
_TENTATIVE, _TRACKED, _LOST = (
    int(TrackState.TENTATIVE),
    int(TrackState.TRACKED),
    int(TrackState.LOST),
)


@dataclass(frozen=True)
class TrackingResult:
    """What one `ByteTracker.update` call tells the rest of the pipeline.

    Attributes:
        tracks: confirmed tracks matched in this frame (the matched detection's box,
            score and class; ``track_id`` set), ordered by track id.
        started: ids confirmed in this frame.
        ended: confirmed ids removed in this frame (lost longer than ``lost_timeout_s``).
        lost: confirmed ids currently lost (not matched this frame) but still kept.
    """

    tracks: Detections
    started: tuple[int, ...]
    ended: tuple[int, ...]
    lost: tuple[int, ...]


@dataclass
class _Matching:
    """Working state of one frame's association: detection index per track row (-1: none)."""

    det_of_track: I64
    free_high: I64


class ByteTracker:
    """Kalman + two-stage (high/low score) association tracker; see the module docstring."""

    def __init__(self, config: TrackingConfig) -> None:
        """Build a tracker with no tracks.

        Args:
            config: thresholds, confirmation, lost-track timeout and Kalman noise.
        """
        self.config = config
        self.noise = kalman.KalmanNoise(
            position=config.position_noise,
            velocity=config.velocity_noise,
            measurement=config.measurement_noise,
        )
        self.reset()

    def reset(self) -> None:
        """Forget every track and restart ids at 1 (a new camera session)."""
        self._tracks = TrackTable.empty()
        self._next_id = 1
        self._time: float | None = None

    @property
    def track_count(self) -> int:
        """Tracks currently held (tentative, tracked and lost)."""
        return len(self._tracks)

    def update(self, detections: Detections, timestamp: float) -> TrackingResult:
        """Advance to ``timestamp`` (seconds) and associate this frame's detections.

        Frames may be skipped: prediction uses the real time since the previous
        call. A timestamp earlier than the previous one is treated as no time passing.
        """
        dt = self._advance_clock(timestamp)
        now = float(self._time if self._time is not None else timestamp)  # clamped, monotonic
        tracks = self._tracks
        if len(tracks):
            tracks.mean, tracks.cov = kalman.predict(tracks.mean, tracks.cov, dt, self.noise)
        boxes = detections.xyxy.astype(np.float64)
        match = self._associate(tracks, boxes, detections.confidence.astype(np.float64))
        started = self._apply_matches(tracks, detections, match.det_of_track, now)
        ended = self._expire(now)
        started += self._start_tracks(detections, match.free_high, now)
        return self._result(detections, started, ended)

    # ----------------------------------------------------------------- steps

    def _advance_clock(self, timestamp: float) -> float:
        previous, self._time = self._time, float(timestamp)
        if previous is None:
            return 0.0
        dt = self._time - previous
        if dt < 0:
            log.debug("timestamp went back by %.3f s; predicting with dt=0", -dt)
            self._time = previous
            return 0.0
        return dt

    def _associate(
        self, tracks: TrackTable, boxes: npt.NDArray[np.float64], conf: npt.NDArray[np.float64]
    ) -> _Matching:
        """Stages 2-5 of the module docstring; returns the detection chosen for each track row."""
        cfg = self.config
        wh_ok = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        high = np.flatnonzero(wh_ok & (conf >= cfg.high_threshold))
        low = np.flatnonzero(wh_ok & (conf >= cfg.low_threshold) & (conf < cfg.high_threshold))
        det_of_track = np.full(len(tracks), -1, np.int64)
        predicted = kalman.cxcywh_to_xyxy(tracks.mean[:, :4])

        confirmed = np.flatnonzero(tracks.state != _TENTATIVE)
        cost = iou_cost(self._search_boxes(tracks, predicted, confirmed), boxes[high])
        if cfg.fuse_score:
            cost = fuse_score(cost, conf[high])
        rest_tracks, high = self._assign(cost, 1.0 - cfg.match_iou, confirmed, high, det_of_track)

        tracked = rest_tracks[tracks.state[rest_tracks] == _TRACKED]
        self._assign(
            iou_cost(predicted[tracked], boxes[low]),
            1.0 - cfg.low_match_iou,
            tracked,
            low,
            det_of_track,
        )

        if cfg.reattach_iou > 0:
            unmatched = rest_tracks[det_of_track[rest_tracks] < 0]
            cost = iou_cost(tracks.last_box[unmatched], boxes[high])
            _, high = self._assign(cost, 1.0 - cfg.reattach_iou, unmatched, high, det_of_track)

        tentative = np.flatnonzero(tracks.state == _TENTATIVE)
        cost = iou_cost(predicted[tentative], boxes[high])
        _, high = self._assign(cost, 1.0 - cfg.tentative_match_iou, tentative, high, det_of_track)
        return _Matching(det_of_track, high)

    def _search_boxes(
        self, tracks: TrackTable, predicted: npt.NDArray[np.float64], rows: I64
    ) -> npt.NDArray[np.float64]:
        """Predicted boxes of ``rows``, lost ones grown by ``lost_box_growth`` per second lost."""
        search = predicted[rows]
        growth = self.config.lost_box_growth
        if growth <= 0 or self._time is None:
            return search
        lost_for = np.where(tracks.state[rows] == _LOST, self._time - tracks.last_seen[rows], 0.0)
        half = np.minimum(growth * lost_for, 1.0)[:, None] * (search[:, 2:] - search[:, :2]) / 2
        return np.concatenate([search[:, :2] - half, search[:, 2:] + half], axis=1)

    @staticmethod
    def _assign(
        cost: npt.NDArray[np.float64], max_cost: float, rows: I64, cols: I64, det_of_track: I64
    ) -> tuple[I64, I64]:
        """Match ``rows`` (track indices) to ``cols`` (detection indices) into ``det_of_track``.

        Returns:
            The unmatched rows and unmatched columns (as track / detection indices).
        """
        result = linear_assignment(cost, max_cost)
        det_of_track[rows[result.matches[:, 0]]] = cols[result.matches[:, 1]]
        return rows[result.unmatched_tracks], cols[result.unmatched_detections]

    def _apply_matches(
        self, tracks: TrackTable, detections: Detections, det_of_track: I64, timestamp: float
    ) -> list[int]:
        """Kalman-correct matched tracks, confirm, mark lost, drop missed tentative tracks."""
        matched = det_of_track >= 0
        rows = np.flatnonzero(matched)
        if rows.size:
            det = det_of_track[rows]
            measured = kalman.xyxy_to_cxcywh(detections.xyxy[det])
            tracks.mean[rows], tracks.cov[rows] = kalman.update(
                tracks.mean[rows], tracks.cov[rows], measured, self.noise
            )
            tracks.hits[rows] += 1
            tracks.last_seen[rows] = timestamp
            tracks.score[rows] = detections.confidence[det]
            tracks.class_id[rows] = detections.class_id[det]
            tracks.last_box[rows] = detections.xyxy[det]
        tentative = tracks.state == _TENTATIVE
        tracks.det_index = det_of_track
        tracks.state[matched & ~tentative] = _TRACKED
        tracks.state[~matched & ~tentative] = _LOST
        promote = np.flatnonzero(matched & tentative & (tracks.hits >= self.config.min_hits))
        started = self._confirm(tracks, promote)
        self._tracks = tracks.take(matched | ~tentative)
        return started

    def _confirm(self, tracks: TrackTable, rows: I64) -> list[int]:
        ids = np.arange(self._next_id, self._next_id + rows.size, dtype=np.int64)
        self._next_id += int(rows.size)
        tracks.track_id[rows] = ids
        tracks.state[rows] = _TRACKED
        return [int(i) for i in ids]

    def _expire(self, timestamp: float) -> list[int]:
        tracks = self._tracks
        stale = (tracks.state == _LOST) & (timestamp - tracks.last_seen > self.config.lost_timeout_s)
        ended = [int(i) for i in tracks.track_id[stale]]
        if ended:
            self._tracks = tracks.take(~stale)
        return ended

    def _start_tracks(self, detections: Detections, free_high: I64, timestamp: float) -> list[int]:
        """Tentative tracks from leftover confident detections; returns ids confirmed at once."""
        new = free_high[detections.confidence[free_high] >= self.config.new_track_threshold]
        if new.size == 0:
            return []
        boxes = detections.xyxy[new].astype(np.float64)
        mean, cov = kalman.initiate(kalman.xyxy_to_cxcywh(boxes), self.noise)
        n = new.size
        born = TrackTable(
            track_id=np.zeros(n, np.int64),
            state=np.full(n, _TENTATIVE, np.int64),
            hits=np.ones(n, np.int64),
            first_seen=np.full(n, timestamp),
            last_seen=np.full(n, timestamp),
            score=detections.confidence[new].astype(np.float64),
            class_id=detections.class_id[new].copy(),
            last_box=boxes,
            mean=mean,
            cov=cov,
            det_index=new.astype(np.int64),
        )
        started = self._confirm(born, np.arange(n)) if self.config.min_hits <= 1 else []
        self._tracks = self._tracks.concat(born)
        return started

    def _result(self, detections: Detections, started: list[int], ended: list[int]) -> TrackingResult:
        tracks = self._tracks
        out = np.flatnonzero((tracks.state == _TRACKED) & (tracks.det_index >= 0))
        out = out[np.argsort(tracks.track_id[out], kind="stable")]
        matched = detections[tracks.det_index[out]].with_track_ids(tracks.track_id[out])
        lost = np.sort(tracks.track_id[tracks.state == _LOST])
        return TrackingResult(
            tracks=matched,
            started=tuple(started),
            ended=tuple(ended),
            lost=tuple(int(i) for i in lost),
        )
