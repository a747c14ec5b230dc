"""What a camera node does with each frame's detections: track, and decide what to embed.

One `NodeTracker` lives in each detector actor and serves that actor's cameras: a
`ByteTracker` per camera, and the node's `AppearanceAggregator` (which tracks need an
embedding now — good crops only, warm-up then refresh — and each track's aggregated look).
It is plain Python; the actor around it owns the async plumbing, and `pictag eval identity`
and the baseline loop run the same policy in process.

Per frame, `step` returns the tracker's `FrameTracks`, the rows due for an embedding and
the number of live tracks (motion gating). Embeddings, from joint mode right away or from
the crop embedder later, go back through `add_embeddings` in frame order; `release` then
forgets the tracks the tracker ended.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pictag.config.identity import IdentityConfig
from pictag.config.reid import ReidConfig
from pictag.config.tracking import TrackingConfig
from pictag.detections import Detections
from pictag.identity.appearance import AppearanceAggregator, TrackAppearance
from pictag.messages import FrameTracks
from pictag.tracking import ByteTracker

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TrackStep:
    """The tracking result of one frame and what it asks of re-identification.

    Attributes:
        frame: the tracker's report for the frame.
        due: ``(n,)`` rows of ``frame.tracks`` to embed now (all False with re-id off).
        live_tracks: tracks the camera's tracker holds after this frame (lost ones included).
    """

    frame: FrameTracks
    due: BoolArray
    live_tracks: int


class NodeTracker:
    """Trackers and appearance state of the cameras of one node (see the module docstring).

    Args:
        tracking: tracker settings.
        reid: re-identification settings with a numeric threshold, or None when re-id is off.
        identity: identity settings (warm-up crops).
    """

    def __init__(
        self, tracking: TrackingConfig, reid: ReidConfig | None = None, identity: IdentityConfig | None = None
    ) -> None:
        self._tracking = tracking
        self._trackers: dict[str, ByteTracker] = {}
        self._epochs: dict[str, str] = {}
        self.appearance = (
            AppearanceAggregator.from_config(reid, identity) if reid is not None and reid.enabled else None
        )

    def step(
        self, camera_id: str, seq: int, captured_at: float, detections: Detections, frame_shape: tuple[int, ...]
    ) -> TrackStep:
        """Track one frame of one camera and pick the tracks to embed."""
        tracker = self._trackers.get(camera_id)
        if tracker is None:
            tracker = self._trackers[camera_id] = ByteTracker(self._tracking)
            self._epochs[camera_id] = secrets.token_hex(4)
        result = tracker.update(detections, captured_at)
        frame = FrameTracks(
            camera_id=camera_id,
            captured_at=captured_at,
            tracks=result.tracks,
            started=tuple(result.started),
            ended=tuple(result.ended),
            seq=seq,
            epoch=self._epochs[camera_id],
        )
        if self.appearance is None or len(result.tracks) == 0:
            due = np.zeros(len(result.tracks), dtype=bool)
        else:
            due = self.appearance.select(camera_id, result.tracks, frame_shape, captured_at)
        return TrackStep(frame, due, tracker.track_count)

    def mark_sent(self, camera_id: str, track_ids: npt.ArrayLike, ts: float) -> None:
        """These tracks' crops went to an embedder in another process (results come frames later)."""
        if self.appearance is not None:
            self.appearance.mark_tried(camera_id, track_ids, ts)

    def add_embeddings(
        self, camera_id: str, track_ids: npt.ArrayLike, embeddings: npt.ArrayLike, ts: float
    ) -> dict[int, TrackAppearance]:
        """Fold a frame's embeddings into its tracks (in frame order); the appearances that changed."""
        if self.appearance is None:
            return {}
        return self.appearance.add(camera_id, track_ids, embeddings, ts)

    def release(self, camera_id: str, ended: tuple[int, ...]) -> None:
        """Forget the appearance of tracks that ended (after their last embeddings were added)."""
        if self.appearance is not None and ended:
            self.appearance.end(camera_id, ended)

    def live_tracks(self, camera_id: str) -> int:
        """Tracks the camera's tracker holds now."""
        tracker = self._trackers.get(camera_id)
        return 0 if tracker is None else tracker.track_count

    def set_outlier_similarity(self, threshold: float) -> None:
        """A new match threshold (live settings) is also the crop-outlier cut-off."""
        if self.appearance is not None:
            self.appearance.outlier_similarity = threshold

    def forget(self, camera_id: str) -> None:
        """Drop a removed camera's tracker and appearance state."""
        self._trackers.pop(camera_id, None)
        self._epochs.pop(camera_id, None)
        if self.appearance is not None:
            self.appearance.forget_camera(camera_id)
