"""The messages the pipeline stages pass to each other, defined once and flowing forward only.

    capture ──FrameRef──▶ detector + tracking (+ joint re-id) ──TrackSummaries──▶ identity
                              └──(crop mode: frame + boxes)──▶ embedder ──embeddings──┘

- `FrameRef`: one captured frame, by reference. The pixels stay in the node's object store;
  the reference is opaque here (``pictag/`` knows no Ray) and resolved only where pixels are
  needed (detection, crop embedding, previews).
- `StageTimings`: when each stage touched the frame; every stage returns a stamped copy, so
  the identity stage can split the capture→event latency without anyone mutating a dict.
- `FrameTracks`: what the tracker says about one frame of one camera.
- `TrackSummaries`: what reaches the identity stage — the frame's tracks plus the appearances
  (`TrackAppearance`) that changed in this frame; never pixels, never a frame reference.
- `FrameOutcome`: what the detector stage answers the capture actor for a frame (done,
  dropped, failed) and how many tracks are live, which motion gating needs.
- `SummarySink`: the one interface a stage uses to hand summaries on.

All messages are frozen: a message handed to another actor cannot change under its feet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Generic, Protocol, TypeVar

from pictag.detections import Detections
from pictag.identity.appearance import TrackAppearance

R = TypeVar("R")


@dataclass(frozen=True)
class StageTimings:
    """Wall-clock stamps (epoch seconds) of one frame's way through the stages.

    Attributes:
        captured_at: when the camera source decoded the frame.
        sent_at: when the capture actor handed it to detection.
        detect_start, detect_end: the detector's inference (after the latest-wins slot).
        track_end: tracking (and joint re-id) done.
        embed_end: crop embeddings done (crop mode only).
    """

    captured_at: float
    sent_at: float | None = None
    detect_start: float | None = None
    detect_end: float | None = None
    track_end: float | None = None
    embed_end: float | None = None

    def stamped(self, **stamps: float) -> StageTimings:
        """A copy with more stamps set."""
        return replace(self, **stamps)

    def durations_ms(self) -> dict[str, float]:
        """Per-stage milliseconds for the stamps that are set.

        ``queue_ms`` is capture → detection start (the in-flight window and the mailbox),
        ``detect_ms`` the inference, ``track_ms`` tracking (+ joint re-id), ``embed_ms`` the
        crop embedder round trip.
        """
        spans = (
            ("queue_ms", self.captured_at, self.detect_start),
            ("detect_ms", self.detect_start, self.detect_end),
            ("track_ms", self.detect_end, self.track_end),
            ("embed_ms", self.track_end, self.embed_end),
        )
        return {name: (end - start) * 1000.0 for name, start, end in spans if start is not None and end is not None}


@dataclass(frozen=True)
class FrameRef(Generic[R]):
    """One captured frame, by reference to its pixels.

    Attributes:
        camera_id: the camera it came from.
        seq: the source's frame counter (increasing per camera; gaps are skipped frames).
        image: a handle of the ``(H, W, 3) uint8`` BGR frame in the object store.
        shape: the frame's shape, known without resolving ``image``.
        timings: stamps so far (``captured_at``, ``sent_at``).
    """

    camera_id: str
    seq: int
    image: R
    shape: tuple[int, ...]
    timings: StageTimings

    @property
    def captured_at(self) -> float:
        """When the frame was decoded."""
        return self.timings.captured_at


@dataclass(frozen=True)
class FrameTracks:
    """What the tracker reports for one frame of one camera.

    Attributes:
        camera_id: the camera.
        captured_at: capture time of the frame (the tracker's clock).
        tracks: confirmed tracks matched in this frame (detection boxes, ``track_id`` set).
        started: track ids confirmed in this frame.
        ended: track ids the tracker gave up in this frame (or in frames dropped before it).
        seq: the frame's sequence number (0 where frames are not numbered, e.g. evaluation).
        epoch: which tracker instance numbered the tracks. A new epoch (the detector actor was
            restarted, the camera re-created) means track ids started over: the identity stage
            closes the old epoch's sessions, which would otherwise never see their end.
    """

    camera_id: str
    captured_at: float
    tracks: Detections
    started: tuple[int, ...] = ()
    ended: tuple[int, ...] = ()
    seq: int = 0
    epoch: str = ""


@dataclass(frozen=True)
class TrackSummaries:
    """One frame's tracks for the identity stage, with the appearances refreshed in it.

    Attributes:
        frame: the tracker's report.
        appearance: track id → aggregated appearance, for tracks whose appearance changed
            in this frame (empty with re-identification off, and on most frames).
        timings: the frame's stage stamps.
    """

    frame: FrameTracks
    appearance: Mapping[int, TrackAppearance] = field(default_factory=dict)
    timings: StageTimings | None = None

    @property
    def camera_id(self) -> str:
        """The camera."""
        return self.frame.camera_id

    @property
    def captured_at(self) -> float:
        """Capture time of the frame."""
        return self.frame.captured_at


class Outcome(str, Enum):
    """What became of a frame sent to the detector stage."""

    DONE = "done"
    DROPPED = "dropped"
    FAILED = "failed"


@dataclass(frozen=True)
class FrameOutcome:
    """The detector stage's answer to the capture actor for one frame.

    Attributes:
        outcome: detected, replaced by a newer frame while waiting, or failed.
        live_tracks: tracks (tentative, confirmed or lost) the camera's tracker holds after
            this frame; 0 lets the capture actor gate frames on motion.
    """

    outcome: Outcome
    live_tracks: int = 0


class SummarySink(Protocol):
    """Where a stage hands its `TrackSummaries` on (the identity stage, or a test/eval collector).

    Summaries of one camera arrive in capture order; a batch may mix cameras.
    """

    def send(self, batch: Sequence[TrackSummaries]) -> None:
        """Hand a batch on without waiting for it to be processed."""
        ...
