"""CameraSource on local files: pacing, consumer pacing, looping, newest-frame slot, errors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from pictag.capture import CameraSource, CameraState, CameraStatus, Frame
from pictag.config.cameras import CameraConfig


def make_video(path: Path, frames: int, fps: float, size: tuple[int, int] = (160, 120)) -> Path:
    """A small MPEG-4 file whose frame i has brightness 10 + 8*(i % 30) (to check order)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 10 + 8 * (i % 30), np.uint8))
    writer.release()
    return path


def brightness(frame: Frame) -> int:
    return round((float(frame.image.mean()) - 10) / 8)


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class Recorder:
    """Collects on_status snapshots (called from the reader thread)."""

    def __init__(self) -> None:
        self.statuses: list[CameraStatus] = []
        self._lock = threading.Lock()

    def __call__(self, status: CameraStatus) -> None:
        with self._lock:
            self.statuses.append(status)

    def states(self) -> list[CameraState]:
        with self._lock:
            return [s.state for s in self.statuses]


@pytest.fixture
def sources() -> Iterator[list[CameraSource]]:
    """Every source a test creates; all are stopped (and checked gone) afterwards."""
    created: list[CameraSource] = []
    yield created
    for src in created:
        src.stop(timeout=5.0)
        assert not src.is_alive(), "reader thread survived stop()"


def make_source(created: list[CameraSource], url: str | Path, **cfg: object) -> tuple[CameraSource, Recorder]:
    recorder = Recorder()
    src = CameraSource(CameraConfig(id="cam1", url=str(url), **cfg), on_status=recorder)  # type: ignore[arg-type]
    created.append(src)
    return src, recorder


def test_realtime_file_is_paced_at_its_native_fps(tmp_path: Path, sources: list[CameraSource]) -> None:
    video = make_video(tmp_path / "v.mp4", frames=30, fps=20)
    src, _ = make_source(sources, video, loop=True, realtime=True)
    src.start()
    first = src.wait_frame(0, timeout=5)
    assert first is not None
    last = first
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.5:
        frame = src.wait_frame(last.seq, timeout=1)
        assert frame is not None
        last = frame
    rate = (last.seq - first.seq) / (last.captured_at - first.captured_at)
    assert 16 <= rate <= 24, rate
    status = src.status()
    assert status.state is CameraState.LIVE
    assert status.source_fps == pytest.approx(20, abs=0.5)
    assert 15 <= status.fps <= 25
    assert (status.width, status.height) == (160, 120)


def test_consumer_paced_file_delivers_every_frame_in_order(tmp_path: Path, sources: list[CameraSource]) -> None:
    video = make_video(tmp_path / "v.mp4", frames=25, fps=10)
    src, rec = make_source(sources, video, loop=False, realtime=False)
    src.start()
    seen: list[Frame] = []
    while len(seen) < 25:
        frame = src.wait_frame(seen[-1].seq if seen else 0, timeout=5)
        assert frame is not None, f"stuck after {len(seen)} frames"
        seen.append(frame)
    assert [f.seq for f in seen] == list(range(1, 26))
    assert [brightness(f) for f in seen] == list(range(25))
    # The file ends: offline with a reason, and the thread finishes on its own.
    assert wait_until(lambda: not src.is_alive(), 5)
    status = src.status()
    assert status.state is CameraState.OFFLINE
    assert status.reason_code == "end_of_stream"
    assert rec.states() == [CameraState.LIVE, CameraState.OFFLINE]
    assert src.wait_frame(25, timeout=0.1) is None


def test_looping_file_continues_the_sequence(tmp_path: Path, sources: list[CameraSource]) -> None:
    video = make_video(tmp_path / "v.mp4", frames=10, fps=25)
    src, rec = make_source(sources, video, loop=True, realtime=False)
    src.start()
    seen: list[Frame] = []
    while len(seen) < 25:
        frame = src.wait_frame(seen[-1].seq if seen else 0, timeout=5)
        assert frame is not None
        seen.append(frame)
    assert [f.seq for f in seen] == list(range(1, 26))
    assert [brightness(f) for f in seen] == [i % 10 for i in range(25)]
    assert rec.states() == [CameraState.LIVE]  # a loop is not a state change
    assert src.status().disconnects == 0


def test_slow_consumer_gets_the_newest_frame(tmp_path: Path, sources: list[CameraSource]) -> None:
    video = make_video(tmp_path / "v.mp4", frames=50, fps=50)
    src, _ = make_source(sources, video, loop=True, realtime=True)
    src.start()
    frame = src.wait_frame(0, timeout=5)
    assert frame is not None
    gaps = []
    for _ in range(5):
        time.sleep(0.15)  # a slow stage on purpose: ~7 frames arrive meanwhile
        newer = src.wait_frame(frame.seq, timeout=2)
        assert newer is not None
        gaps.append(newer.seq - frame.seq)
        assert time.time() - newer.captured_at < 0.1  # fresh, not queued
        frame = newer
    assert min(gaps) >= 3, gaps
    assert src.latest() is not None and src.latest().seq >= frame.seq  # type: ignore[union-attr]


def test_frames_are_bgr_uint8_with_wall_clock_timestamps(asset, sources: list[CameraSource]) -> None:
    video = asset("videos/TUD-Campus.mp4")
    src, _ = make_source(sources, video, loop=False, realtime=False)
    before = time.time()
    src.start()
    frames = []
    while True:
        frame = src.wait_frame(frames[-1].seq if frames else 0, timeout=3)
        if frame is None:
            break
        frames.append(frame)
    assert len(frames) == 71  # every frame of the clip, exactly once
    assert all(f.image.shape == (480, 640, 3) and f.image.dtype == np.uint8 for f in frames)
    stamps = [f.captured_at for f in frames]
    assert stamps == sorted(stamps)
    assert before <= stamps[0] <= stamps[-1] <= time.time()
    assert len({id(f.image) for f in frames}) == 71  # the reader never reuses a buffer


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda d: d / "missing.mp4", "not_found"),
        (lambda d: d, "not_found"),
        (
            lambda d: (d / "junk.mp4").write_bytes(np.random.default_rng(0).bytes(5000)) and d / "junk.mp4",
            "unsupported_codec",
        ),
    ],
    ids=["missing", "directory", "junk"],
)
def test_file_errors_are_reported_and_final(
    tmp_path: Path, sources: list[CameraSource], make: Callable[[Path], Path], code: str
) -> None:
    src, rec = make_source(sources, make(tmp_path))
    src.start()
    assert wait_until(lambda: not src.is_alive(), 5), "a broken file must not be retried for ever"
    status = src.status()
    assert status.state is CameraState.ERROR
    assert status.reason_code == code
    assert status.reason and len(status.reason) > 15
    assert rec.states() == [CameraState.ERROR]


def test_bad_url_is_an_error_without_the_secret(sources: list[CameraSource]) -> None:
    src, rec = make_source(sources, "rtmp://owner:hunter22@cam/live")
    src.start()
    assert wait_until(lambda: not src.is_alive(), 5)
    status = src.status()
    assert (status.state, status.reason_code) == (CameraState.ERROR, "bad_url")
    assert "hunter22" not in json.dumps(status.to_dict())
    assert status.url == "rtmp://***@cam/live"
    assert rec.statuses and rec.statuses[-1].reason == status.reason


def test_lifecycle_guards(tmp_path: Path, sources: list[CameraSource]) -> None:
    video = make_video(tmp_path / "v.mp4", frames=5, fps=10)
    src, _ = make_source(sources, video, loop=True)
    src.stop()  # before start: harmless
    fresh, _ = make_source(sources, video, loop=True)
    assert fresh.status().state is CameraState.CONNECTING
    assert fresh.latest() is None
    fresh.start()
    with pytest.raises(Exception, match="already_started"):
        fresh.start()
    assert fresh.wait_frame(0, timeout=5) is not None
    fresh.stop(timeout=5)
    fresh.stop(timeout=5)
    assert not fresh.is_alive()
    assert fresh.wait_frame(0, timeout=0.1) is None  # stopped sources never block


def test_a_failing_status_callback_does_not_kill_the_reader(tmp_path: Path, sources: list[CameraSource]) -> None:
    def explode(status: CameraStatus) -> None:
        raise RuntimeError("consumer bug")

    video = make_video(tmp_path / "v.mp4", frames=5, fps=25)
    src = CameraSource(CameraConfig(id="cam1", url=str(video), loop=True, realtime=False), on_status=explode)
    sources.append(src)
    src.start()
    seq = 0
    for _ in range(12):
        frame = src.wait_frame(seq, timeout=5)
        assert frame is not None
        seq = frame.seq
    assert src.status().state is CameraState.LIVE
