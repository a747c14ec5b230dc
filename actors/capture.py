"""CaptureActor: one per camera. Decodes, samples at the analysis fps, and sends frames on.

The camera source's reader thread keeps only the newest decoded frame. A pump
thread here takes a frame at most ``analysis_fps`` times a second, puts it in
the object store (this actor owns it: frames never pass through a driver) and
hands the ref to the node's detector as a `FrameRef`. At most ``in_flight`` frames may be
outstanding: when the window is full the frame is skipped and counted, never
queued, so a slow detector costs freshness of nothing but the skipped frames.

Motion gating (``runtime.motion_gating``): the detector's answer to each frame says how many
tracks the camera's tracker holds; while it holds none, a frame that did not move against
the last one sent is not sent at all and is counted as ``idle`` (`pictag.capture.motion`).

Opening hours (``site.analyse_when_closed: false``): while the site is closed no frame is sent
at all; each sampled frame is counted as ``closed`` (`pictag.footfall.gate`), apart from skips.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import ray

from pictag import events as ev
from pictag.actors.handles import ControllerHandle, DetectorHandle
from pictag.capture import CameraSource, CameraStatus, Frame
from pictag.capture.motion import MotionGate, MotionSettings
from pictag.config import CameraConfig
from pictag.config.runtime import RuntimeConfig
from pictag.config.site import SiteConfig
from pictag.flow import InFlightWindow
from pictag.footfall.gate import OpenHoursGate
from pictag.footfall.hours import OpeningHours
from pictag.messages import FrameOutcome, FrameRef, StageTimings

log = logging.getLogger(__name__)

#: While the detector is down, one frame per this many seconds still goes to find out it is back.
STAGE_PROBE_S = 1.0


def _ray_done(pending: list[Any]) -> list[Any]:
    done, _ = ray.wait(pending, num_returns=len(pending), timeout=0)
    return done


def status_event(camera: CameraConfig, status: CameraStatus) -> ev.Event:
    """A ``camera.status`` event (secret-free) for a state change."""
    return ev.CameraStatusChanged(
        camera_id=camera.id,
        name=camera.display_name,
        status=status.state.value,
        reason_code=status.reason_code,
        reason=status.reason,
        since=ev.iso(status.since),
    ).to_json()


@ray.remote(num_cpus=0, max_restarts=0)
class CaptureActor:
    """Owns one camera source, its sampling clock and its in-flight window."""

    def __init__(
        self,
        camera: CameraConfig,
        detector: DetectorHandle,
        controller: ControllerHandle,
        runtime: RuntimeConfig | None = None,
        *,
        site: SiteConfig | None = None,
    ) -> None:
        runtime = runtime or RuntimeConfig()
        self._camera = camera
        self._detector = detector
        self._controller = controller
        self._window: InFlightWindow[Any] = InFlightWindow(runtime.in_flight, self._collect)
        self._gate = (
            MotionGate(MotionSettings(runtime.motion_pixel_delta, runtime.motion_fraction, runtime.idle_keyframe_s))
            if runtime.motion_gating
            else None
        )
        self._live_tracks = 1  # until the detector has answered, assume someone may be there
        self._detector_down = False
        self._last_probe = 0.0
        self._sent = 0
        self._skipped = 0
        self._idle = 0
        self._stage_down = 0
        self._closed = 0
        self._hours = (
            OpenHoursGate(OpeningHours.from_config(site)) if site is not None and not site.analyse_when_closed else None
        )
        self._frame_size: tuple[int, int] | None = None
        self._stop = threading.Event()
        self._source = CameraSource(camera, on_status=self._on_status)
        self._pump = threading.Thread(target=self._run, name=f"pump-{camera.id}", daemon=True)
        self._source.start()
        self._pump.start()

    def _on_status(self, status: CameraStatus) -> None:
        # Called from the reader thread on every state change; the controller
        # keeps the current status and republishes it as an event.
        try:
            self._controller.report_status.remote(self._camera.id, status_event(self._camera, status))
        except Exception:  # the controller restarting must not kill the reader
            log.debug("camera=%s status report failed", self._camera.id)

    def _run(self) -> None:
        period = 1.0 / self._camera.analysis_fps
        last_seq = 0
        next_due = time.monotonic()
        while not self._stop.is_set():
            # Sample at the analysis rate: sleep until the next slot, then take the
            # newest frame (the source keeps only the newest one).
            delay = next_due - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            frame = self._source.wait_frame(last_seq, timeout=0.5)
            if frame is None:
                continue
            last_seq = frame.seq
            next_due = max(next_due + period, time.monotonic() - period)
            self._send(frame)

    def _collect(self, pending: list[Any]) -> list[Any]:
        """Finished detector calls (for the window); the newest answer's live-track count is kept."""
        done = _ray_done(pending)
        for ref in done:
            try:
                outcome: FrameOutcome = ray.get(ref, timeout=0)
            except ray.exceptions.RayActorError:  # the detector is dead or restarting
                self._detector_down = True
                self._live_tracks = 1
                continue
            except Exception:  # a failed call: assume someone may be there
                self._live_tracks = 1
                continue
            self._detector_down = False
            self._live_tracks = outcome.live_tracks
        return done

    def _send(self, frame: Frame) -> None:
        self._frame_size = (int(frame.image.shape[1]), int(frame.image.shape[0]))
        if self._hours is not None and not self._hours.is_open(frame.captured_at):
            self._closed += 1
            return
        if not self._window.has_room():
            self._skipped += 1
            return
        if self._detector_down:
            # Frames for a dead stage are counted and dropped here (no object-store copy); one
            # a second still goes, to notice when Ray has restarted the actor.
            now = time.monotonic()
            if now - self._last_probe < STAGE_PROBE_S:
                self._stage_down += 1
                return
            self._last_probe = now
        if self._gate is not None and not self._gate.should_detect(frame.image, frame.captured_at, self._live_tracks):
            self._idle += 1
            return
        ref = ray.put(frame.image)
        message = FrameRef(
            camera_id=self._camera.id,
            seq=frame.seq,
            image=ref,
            shape=tuple(frame.image.shape),
            timings=StageTimings(captured_at=frame.captured_at, sent_at=time.time()),
        )
        self._window.add(self._detector.process.remote(message))
        self._sent += 1

    def stats(self) -> dict[str, Any]:
        """Counters and status of this camera (secret-free)."""
        status = self._source.status()
        return {
            "id": self._camera.id,
            "status": status.state.value,
            "reason": status.reason,
            "reason_code": status.reason_code,
            "since": status.since,
            "decoded": status.frames_decoded,
            "reconnects": status.reconnects,
            "decode_fps": status.fps,
            "last_frame_at": status.last_frame_at,
            "sent": self._sent,
            "skipped": self._skipped,
            "idle": self._idle,
            "stage_down": self._stage_down,
            "closed": self._closed,
            "frame_size": self._frame_size,
            "in_flight": self._window.pending,
            "node_id": ray.get_runtime_context().get_node_id(),
        }

    def set_detector(self, detector: DetectorHandle) -> None:
        """The controller re-created this camera's detector: send frames there from now on."""
        self._detector = detector
        self._detector_down = False

    def stop(self) -> None:
        """Stop the pump and the reader; the actor can then be killed."""
        self._stop.set()
        self._pump.join(timeout=5.0)
        self._source.stop(timeout=5.0)
