"""Identity-labelled person crops from a video and its MOTChallenge ground truth.

Why our own loader: training and evaluation need the crops themselves (uint8, 256x128),
cut once and reused by every model, plus per-crop frame/identity metadata for the
time-gap split. Crops are cut with the runtime's own `extract_crops`, so training sees
exactly the pixels the runtime will see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pictag.errors import EvaluationError
from pictag.reid.crops import extract_crops, inside_fraction

log = logging.getLogger(__name__)

CROP_HW = (256, 128)
#: Person classes of MOT16/17 gt (9 columns; column 8 is the class): 1 pedestrian, 7 static
#: person. MOT15 gt has 10 columns (the last three are world coordinates) and only people.
PERSON_CLASSES = (1, 7)


@dataclass(frozen=True)
class CropSet:
    """Person crops with parallel metadata arrays.

    Attributes:
        crops: ``(n, 256, 128, 3) uint8`` BGR crops.
        ids: ``(n,) int64`` identity labels (-1: unlabelled), unique across sequences.
        frames: ``(n,) int64`` video frame index of each crop.
        seq: ``(n,) int64`` index of the source sequence.
        boxes: ``(n, 4) float32`` xyxy boxes in frame pixels.
    """

    crops: npt.NDArray[np.uint8]
    ids: npt.NDArray[np.int64]
    frames: npt.NDArray[np.int64]
    seq: npt.NDArray[np.int64]
    boxes: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def subset(self, index: npt.ArrayLike) -> CropSet:
        """The crops selected by a boolean mask or an index array."""
        idx = np.asarray(index)
        return CropSet(self.crops[idx], self.ids[idx], self.frames[idx], self.seq[idx], self.boxes[idx])

    @staticmethod
    def concat(parts: list[CropSet]) -> CropSet:
        """One set from several (ids must already be disjoint)."""
        return CropSet(
            np.concatenate([p.crops for p in parts]),
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.frames for p in parts]),
            np.concatenate([p.seq for p in parts]),
            np.concatenate([p.boxes for p in parts]),
        )


def load_gt(path: str | Path) -> npt.NDArray[np.float64]:
    """MOTChallenge ``gt.txt`` rows (frame, id, x, y, w, h, conf, class, ...) of people only.

    Raises:
        EvaluationError: the file is missing or not in MOT layout.
    """
    try:
        gt = np.loadtxt(path, delimiter=",", ndmin=2)
    except (OSError, ValueError) as err:
        raise EvaluationError(f"gt={path} reason=unreadable ({err}): give a MOTChallenge gt.txt") from None
    if gt.shape[1] < 6:
        raise EvaluationError(f"gt={path} reason=bad_layout expected >= 6 columns, got {gt.shape[1]}")
    keep = np.ones(len(gt), dtype=bool)
    if gt.shape[1] == 9:
        keep &= np.isin(gt[:, 7], PERSON_CLASSES) & (gt[:, 6] != 0)
    return gt[keep]


def select_boxes(
    gt: npt.NDArray[np.float64],
    frame_wh: tuple[int, int],
    min_height: float = 60.0,
    min_inside: float = 0.6,
    min_visibility: float = 0.0,
) -> npt.NDArray[np.float64]:
    """Rows of boxes fit for re-id: tall enough, mostly inside the frame (and visible, MOT17)."""
    xyxy = np.concatenate([gt[:, 2:4], gt[:, 2:4] + gt[:, 4:6]], axis=1)
    ok = (gt[:, 5] >= min_height) & (inside_fraction(xyxy, *frame_wh) >= min_inside)
    if min_visibility > 0 and gt.shape[1] == 9:
        ok &= gt[:, 8] >= min_visibility
    return gt[ok]


def crops_from_video(
    video: str | Path,
    gt_path: str | Path,
    *,
    frame_offset: int = 1,
    seq_index: int = 0,
    id_base: int = 0,
    min_height: float = 60.0,
    min_inside: float = 0.6,
    min_visibility: float = 0.0,
    every: int = 1,
) -> CropSet:
    """Cut the ground-truth person boxes of a video into crops.

    Args:
        video: the sequence as a video file, or an image folder (``img1/`` of MOTChallenge).
        gt_path: its MOTChallenge ``gt.txt``.
        frame_offset: gt frame number of video frame 0 (MOT frames start at 1).
        seq_index: stored in `CropSet.seq`.
        id_base: added to the gt ids so several sequences do not share labels.
        min_height, min_inside: the box filter of the evaluation protocol.
        min_visibility: MOT17 visibility filter (0: off).
        every: keep every k-th video frame (systematic sampling; 1 = all).

    Raises:
        EvaluationError: the video cannot be read or no box survives the filter.
    """
    source = Path(video)
    if source.is_dir():
        first = min(p.name for p in source.iterdir() if p.suffix == ".jpg")
        source = source / f"%0{len(Path(first).stem)}d.jpg"
    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise EvaluationError(f"video={video} reason=unreadable: check the path")
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    gt = select_boxes(load_gt(gt_path), (width, height), min_height, min_inside, min_visibility)
    by_frame: dict[int, npt.NDArray[np.float64]] = {}
    for frame_no in np.unique(gt[:, 0]).astype(int):
        by_frame[frame_no] = gt[gt[:, 0] == frame_no]
    parts: list[tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64], int]] = []
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        rows = by_frame.get(index + frame_offset)
        if rows is not None and index % every == 0:
            xyxy = np.concatenate([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]], axis=1)
            parts.append((extract_crops(frame, xyxy, CROP_HW), rows, index))
        index += 1
    cap.release()
    if not parts:
        raise EvaluationError(
            f"video={video} gt={gt_path} reason=no_boxes: no gt box matched a video frame "
            f"(frame_offset={frame_offset}, min_height={min_height})"
        )
    rows = np.concatenate([p[1] for p in parts])
    return CropSet(
        crops=np.concatenate([p[0] for p in parts]),
        ids=rows[:, 1].astype(np.int64) + id_base,
        frames=np.concatenate([np.full(len(p[1]), p[2], np.int64) for p in parts]),
        seq=np.full(len(rows), seq_index, np.int64),
        boxes=np.concatenate([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]], axis=1).astype(np.float32),
    )


def time_gap_split(
    ids: npt.ArrayLike, frames: npt.ArrayLike, gallery: float = 0.4, query: float = 0.4
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Split crop indices into gallery and query by time, per identity.

    Per identity, crops sorted by frame: the first ``gallery`` fraction is gallery, the last
    ``query`` fraction is query, the middle is dropped, so no track segment (and no nearly
    identical neighbouring frame) sits on both sides. Identities with fewer than 3 crops are
    skipped (they cannot have both sides and a gap).

    Returns:
        ``(gallery_indices, query_indices)``.
    """
    ids = np.asarray(ids)
    frames = np.asarray(frames)
    g_idx: list[npt.NDArray[np.int64]] = []
    q_idx: list[npt.NDArray[np.int64]] = []
    for pid in np.unique(ids):
        members = np.flatnonzero(ids == pid)
        if members.size < 3:
            continue
        members = members[np.argsort(frames[members], kind="stable")]
        n = members.size
        n_g = max(1, int(np.floor(n * gallery)))
        n_q = max(1, int(np.floor(n * query)))
        g_idx.append(members[:n_g])
        q_idx.append(members[n - n_q :])
    if not g_idx:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(g_idx).astype(np.int64), np.concatenate(q_idx).astype(np.int64)
