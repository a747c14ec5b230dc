"""The camera state machine against a real RTSP server that is killed, restarted and frozen."""

from __future__ import annotations

import threading
import time

from pictag.capture import CameraState
from pictag.simulate.server import RtspSimulator
from tests.rtsp.camera_helpers import CameraFactory


def test_live_stream_delivers_fresh_frames(rtsp_server: RtspSimulator, camera: CameraFactory) -> None:
    started = time.monotonic()
    src, log = camera(rtsp_server.url("/cam"))
    log.wait_for(CameraState.LIVE, timeout=10)
    open_time = time.monotonic() - started
    frame = src.wait_frame(0, timeout=5)
    assert frame is not None
    assert frame.image.shape == (480, 640, 3)
    # Right after the open FFmpeg hands out the frames it buffered while probing: skip that burst.
    while time.monotonic() - started < open_time + 1.0:
        frame = src.wait_frame(frame.seq, timeout=2) or frame
    first = frame
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        newer = src.wait_frame(frame.seq, timeout=2)
        assert newer is not None
        frame = newer
    assert time.time() - frame.captured_at < 0.5
    rate = (frame.seq - first.seq) / (frame.captured_at - first.captured_at)
    assert 18 <= rate <= 32, f"decoded {rate:.1f} fps from a 25 fps camera"
    status = src.status()
    assert status.state is CameraState.LIVE and status.reason is None
    assert status.url == rtsp_server.url("/cam")
    print(f"RTSP open → first frame: {open_time:.2f} s; {rate:.1f} fps")


def test_killed_server_is_reconnected_after_restart(rtsp_server: RtspSimulator, camera: CameraFactory) -> None:
    src, log = camera(rtsp_server.url("/cam"))
    log.wait_for(CameraState.LIVE, timeout=10)
    rtsp_server.kill()
    lost = log.wait_for(CameraState.RECONNECTING, timeout=5, after=1)
    assert lost.reason_code in ("stream_lost", "stalled", "refused")
    # While the server is down the reason says why the camera cannot reconnect.
    down = log.wait_for(CameraState.RECONNECTING, timeout=5, after=len(log))
    assert down.reason_code in ("refused", "stream_lost"), down
    seq_before = src.latest().seq  # type: ignore[union-attr]
    restarted = time.monotonic()
    rtsp_server.restart()
    back = log.wait_for(CameraState.LIVE, timeout=10, after=2)
    recovery = time.monotonic() - restarted
    frame = src.wait_frame(seq_before, timeout=5)
    assert frame is not None and frame.seq > seq_before
    status = src.status()
    assert (status.disconnects, status.reconnects) == (1, 1)
    assert status.failed_attempts >= 1
    assert back.reason is None
    states = log.states()
    assert states[0] is CameraState.LIVE and states[-1] is CameraState.LIVE
    assert CameraState.RECONNECTING in states
    print(f"recovery after restart: {recovery:.2f} s; states {[s.value for s in states]}")


def test_frozen_server_stalls_then_recovers(rtsp_server: RtspSimulator, camera: CameraFactory) -> None:
    src, log = camera(rtsp_server.url("/cam"))
    log.wait_for(CameraState.LIVE, timeout=10)
    rtsp_server.freeze()
    frozen_at = time.monotonic()
    stalled = log.wait_for(CameraState.STALLED, timeout=3.0 + 2.0, after=1)
    stall_delay = time.monotonic() - frozen_at
    assert stalled.reason_code == "stalled"
    # A camera added while the server hangs must not block either: it can be stopped.
    other, _ = camera(rtsp_server.url("/cam"))
    time.sleep(1.0)
    stop_started = time.monotonic()
    other.stop(timeout=8.0)
    assert not other.is_alive()
    stop_time = time.monotonic() - stop_started
    # Keep the server frozen for 20 s in all.
    while time.monotonic() - frozen_at < 20.0:
        time.sleep(0.2)
    assert src.status().state is not CameraState.LIVE
    n = len(log)
    rtsp_server.resume()
    resumed = time.monotonic()
    log.wait_for(CameraState.LIVE, timeout=15, after=n)
    recovery = time.monotonic() - resumed
    assert src.wait_frame(src.latest().seq, timeout=5) is not None  # type: ignore[union-attr]
    assert src.status().reconnects == 1
    threads = [t.name for t in threading.enumerate() if t.name.startswith("camera-")]
    assert threads == [f"camera-{src.camera_id}"], threads
    print(
        f"stalled {stall_delay:.2f} s after freeze; stop() of a blocked source {stop_time:.2f} s; "
        f"live {recovery:.2f} s after SIGCONT; states {[s.value for s in log.states()]}"
    )
