"""`pictag eval track`: the real detector and tracker over a video, scored against MOT ground truth.

Everything runs in this process (no Ray): the video is decoded and detected once,
then each tracker — ours and the reference — consumes the *same* detections, so the
table compares trackers, not detector runs. Timestamps come from the sequence's frame
rate, as a camera's capture times would.

Metric keys of each row (the JSON contract, ratios 0..1): ``mota``, ``idf1``,
``hota``, ``id_switches``, ``precision``, ``recall``, ``frames``, ``fps``; plus
``deta``, ``assa``, ``loca``, ``motp``, ``idp``, ``idr``, ``fragmentations``,
``false_positives``, ``misses``, ``mostly_tracked``, ``partially_tracked``,
``mostly_lost``, ``tracker_ms_per_frame``. ``fps`` is end-to-end frames per second of
decoding + detection + that tracker; ``tracker_ms_per_frame`` is the tracker alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pictag.config.detector import DetectorConfig
from pictag.config.tracking import TrackingConfig
from pictag.datasets.mot import SeqInfo, read_seqinfo
from pictag.datasets.video import iter_frames, video_info
from pictag.detection.base import Detector
from pictag.detections import Detections
from pictag.errors import EvaluationError
from pictag.eval.clear import clear_metrics
from pictag.eval.frames import TrackRows, align, read_mot_rows, write_mot_rows
from pictag.eval.hota import hota
from pictag.eval.reference import INSTALL_HINT, ReferenceUnavailable, UltralyticsByteTrack
from pictag.tracking import ByteTracker

log = logging.getLogger(__name__)

#: Keys every result row carries (the JSON contract other tools read).
CONTRACT_KEYS = ("mota", "idf1", "hota", "id_switches", "precision", "recall", "frames", "fps")

TrackFn = Callable[[Detections, float], Detections]


@dataclass(frozen=True)
class DetectedSequence:
    """A video's detections, frame by frame.

    Attributes:
        mot_frames: 1-based MOT frame number of each processed video frame.
        timestamps: seconds since the first frame (frame index / frame rate).
        detections: one `Detections` per frame.
        detect_seconds: wall time spent decoding and detecting.
        frame_rate: frames per second used for the timestamps.
    """

    mot_frames: list[int]
    timestamps: list[float]
    detections: list[Detections]
    detect_seconds: float
    frame_rate: float

    def __len__(self) -> int:
        return len(self.mot_frames)


@dataclass(frozen=True)
class TrackerRun:
    """One tracker's output over a sequence and its cost."""

    name: str
    rows: TrackRows
    seconds: float


@dataclass
class TrackEvalReport:
    """Everything `pictag eval track` prints and writes as JSON."""

    sequence: dict[str, Any]
    detector: dict[str, Any]
    tracking: dict[str, Any]
    ours: dict[str, Any]
    reference: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"ours": {...}, "reference": {...}}`` plus sequence, detector and tracking settings."""
        return {
            "ours": self.ours,
            "reference": self.reference,
            "sequence": self.sequence,
            "detector": self.detector,
            "tracking": self.tracking,
        }


def detect_video(
    video: str | Path,
    detector: Detector | Callable[[np.ndarray], Detections],
    *,
    frame_offset: int,
    frame_rate: float,
    max_frames: int | None = None,
) -> DetectedSequence:
    """Detect every frame of a video file; frame indices are exact (sequential decoding).

    A `pictag.detection.Detector` is driven asynchronously (``submit``: its inference
    requests run in parallel while the next frame decodes); a plain
    ``frame -> Detections`` callable is called frame by frame.

    Args:
        video: the file.
        detector: a `Detector`, or a ``frame_bgr -> Detections`` callable.
        frame_offset: video frame k is MOT frame ``k + frame_offset``.
        frame_rate: frames per second for the timestamps.
        max_frames: stop after this many frames (None: the whole video).

    Raises:
        EvaluationError: the detector failed on a frame.
    """
    results: dict[int, Detections | BaseException] = {}

    def keep(index: int) -> Callable[[Detections | BaseException], None]:
        return lambda result: results.__setitem__(index, result)

    asynchronous = isinstance(detector, Detector)
    start = time.perf_counter()
    for index, frame in iter_frames(video, stop=max_frames):
        if isinstance(detector, Detector):
            detector.submit(frame, keep(index))
        else:
            results[index] = detector(frame)
    if isinstance(detector, Detector):
        detector.wait_all()
    spent = time.perf_counter() - start
    log.debug("detected %d frames in %.1f s (async=%s)", len(results), spent, asynchronous)
    indices = sorted(results)
    dets: list[Detections] = []
    for index in indices:
        result = results[index]
        if isinstance(result, BaseException):
            raise EvaluationError(f"detection failed: video={video} frame={index} reason={result!r}")
        dets.append(result)
    return DetectedSequence(
        mot_frames=[i + frame_offset for i in indices],
        timestamps=[i / frame_rate for i in indices],
        detections=dets,
        detect_seconds=spent,
        frame_rate=frame_rate,
    )


def run_tracker(name: str, update: TrackFn, seq: DetectedSequence) -> TrackerRun:
    """Feed a tracker every frame's detections; collect its output rows and its cost."""
    frame_col, id_col, box_col = [], [], []
    spent = 0.0
    for mot_frame, stamp, det in zip(seq.mot_frames, seq.timestamps, seq.detections, strict=True):
        start = time.perf_counter()
        out = update(det, stamp)
        spent += time.perf_counter() - start
        frame_col.append(np.full(len(out), mot_frame, np.int64))
        id_col.append(out.track_id)
        box_col.append(out.xyxy.astype(np.float64))
    if not frame_col:
        return TrackerRun(name, TrackRows.empty(), spent)
    rows = TrackRows.build(np.concatenate(frame_col), np.concatenate(id_col), np.concatenate(box_col))
    return TrackerRun(name, rows, spent)


def score(run: TrackerRun, gt: TrackRows, seq: DetectedSequence) -> dict[str, Any]:
    """The metric row of one tracker (see the module docstring for the keys)."""
    mot17 = bool(np.any(gt.class_id != 1))
    frames = align(gt, run.rows, seq.mot_frames, mot17_preprocess=mot17)
    clear = clear_metrics(frames)
    hot = hota(frames)
    n = len(seq)
    total = seq.detect_seconds + run.seconds
    return {
        "tracker": run.name,
        "mota": clear.mota,
        "idf1": clear.idf1,
        "hota": hot.hota,
        "id_switches": clear.id_switches,
        "precision": clear.precision,
        "recall": clear.recall,
        "frames": n,
        "fps": n / total if total > 0 else 0.0,
        "deta": hot.deta,
        "assa": hot.assa,
        "loca": hot.loca,
        "motp": clear.motp,
        "idp": clear.idp,
        "idr": clear.idr,
        "fragmentations": clear.fragmentations,
        "false_positives": clear.false_positives,
        "misses": clear.misses,
        "gt_boxes": clear.gt_boxes,
        "mostly_tracked": clear.mostly_tracked,
        "partially_tracked": clear.partially_tracked,
        "mostly_lost": clear.mostly_lost,
        "tracker_ms_per_frame": 1000.0 * run.seconds / n if n else 0.0,
    }


def unavailable_row(reason: str) -> dict[str, Any]:
    """The ``reference`` entry when the reference tracker cannot run: contract keys set to None."""
    return {
        "available": False,
        "reason": reason,
        "install": INSTALL_HINT,
        **dict.fromkeys(CONTRACT_KEYS),
    }


def ours_update(config: TrackingConfig) -> TrackFn:
    """Our tracker as a ``(detections, timestamp) -> tracks`` function."""
    tracker = ByteTracker(config)
    return lambda det, stamp: tracker.update(det, stamp).tracks


@dataclass(frozen=True)
class SequenceInputs:
    """Where a sequence's pieces are and how they line up."""

    video: Path
    gt: Path
    seqinfo: SeqInfo | None
    frame_offset: int
    frame_rate: float
    max_frames: int | None


def resolve_inputs(
    video: str | Path,
    gt: str | Path,
    seqinfo: str | Path | None,
    frame_offset: int,
    max_frames: int | None = None,
) -> SequenceInputs:
    """Check the files and find the frame rate (seqinfo.ini next to ``gt/`` when not given).

    Raises:
        EvaluationError: a file is missing.
        AssetError: the video cannot be opened or seqinfo.ini is malformed.
    """
    video_p, gt_p = Path(video).expanduser(), Path(gt).expanduser()
    for what, p in (("video", video_p), ("ground truth", gt_p)):
        if not p.is_file():
            raise EvaluationError(f"{what} file not found: path={p}")
    info_path = Path(seqinfo).expanduser() if seqinfo else gt_p.parent.parent / "seqinfo.ini"
    info = read_seqinfo(info_path) if (seqinfo or info_path.is_file()) else None
    rate = info.frame_rate if info else video_info(video_p).fps
    if not rate or rate <= 0:
        raise EvaluationError(f"unknown frame rate: video={video_p} (give --seqinfo with frameRate)")
    limit = max_frames
    if info is not None:
        # Frames past the annotated length have no ground truth: they would count as FPs.
        last_video_frame = info.length - frame_offset + 1
        limit = last_video_frame if limit is None else min(limit, last_video_frame)
    return SequenceInputs(video_p, gt_p, info, frame_offset, float(rate), limit)


def evaluate(
    inputs: SequenceInputs,
    detect: Detector | Callable[[np.ndarray], Detections],
    tracking: TrackingConfig,
    *,
    reference: bool = True,
    extra: Sequence[tuple[str, TrackFn]] = (),
    save_dir: Path | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, dict[str, Any]]], DetectedSequence]:
    """Detect once, run ours (and the reference, and any ``extra`` trackers), score all.

    With ``save_dir``, each tracker's output is written there as a MOTChallenge result
    file (``ours.txt``, ``reference.txt``, ``<name>.txt``).

    Returns:
        ``(ours_row, reference_row, extra_rows, detections)``; ``reference_row`` is
        `unavailable_row` when Ultralytics cannot be imported or ``reference`` is False.
    """
    gt = read_mot_rows(inputs.gt)
    seq = detect_video(
        inputs.video,
        detect,
        frame_offset=inputs.frame_offset,
        frame_rate=inputs.frame_rate,
        max_frames=inputs.max_frames,
    )
    if len(seq) == 0:
        raise EvaluationError(f"no frame decoded: video={inputs.video}")

    def run(name: str, fn: TrackFn, file_stem: str) -> dict[str, Any]:
        result = run_tracker(name, fn, seq)
        if save_dir is not None:
            save_dir.mkdir(parents=True, exist_ok=True)
            write_mot_rows(result.rows, save_dir / f"{file_stem}.txt")
        return score(result, gt, seq)

    ours = run("pictag ByteTracker", ours_update(tracking), "ours")
    if reference:
        try:
            ref_tracker = UltralyticsByteTrack()
            ref = run(ref_tracker.name, ref_tracker.update, "reference")
            ref["settings"] = ref_tracker.settings
        except ReferenceUnavailable as err:
            log.warning("reference tracker unavailable: %s", err)
            ref = unavailable_row(str(err))
    else:
        ref = unavailable_row("disabled with --no-reference")
    extras = [(name, run(name, fn, name.replace(" ", "_"))) for name, fn in extra]
    return ours, ref, extras, seq


def detector_summary(config: DetectorConfig, model_path: str) -> dict[str, Any]:
    """Detector settings for the report."""
    return {
        "model": model_path,
        "precision": config.precision,
        "input_size": config.input_size,
        "confidence": config.confidence,
        "iou": config.iou,
        "classes": list(config.classes),
    }
