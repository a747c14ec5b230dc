"""Opening OpenCV captures safely: timeouts, per-camera RTSP transport, quiet logs.

Three process-wide OpenCV facts are handled here, in one place:

* **Logging.** FFmpeg and OpenCV print to stderr on their own, outside Python's
  logging, and their lines can hold the stream URL. `configure_opencv_logging`
  sets ``OPENCV_FFMPEG_LOGLEVEL=-8`` (AV_LOG_QUIET; read once, when OpenCV's FFmpeg
  backend registers, i.e. before the first capture is opened in the process) and
  lowers OpenCV's own log level to ERROR (``cv2.utils.logging.setLogLevel``). Both
  respect values the user set in the environment (``OPENCV_FFMPEG_LOGLEVEL``,
  ``OPENCV_LOG_LEVEL``), e.g. for debugging — at the price of URLs on stderr.
  Failures are diagnosed by `pictag.capture.probe` instead of FFmpeg's text.
* **Transport.** OpenCV reads ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` (``rtsp_transport;udp``)
  from the environment in every FFmpeg open; unset means TCP. Cameras with different
  transports in one process must not open at the same time: `_TransportGate` lets
  opens with the same transport run together and makes the other kind wait.
* **Timeouts.** Network captures get ``CAP_PROP_OPEN_TIMEOUT_MSEC`` and
  ``CAP_PROP_READ_TIMEOUT_MSEC``, so no open or read blocks for ever (a frozen
  server otherwise blocks ``read()`` indefinitely).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import cv2

from pictag.capture.url import SourceKind, SourceSpec

Transport = Literal["tcp", "udp"]
CAPTURE_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_FFMPEG_QUIET = "-8"
_logging_lock = threading.Lock()
_logging_done = False


def configure_opencv_logging() -> None:
    """Keep FFmpeg/OpenCV from printing stream URLs to stderr (idempotent, process-wide).

    Call before the first ``cv2.VideoCapture`` of the process; later calls are no-ops.
    """
    global _logging_done  # noqa: PLW0603 - one-time process setting, by nature global
    with _logging_lock:
        if _logging_done:
            return
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", _FFMPEG_QUIET)
        if "OPENCV_LOG_LEVEL" not in os.environ:
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        _logging_done = True


class _TransportGate:
    """Admit concurrent opens that need the same ``OPENCV_FFMPEG_CAPTURE_OPTIONS``.

    The environment variable is set by the first open of a group and restored by
    the last one; an open wanting another transport waits until the group is done.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active: Transport | None = None
        self._count = 0
        self._saved: str | None = None

    @contextmanager
    def hold(self, transport: Transport) -> Iterator[None]:
        with self._cond:
            while self._count and self._active != transport:
                self._cond.wait()
            if self._count == 0:
                self._active = transport
                self._saved = os.environ.get(CAPTURE_OPTIONS_ENV)
                os.environ[CAPTURE_OPTIONS_ENV] = f"rtsp_transport;{transport}"
            self._count += 1
        try:
            yield
        finally:
            with self._cond:
                self._count -= 1
                if self._count == 0:
                    if self._saved is None:
                        os.environ.pop(CAPTURE_OPTIONS_ENV, None)
                    else:
                        os.environ[CAPTURE_OPTIONS_ENV] = self._saved
                    self._active = None
                    self._cond.notify_all()


_GATE = _TransportGate()


def open_capture(
    spec: SourceSpec,
    *,
    transport: Transport = "tcp",
    open_timeout_s: float = 5.0,
    read_timeout_s: float = 5.0,
    decode_threads: int = 0,
) -> cv2.VideoCapture | None:
    """Open ``spec`` with OpenCV; None when it cannot be opened (diagnose with the probe).

    Args:
        spec: Parsed source.
        transport: RTSP transport (ignored for other kinds).
        open_timeout_s: Network sources: give up opening after this long.
        read_timeout_s: Network sources: a ``read()`` fails after this long without data.
        decode_threads: FFmpeg decoder threads, 0 = OpenCV's default (one per core).
            Frame threading delays each frame by threads-1 frame times; live streams
            of modest resolution decode best with 1.
    """
    configure_opencv_logging()
    if spec.kind is SourceKind.DEVICE:
        cap = cv2.VideoCapture(int(spec.target), cv2.CAP_ANY)
        return _opened_or_none(cap)
    params: list[int] = []
    if spec.is_network:
        params += [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            max(1, round(open_timeout_s * 1000)),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            max(1, round(read_timeout_s * 1000)),
        ]
    if decode_threads > 0:
        params += [cv2.CAP_PROP_N_THREADS, decode_threads]
    if spec.is_rtsp:
        with _GATE.hold(transport):
            cap = cv2.VideoCapture(str(spec.target), cv2.CAP_FFMPEG, params)
    else:
        cap = cv2.VideoCapture(str(spec.target), cv2.CAP_FFMPEG, params)
    return _opened_or_none(cap)


def _opened_or_none(cap: cv2.VideoCapture) -> cv2.VideoCapture | None:
    if cap.isOpened():
        return cap
    cap.release()
    return None


def source_fps(cap: cv2.VideoCapture) -> float:
    """The frame rate the container/stream announces; 0.0 when it is missing or absurd."""
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    return fps if 0.5 <= fps <= 240.0 else 0.0  # noqa: PLR2004
