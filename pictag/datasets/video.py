"""Read the frames of a video *file* with their 0-based index (evaluation, benchmarks, crops).

Frames are decoded sequentially and skipped ones are only ``grab()``-ed: seeking
with ``CAP_PROP_POS_FRAMES`` is not frame-exact for every codec (vtest.avi is
MPEG-4 part 2), and exact indices are what ground-truth alignment needs.
Live cameras are handled by `pictag.capture`, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pictag.errors import AssetError

Frame = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class VideoInfo:
    """Container facts of a video file (``frame_count`` is the container's claim)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int


def _open(path: str | Path) -> tuple[cv2.VideoCapture, Path]:
    p = Path(path).expanduser()
    if not p.is_file():
        raise AssetError(f"video file not found: path={p} (set PICTAG_ASSETS or give the file path)")
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        cap.release()
        raise AssetError(f"cannot open video: path={p} (not a video, or a codec OpenCV's FFmpeg lacks)")
    return cap, p


def video_info(path: str | Path) -> VideoInfo:
    """Size, frame rate and frame count of a video file.

    Raises:
        AssetError: missing or unreadable file.
    """
    cap, p = _open(path)
    try:
        return VideoInfo(
            path=p,
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=float(cap.get(cv2.CAP_PROP_FPS)),
            frame_count=int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
        )
    finally:
        cap.release()


def iter_frames(
    path: str | Path,
    indices: Iterable[int] | None = None,
    *,
    start: int = 0,
    stop: int | None = None,
    step: int = 1,
) -> Iterator[tuple[int, Frame]]:
    """Yield ``(index, bgr_frame)`` of a video file.

    Args:
        path: the video file.
        indices: exact 0-based frames wanted (any order, duplicates ignored); overrides
            ``start``/``stop``/``step``.
        start, stop, step: a range of frames when ``indices`` is None (``stop`` exclusive,
            None: to the end).

    Raises:
        AssetError: missing or unreadable file, or a file from which no frame decodes.
    """
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    wanted = sorted(set(indices)) if indices is not None else None
    cap, p = _open(path)
    try:
        index, cursor = 0, 0
        while True:
            if wanted is not None:
                if cursor >= len(wanted):
                    return
                take = index == wanted[cursor]
            else:
                if stop is not None and index >= stop:
                    return
                take = index >= start and (index - start) % step == 0
            ok = cap.grab()
            if not ok:
                if index == 0:
                    raise AssetError(f"no frame could be decoded: path={p} (corrupt file or unsupported codec)")
                return
            if take:
                ok, frame = cap.retrieve()
                if not ok:
                    raise AssetError(f"frame {index} failed to decode: path={p}")
                cursor += 1
                yield index, np.asarray(frame, dtype=np.uint8)
            index += 1
    finally:
        cap.release()


def read_frames(path: str | Path, indices: Iterable[int]) -> dict[int, Frame]:
    """The frames at the given 0-based indices.

    Raises:
        AssetError: the file is unreadable or ends before one of the indices.
    """
    wanted = sorted(set(indices))
    frames = dict(iter_frames(path, wanted))
    missing = [i for i in wanted if i not in frames]
    if missing:
        raise AssetError(
            f"video ends before frame {missing[0]}: path={Path(path)} missing={missing[:5]} (check the frame offset)"
        )
    return frames
