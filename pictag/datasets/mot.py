"""MOTChallenge ground truth and detections (``gt/gt.txt``, ``det/det.txt``, ``seqinfo.ini``).

Row layouts handled (comma separated, frames 1-based, boxes top-left x, y, w, h):

- MOT16/17/20 ground truth, 9 columns: ``frame, id, x, y, w, h, conf, class, visibility``.
  ``conf`` is a 0/1 "consider" flag: 0 marks rows the benchmark ignores (distractors,
  static persons, vehicles, reflections...). Class 1 is *pedestrian*; 2 person on
  vehicle, 7 static person, 8 distractor, 12 reflection are the usual ignore classes.
- MOT15 (2D MOT 2015, e.g. PETS09-S2L1, TUD-Campus), 10 columns:
  ``frame, id, x, y, w, h, conf, wx, wy, wz`` — the last three are world coordinates
  (or -1), there is no class and no visibility: every row is a pedestrian
  (class 1) and is treated as fully visible (visibility 1.0).
- Detection files (``det.txt``): same layouts with ``id = -1`` and ``conf`` a real score;
  read them with ``kind="det"`` so no row is dropped for its score.

Videos index frames from 0 while MOT counts from 1: ``frame_offset`` maps
video frame k to ground-truth frame ``k + frame_offset`` (1 for the assets here).
"""

from __future__ import annotations

import configparser
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from pictag.errors import AssetError
from pictag.geometry import xywh_to_xyxy

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: MOTChallenge class of a walking/standing pedestrian (the only class scored in MOT17).
PEDESTRIAN = 1
#: Video frame k is ground-truth frame k + 1 when the video starts at MOT frame 1.
DEFAULT_FRAME_OFFSET = 1


@dataclass(frozen=True)
class SeqInfo:
    """The ``[Sequence]`` section of a ``seqinfo.ini``."""

    name: str
    frame_rate: float
    length: int
    width: int
    height: int
    im_dir: str = "img1"
    im_ext: str = ".jpg"


def read_seqinfo(path: str | Path) -> SeqInfo:
    """Parse a ``seqinfo.ini`` (or the sequence folder that holds it).

    Raises:
        AssetError: missing file or keys.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "seqinfo.ini"
    parser = configparser.ConfigParser()
    try:
        if not parser.read(p, encoding="utf-8"):
            raise AssetError(f"seqinfo.ini not found: path={p}")
        sec = parser["Sequence"]
        return SeqInfo(
            name=sec["name"],
            frame_rate=float(sec["frameRate"]),
            length=int(sec["seqLength"]),
            width=int(sec["imWidth"]),
            height=int(sec["imHeight"]),
            im_dir=sec.get("imDir", "img1"),
            im_ext=sec.get("imExt", ".jpg"),
        )
    except (KeyError, ValueError, configparser.Error) as err:
        raise AssetError(f"malformed seqinfo.ini: path={p} reason={err!r}") from None


@dataclass(frozen=True)
class FrameTruth:
    """Boxes of one frame.

    Attributes:
        ids: ``(n,) int64`` track ids (-1 in detection files).
        xyxy: ``(n, 4) float32`` x1, y1, x2, y2 in image pixels.
        confidence: ``(n,) float32`` consider flag (gt) or score (det).
        class_id: ``(n,) int64`` MOTChallenge classes.
        visibility: ``(n,) float32`` visible fraction 0..1.
    """

    ids: IntArray
    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray
    visibility: FloatArray

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def heights(self) -> FloatArray:
        """Box heights in pixels."""
        return (self.xyxy[:, 3] - self.xyxy[:, 1]).astype(np.float32)

    def select(self, mask: BoolArray | IntArray) -> FrameTruth:
        """Rows picked by a boolean mask or index array."""
        return FrameTruth(
            self.ids[mask],
            self.xyxy[mask],
            self.confidence[mask],
            self.class_id[mask],
            self.visibility[mask],
        )


@dataclass(frozen=True)
class MotTable:
    """All rows of a MOT file, sorted by frame, as parallel arrays, with per-frame access.

    Attributes:
        frame: ``(n,) int64`` MOT frame numbers (1-based), ascending.
        rows: the boxes of every row (a `FrameTruth` over the whole file).
        frame_offset: video frame k is MOT frame ``k + frame_offset``.
        seqinfo: the sequence description when it was found.
    """

    frame: IntArray
    rows: FrameTruth
    frame_offset: int = DEFAULT_FRAME_OFFSET
    seqinfo: SeqInfo | None = None

    def __len__(self) -> int:
        return int(self.frame.shape[0])

    @property
    def frames(self) -> IntArray:
        """The distinct MOT frame numbers that have rows, ascending."""
        return np.unique(self.frame)

    @property
    def track_ids(self) -> IntArray:
        """The distinct track ids, ascending."""
        return np.unique(self.rows.ids)

    def at_frame(self, mot_frame: int) -> FrameTruth:
        """Rows of a MOT (1-based) frame; empty when it has none."""
        lo, hi = np.searchsorted(self.frame, [mot_frame, mot_frame + 1])
        return self.rows.select(np.arange(lo, hi))

    def at_video_frame(self, video_frame: int) -> FrameTruth:
        """Rows for 0-based video frame ``video_frame`` (MOT frame ``video_frame + offset``)."""
        return self.at_frame(video_frame + self.frame_offset)

    def iter_frames(self) -> Iterator[tuple[int, FrameTruth]]:
        """``(mot_frame, truth)`` for every frame that has rows."""
        if len(self.frame) == 0:
            return
        bounds = np.flatnonzero(np.diff(self.frame)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(self.frame)]])
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            yield int(self.frame[lo]), self.rows.select(np.arange(lo, hi))


def _load_rows(path: Path) -> npt.NDArray[np.float64]:
    if not path.is_file():
        raise AssetError(f"MOT file not found: path={path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as err:
        raise AssetError(f"malformed MOT file: path={path} reason={err} (expected comma-separated numbers)") from None
    if data.size == 0:
        return np.zeros((0, 9), dtype=np.float64)
    if data.shape[1] < 6:
        raise AssetError(f"MOT file needs at least 6 columns (frame,id,x,y,w,h): path={path} columns={data.shape[1]}")
    return data


def _columns(data: npt.NDArray[np.float64], kind: str) -> tuple[FloatArray, IntArray, FloatArray]:
    """Confidence, class and visibility columns for any supported layout."""
    n, ncols = data.shape
    conf = data[:, 6].astype(np.float32) if ncols >= 7 else np.ones(n, np.float32)
    if ncols == 9 and kind == "gt":  # MOT16/17/20: class and visibility
        return conf, data[:, 7].astype(np.int64), np.clip(data[:, 8], 0, 1).astype(np.float32)
    # MOT15 (10 columns: world coordinates) and detection files: pedestrians, fully visible.
    return conf, np.full(n, PEDESTRIAN, np.int64), np.ones(n, np.float32)


def read_mot(
    path: str | Path,
    *,
    kind: Literal["gt", "det"] = "gt",
    classes: Collection[int] | None = (PEDESTRIAN,),
    min_visibility: float = 0.0,
    frame_offset: int = DEFAULT_FRAME_OFFSET,
    seqinfo: SeqInfo | None = None,
) -> MotTable:
    """Read a MOTChallenge ``gt.txt`` or ``det.txt``.

    Args:
        path: the text file.
        kind: ``gt`` drops rows whose consider flag (column 7) is 0; ``det`` keeps every row
            (column 7 is a score there).
        classes: MOT classes kept (pedestrians by default, as MOT17 scores them); None keeps all.
            MOT15 files have no class column: their rows count as pedestrians.
        min_visibility: rows less visible than this are dropped (MOT16/17 only).
        frame_offset: video frame k is MOT frame ``k + frame_offset``.
        seqinfo: attached to the result as is.

    Raises:
        AssetError: missing or malformed file.
    """
    p = Path(path)
    data = _load_rows(p)
    conf, cls, vis = _columns(data, kind)
    keep = np.ones(data.shape[0], dtype=bool)
    if kind == "gt":
        keep &= conf != 0
    if classes is not None:
        keep &= np.isin(cls, np.asarray(list(classes), dtype=np.int64))
    keep &= vis >= min_visibility
    data, conf, cls, vis = data[keep], conf[keep], cls[keep], vis[keep]
    order = np.argsort(data[:, 0], kind="stable")
    rows = FrameTruth(
        ids=data[order, 1].astype(np.int64),
        xyxy=xywh_to_xyxy(data[order, 2:6]),
        confidence=conf[order],
        class_id=cls[order],
        visibility=vis[order],
    )
    return MotTable(frame=data[order, 0].astype(np.int64), rows=rows, frame_offset=frame_offset, seqinfo=seqinfo)


def load_sequence(
    seq_dir: str | Path,
    *,
    kind: Literal["gt", "det"] = "gt",
    classes: Collection[int] | None = (PEDESTRIAN,),
    min_visibility: float = 0.0,
    frame_offset: int = DEFAULT_FRAME_OFFSET,
) -> MotTable:
    """Read a sequence folder (``seqinfo.ini`` + ``gt/gt.txt`` or ``det/det.txt``).

    ``seqinfo.ini`` is optional; when present it is attached to the table.

    Raises:
        AssetError: the folder or its gt/det file is missing or malformed.
    """
    d = Path(seq_dir)
    if not d.is_dir():
        raise AssetError(f"MOT sequence folder not found: path={d} (set PICTAG_ASSETS or give the mot/<name> folder)")
    info = read_seqinfo(d) if (d / "seqinfo.ini").is_file() else None
    return read_mot(
        d / kind / f"{kind}.txt",
        kind=kind,
        classes=classes,
        min_visibility=min_visibility,
        frame_offset=frame_offset,
        seqinfo=info,
    )
