"""`CameraSource`: one reader thread per camera that keeps only the newest frame.

State machine (``on_status`` fires on every change of state or reason)::

    connecting ──first frame──▶ live ──no frame for stall_timeout_s──▶ stalled ─┐
        │                        │ ──stream closed / read error──────────────┐ │
        │                        ▼                                           ▼ ▼
        │                      live ◀──first frame── reconnecting ◀──────────────
        │                                              │ (back-off with jitter, capped;
        ▼                                              ▼  after offline_after_s:)
    offline / error  ◀─────────────────────────────  offline / error  (still retrying)

``error`` means a person must act (bad URL, wrong password, wrong path, codec);
``offline`` may heal by itself (refused, unreachable, timeout, end of a file).
Network sources keep retrying in both; a bad URL and file problems do not.

Why a thread that keeps only the newest frame: a consumer slower than the camera
would otherwise fall further and further behind (FFmpeg buffers), seeing frames
seconds old. Every ``read`` has a timeout, so the thread can always be stopped.

File sources: ``loop`` restarts at the end; ``realtime`` paces frames at the file's
frame rate like a live camera. Without ``realtime`` the reader is paced by its
consumer: it decodes the next frame only after `wait_frame` has handed out the
current one, so evaluations see every frame in order and nothing is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import cv2
import numpy as np

from pictag.capture import reasons
from pictag.capture.backoff import Backoff, ReconnectPolicy
from pictag.capture.opencv_io import open_capture, source_fps
from pictag.capture.probe import diagnose, probe_network
from pictag.capture.reasons import Failure
from pictag.capture.types import CameraState, CameraStatus, Frame
from pictag.capture.url import SourceKind, SourceSpec, parse_source_url
from pictag.config.cameras import CameraConfig
from pictag.errors import CameraError
from pictag.redaction import redact_url, scrub, url_secrets

log = logging.getLogger(__name__)

StatusCallback = Callable[[CameraStatus], None]
_FPS_WINDOW = 50
_FALLBACK_FILE_FPS = 25.0
_PROBE_TIMEOUT_S = 2.0  # per step of the failure diagnosis (connect, DESCRIBE)
_STALL_FRACTION = 0.9  # a read lasting this share of the read timeout counts as timed out
_LOG_LEVEL = {
    CameraState.LIVE: logging.INFO,
    CameraState.CONNECTING: logging.INFO,
    CameraState.RECONNECTING: logging.WARNING,
    CameraState.STALLED: logging.WARNING,
    CameraState.OFFLINE: logging.WARNING,
    CameraState.ERROR: logging.ERROR,
}


class _Stopped(Exception):
    """Internal: `stop()` was requested while the reader waited."""


class CameraSource:
    """Decode one camera (or file / device) on a background thread.

    Args:
        config: The camera's configuration (URL, transport, timeouts, loop/realtime).
        on_status: Called from the reader thread with a fresh `CameraStatus` whenever the
            state or reason changes; exceptions it raises are logged and ignored.
        policy: Reconnect timing (defaults: 0.5 s doubling to 4 s, ±20 % jitter).
    """

    def __init__(
        self,
        config: CameraConfig,
        on_status: StatusCallback | None = None,
        *,
        policy: ReconnectPolicy | None = None,
    ) -> None:
        self._config = config
        self._on_status = on_status
        self._policy = policy or ReconnectPolicy()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._spec: SourceSpec | None = None
        self._bad_url: Failure | None = None
        try:
            self._spec = parse_source_url(config.url, config.id)
            self._secrets = list(self._spec.secrets)
        except CameraError as err:
            self._secrets = url_secrets(config.url)
            self._bad_url = Failure(reasons.BAD_URL, self._scrub(str(err).split(": ", 1)[-1]), retry=False)
        self._url_shown = self._spec.redacted if self._spec else redact_url(config.url)
        # Everything below is guarded by self._cond.
        self._frame: Frame | None = None
        self._handed_out = 0
        self._state = CameraState.CONNECTING
        self._reason: Failure | None = None
        self._since = time.time()
        self._decoded = 0
        self._disconnects = 0
        self._reconnects = 0
        self._failed_attempts = 0
        self._source_fps = 0.0
        self._shape = (0, 0)
        self._frame_times: deque[float] = deque(maxlen=_FPS_WINDOW)

    # ----------------------------------------------------------------- public API
    @property
    def camera_id(self) -> str:
        """The configured camera id."""
        return self._config.id

    def start(self) -> None:
        """Start the reader thread (returns at once; opening happens on the thread).

        Raises:
            CameraError: The source was already started.
        """
        if self._thread is not None:
            raise CameraError(f"camera={self.camera_id} reason=already_started: create a new CameraSource")
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.camera_id}", daemon=True)
        self._thread.start()

    def wait_frame(self, after_seq: int, timeout: float) -> Frame | None:
        """The newest frame with ``seq > after_seq``, waiting up to ``timeout`` seconds.

        Returns None on timeout or when the source is stopped.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._stop.is_set():
                frame = self._frame
                if frame is not None and frame.seq > after_seq:
                    if frame.seq > self._handed_out:
                        self._handed_out = frame.seq
                        self._cond.notify_all()
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
        return None

    def latest(self) -> Frame | None:
        """The newest decoded frame (possibly one already seen), or None before the first."""
        with self._cond:
            return self._frame

    def status(self) -> CameraStatus:
        """A snapshot of state, reason and counters."""
        with self._cond:
            return self._snapshot_locked()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the reader to finish and wait for it.

        A reader blocked in a network read returns within ``read_timeout_s`` (or
        ``open_timeout_s`` while opening); pass a ``timeout`` above that to be sure
        the thread is gone. Safe to call more than once, and before `start`.
        """
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning(
                    "camera=%s reader thread still busy %.1f s after stop()",
                    self.camera_id,
                    timeout,
                )

    def is_alive(self) -> bool:
        """True while the reader thread runs."""
        return self._thread is not None and self._thread.is_alive()

    # --------------------------------------------------------------- reader thread
    def _run(self) -> None:
        try:
            if self._bad_url is not None or self._spec is None:
                self._set_state(CameraState.ERROR, self._bad_url)
                return
            self._loop(self._spec)
        except _Stopped:
            pass
        except Exception:  # a bug must not kill the process silently; report it as status
            log.exception("camera=%s reader thread crashed", self.camera_id)
            self._set_state(
                CameraState.ERROR,
                Failure(reasons.OPEN_FAILED, "internal error in the reader; see the log"),
            )

    def _loop(self, spec: SourceSpec) -> None:
        backoff = Backoff(self._policy)
        lost_at: float | None = None  # when the stream was last lost; None before the first frame
        while True:  # leaves by return or by _Stopped from _open/_sleep
            cap = self._open(spec)
            if isinstance(cap, Failure):
                self._record_failed_open(cap, lost_at)
                if not cap.retry:
                    return
                self._sleep(backoff.next_delay())
                continue
            try:
                outcome, got_frames = self._pump(spec, cap, reconnected=lost_at is not None)
            finally:
                cap.release()
            if outcome is None:
                return
            if outcome.code == reasons.END_OF_STREAM and self._config.loop:
                continue  # looping file: reopen at once (seeking is unreliable in some containers)
            if not got_frames:  # opened, then failed before the first frame: a failed attempt
                if spec.is_network:  # e.g. an audio-only stream: ask the server what is wrong
                    outcome = probe_network(spec, _PROBE_TIMEOUT_S) or outcome
                self._record_failed_open(outcome, lost_at)
                if not outcome.retry:
                    return
                self._sleep(backoff.next_delay())
                continue
            backoff.reset()
            if not outcome.retry:  # a file that ended (or turned undecodable)
                self._set_state(outcome.state, outcome)
                return
            lost_at = time.time()
            with self._cond:
                self._disconnects += 1
            self._set_state(CameraState.RECONNECTING, outcome)
            self._sleep(backoff.next_delay())

    def _open(self, spec: SourceSpec) -> cv2.VideoCapture | Failure:
        cfg = self._config
        started = time.monotonic()
        cap = open_capture(
            spec,
            transport=cfg.transport,
            open_timeout_s=cfg.open_timeout_s,
            read_timeout_s=min(cfg.read_timeout_s, cfg.stall_timeout_s),
            decode_threads=self._policy.decode_threads if spec.is_network else 0,
        )
        if self._stop.is_set():
            if cap is not None:
                cap.release()
            raise _Stopped
        if cap is None:
            timed_out = time.monotonic() - started >= _STALL_FRACTION * cfg.open_timeout_s
            failure = diagnose(spec, timeout_s=min(_PROBE_TIMEOUT_S, cfg.open_timeout_s), open_timed_out=timed_out)
            if self._stop.is_set():
                raise _Stopped
            return failure
        with self._cond:
            self._source_fps = source_fps(cap)
        return cap

    def _record_failed_open(self, failure: Failure, lost_at: float | None) -> None:
        with self._cond:
            self._failed_attempts += 1
        if lost_at is not None and failure.state is CameraState.OFFLINE:
            if time.time() - lost_at < self._policy.offline_after_s:
                self._set_state(CameraState.RECONNECTING, failure)
                return
        self._set_state(failure.state, failure)

    def _pump(self, spec: SourceSpec, cap: cv2.VideoCapture, *, reconnected: bool) -> tuple[Failure | None, bool]:
        """Read frames until the stream fails or stop(); returns (failure or None, got frames)."""
        got_frames = False
        is_file = spec.kind is SourceKind.FILE
        pace = self._config.realtime and is_file
        period = 1.0 / (self._source_fps or _FALLBACK_FILE_FPS)
        due = time.monotonic()
        read_timeout = min(self._config.read_timeout_s, self._config.stall_timeout_s)
        while not self._stop.is_set():
            if is_file and not pace:
                self._wait_handed_out()
            started = time.monotonic()
            ok, image = cap.read()
            waited = time.monotonic() - started
            # A read that used up its timeout means a stall, even when FFmpeg then hands
            # out a frame still held in its decoder: that frame is old, and each next read
            # would wait the whole timeout again.
            timed_out = not is_file and waited >= _STALL_FRACTION * read_timeout
            if timed_out or not ok or image is None:
                if self._stop.is_set():
                    return None, got_frames
                if is_file:
                    return self._file_ended(spec, got_frames), got_frames
                return self._read_failure(waited, read_timeout, got_frames), got_frames
            if pace:
                due = self._pace(due, period)
            self._publish(_as_bgr(image))
            if not got_frames:
                got_frames = True
                self._went_live(reconnected=reconnected)
        return None, got_frames

    def _pace(self, due: float, period: float) -> float:
        """Sleep until the frame's due time; returns the next frame's due time."""
        due += period
        lag = due - time.monotonic()
        if lag > 0:
            self._sleep(lag)
        elif lag < -2 * period:  # fell behind (slow disk/CPU): do not burst to catch up
            due = time.monotonic()
        return due

    def _went_live(self, *, reconnected: bool) -> None:
        if reconnected:
            with self._cond:
                self._reconnects += 1
        self._set_state(CameraState.LIVE, None)

    def _file_ended(self, spec: SourceSpec, got_frames: bool) -> Failure:
        if not got_frames:
            return Failure(reasons.UNSUPPORTED_CODEC, f"{spec.redacted} gave no decodable frame", retry=False)
        return Failure(reasons.END_OF_STREAM, f"file {spec.redacted} finished (loop is off)", retry=False)

    def _read_failure(self, waited: float, read_timeout: float, got_frames: bool) -> Failure:
        with self._cond:
            last = self._frame.captured_at if self._frame else None
        silent_for = time.time() - last if (last is not None and got_frames) else waited
        if waited >= _STALL_FRACTION * read_timeout:
            if got_frames:
                self._set_state(
                    CameraState.STALLED,
                    Failure(reasons.STALLED, f"no frame for {silent_for:.1f} s; reconnecting"),
                )
            return Failure(
                reasons.STALLED if got_frames else reasons.TIMEOUT,
                f"no frame for {silent_for:.1f} s",
            )
        if got_frames:
            return Failure(reasons.STREAM_LOST, "the server closed the stream or the network dropped")
        return Failure(reasons.STREAM_LOST, "the stream opened but delivered no frame")

    def _publish(self, image: np.ndarray) -> None:
        now = time.time()
        with self._cond:
            self._decoded += 1
            self._frame = Frame(image=image, seq=self._decoded, captured_at=now)
            self._frame_times.append(time.monotonic())
            self._shape = (int(image.shape[1]), int(image.shape[0]))
            self._cond.notify_all()

    def _wait_handed_out(self) -> None:
        with self._cond:
            while not self._stop.is_set() and self._frame is not None and self._handed_out < self._frame.seq:
                self._cond.wait(0.5)

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopped

    # ------------------------------------------------------------------ state
    def _set_state(self, state: CameraState, failure: Failure | None) -> None:
        code = failure.code if failure else None
        with self._cond:
            if state is self._state and code == (self._reason.code if self._reason else None):
                self._reason = failure  # same situation, fresher wording
                return
            self._state = state
            self._reason = failure
            self._since = time.time()
            snapshot = self._snapshot_locked()
            self._cond.notify_all()
        log.log(
            _LOG_LEVEL[state],
            "camera=%s url=%s state=%s reason=%s",
            self.camera_id,
            self._url_shown,
            state.value,
            snapshot.reason or "-",
        )
        if self._on_status is not None:
            try:
                self._on_status(snapshot)
            except Exception:
                log.exception("camera=%s on_status callback failed", self.camera_id)

    def _snapshot_locked(self) -> CameraStatus:
        last = self._frame.captured_at if self._frame else None
        return CameraStatus(
            camera_id=self.camera_id,
            url=self._url_shown,
            state=self._state,
            reason_code=self._reason.code if self._reason else None,
            reason=self._scrub(self._reason.text) if self._reason else None,
            since=self._since,
            frames_decoded=self._decoded,
            disconnects=self._disconnects,
            reconnects=self._reconnects,
            failed_attempts=self._failed_attempts,
            last_frame_at=last,
            fps=self._measured_fps_locked(),
            source_fps=self._source_fps,
            width=self._shape[0],
            height=self._shape[1],
        )

    def _measured_fps_locked(self) -> float:
        times = self._frame_times
        if len(times) < 2:  # noqa: PLR2004
            return 0.0
        span = times[-1] - times[0]
        if span <= 0 or time.monotonic() - times[-1] > max(2.0, 3 * span / (len(times) - 1)):
            return 0.0
        return round((len(times) - 1) / span, 2)

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Every frame leaves as HxWx3 uint8 BGR, whatever the decoder produced."""
    if image.ndim == 2:  # noqa: PLR2004
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:  # noqa: PLR2004
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image
