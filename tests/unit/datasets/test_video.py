"""Video file reader: exact frame indices, clear errors for unreadable files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pictag.datasets.video import iter_frames, read_frames, video_info
from pictag.errors import AssetError


@pytest.fixture(scope="module")
def counter_video(tmp_path_factory) -> Path:
    """A 12-frame lossless video whose frame k is uniformly grey level 20*k."""
    path = tmp_path_factory.mktemp("video") / "counter.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    assert writer.isOpened()
    for k in range(12):
        writer.write(np.full((48, 64, 3), 20 * k, np.uint8))
    writer.release()
    return path


def _level(frame: np.ndarray) -> int:
    return round(float(frame.mean()) / 20)


def test_info(counter_video: Path) -> None:
    info = video_info(counter_video)
    assert (info.width, info.height, info.frame_count) == (
        64,
        48,
        12,
    ) and info.fps == pytest.approx(10.0)


def test_iterates_every_frame_in_order(counter_video: Path) -> None:
    got = [(k, _level(f)) for k, f in iter_frames(counter_video)]
    assert got == [(k, k) for k in range(12)]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"start": 3, "stop": 9, "step": 2}, [3, 5, 7]),
        ({"indices": [11, 0, 5, 5]}, [0, 5, 11]),
        ({"start": 10}, [10, 11]),
    ],
)
def test_selected_frames_are_exact(counter_video: Path, kwargs: dict, expected: list[int]) -> None:
    got = list(iter_frames(counter_video, **kwargs))
    assert [k for k, _ in got] == expected
    assert [_level(f) for _, f in got] == expected


def test_read_frames_beyond_the_end_is_an_error(counter_video: Path) -> None:
    assert sorted(read_frames(counter_video, [2, 4])) == [2, 4]
    with pytest.raises(AssetError, match="video ends before frame 40"):
        read_frames(counter_video, [1, 40])


def test_vtest_frames(asset) -> None:
    frames = read_frames(asset("vtest.avi"), [0, 794])
    assert frames[0].shape == (576, 768, 3) and frames[794].dtype == np.uint8


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="video file not found"):
        video_info(tmp_path / "none.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(AssetError, match=r"junk\.mp4"):
        list(iter_frames(junk))
