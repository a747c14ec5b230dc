"""Per-track appearance on the camera's node: which tracks to embed now, and their aggregate.

A track is embedded only from *good* crops (`pictag.reid.CropQuality`: tall enough, not cut by
the frame edge, a confident detection, little overlap with other boxes) and not on every
frame: a new track is embedded on consecutive frames until it has ``warmup_crops`` accepted
crops (so the identity stage can decide soon), then once every ``refresh_s`` while it lives.
Accepted embeddings are aggregated into a normalised mean and a few diverse prototypes
(`TrackAppearance`), which is what travels to the identity stage — never pixels.

Once a track has its warm-up crops, a new embedding that looks like someone else (cosine to
the track's mean below ``outlier_similarity``, the calibrated match threshold) is rejected:
it is an occlusion, a bad crop or a tracker identity switch, and must not pull the track's
appearance towards another person. When ``switch_crops`` consecutive crops are rejected
*and agree with each other* (pairwise above the same similarity), the tracker has most
likely jumped to another person: the track's appearance starts over from those crops and
its ``generation`` goes up, which tells the identity stage to close the track's session and
decide the new person on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pictag.config.identity import IdentityConfig
from pictag.config.reid import ReidConfig
from pictag.detections import Detections
from pictag.identity.prototypes import merge_prototypes
from pictag.reid.base import l2_normalize
from pictag.reid.crops import CropQuality

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TrackAppearance:
    """The aggregated look of one track (what the identity stage matches).

    Attributes:
        mean: ``(d,) float32`` L2-normalised mean of the accepted crop embeddings.
        prototypes: ``(k, d) float32`` diverse accepted embeddings (`select_diverse`).
        crops: accepted crops so far.
        rejected: crops rejected as outliers.
        updated_at: capture time of the newest accepted crop.
        generation: 0, then +1 each time the track's appearance started over (tracker switch).
    """

    mean: FloatArray
    prototypes: FloatArray
    crops: int
    rejected: int
    updated_at: float
    generation: int = 0


@dataclass
class _TrackState:
    total: npt.NDArray[np.float64]
    prototypes: FloatArray
    crops: int = 0
    rejected: int = 0
    last_try: float = -np.inf
    updated_at: float = 0.0
    generation: int = 0
    suspects: list[FloatArray] = field(default_factory=list)

    def snapshot(self) -> TrackAppearance:
        mean = l2_normalize(self.total[None, :])[0]
        return TrackAppearance(
            mean,
            self.prototypes.copy(),
            self.crops,
            self.rejected,
            self.updated_at,
            self.generation,
        )

    def accept(self, e: FloatArray, ts: float, k: int) -> None:
        self.total += e
        self.crops += 1
        self.updated_at = ts
        self.prototypes = merge_prototypes(self.prototypes, e[None, :], k)


@dataclass
class AppearanceAggregator:
    """Appearance state of every live track of the cameras of one node.

    Attributes:
        quality: which boxes are good enough to embed.
        refresh_s: seconds between embeddings of a warmed-up track.
        warmup_crops: accepted crops a new track collects on consecutive frames.
        prototypes: diverse prototypes kept per track.
        outlier_similarity: after warm-up, crops less similar than this to the mean are rejected.
        switch_crops: consecutive, mutually similar rejected crops that restart the appearance
            (0 disables).
    """

    quality: CropQuality
    refresh_s: float = 1.0
    warmup_crops: int = 3
    prototypes: int = 4
    outlier_similarity: float = 0.5
    switch_crops: int = 2
    _tracks: dict[tuple[str, int], _TrackState] = field(default_factory=dict)

    @classmethod
    def from_config(cls, reid: ReidConfig, identity: IdentityConfig | None = None) -> AppearanceAggregator:
        """The node-side policy of the configuration: crop quality, warm-up, refresh, outliers.

        The outlier cut-off is the match threshold, so ``reid.threshold`` must be a number here.
        """
        return cls(
            CropQuality.from_config(reid),
            refresh_s=reid.refresh_s,
            warmup_crops=(identity or IdentityConfig()).min_crops,
            prototypes=reid.prototypes,
            outlier_similarity=reid.numeric_threshold(),
        )

    def select(self, camera_id: str, tracks: Detections, frame_shape: tuple[int, ...], ts: float) -> BoolArray:
        """Rows of ``tracks`` to embed now: due for a (re)fresh and a good crop, ``(n,)`` bool.

        Quality is judged against every track box of the frame (overlap between people).
        """
        due = self.due(camera_id, tracks.track_id, ts)
        if not due.any():
            return due
        return due & self.quality.mask(tracks.xyxy, tracks.confidence, frame_shape)

    def due(self, camera_id: str, track_ids: npt.ArrayLike, ts: float) -> BoolArray:
        """Tracks wanting an embedding at ``ts``: new, warming up, or due after ``refresh_s``."""
        ids = np.asarray(track_ids, dtype=np.int64).reshape(-1)
        out = np.ones(ids.shape[0], dtype=bool)
        for i, tid in enumerate(ids.tolist()):
            state = self._tracks.get((camera_id, tid))
            if state is not None and state.crops >= self.warmup_crops and not state.suspects:
                out[i] = ts - state.last_try >= self.refresh_s
        return out

    def mark_tried(self, camera_id: str, track_ids: npt.ArrayLike, ts: float) -> None:
        """Record that these tracks' crops were sent for embedding at ``ts``.

        With an embedder in another process, results arrive a few frames later; without this
        mark every frame in between would find a warmed-up track still due and embed it again.
        Tracks still warming up (no state yet) stay due on consecutive frames, as intended.
        """
        for tid in np.asarray(track_ids, dtype=np.int64).reshape(-1).tolist():
            state = self._tracks.get((camera_id, tid))
            if state is not None:
                state.last_try = ts

    def add(
        self, camera_id: str, track_ids: npt.ArrayLike, embeddings: npt.ArrayLike, ts: float
    ) -> dict[int, TrackAppearance]:
        """Fold fresh crop embeddings into their tracks; return the updated appearances.

        Args:
            track_ids: ``(m,)`` tracks the rows belong to.
            embeddings: ``(m, d)`` L2-normalised crop embeddings.
            ts: capture time of the frame.
        """
        ids = np.asarray(track_ids, dtype=np.int64).reshape(-1)
        emb = np.asarray(embeddings, dtype=np.float32).reshape(ids.shape[0], -1)
        out: dict[int, TrackAppearance] = {}
        for tid, e in zip(ids.tolist(), emb, strict=True):
            if not np.isfinite(e).all():
                continue
            key = (camera_id, tid)
            state = self._tracks.get(key)
            if state is None:
                state = self._tracks[key] = _TrackState(
                    np.zeros(e.shape[0], np.float64), np.zeros((0, e.shape[0]), np.float32)
                )
            state.last_try = ts
            if state.crops >= self.warmup_crops:
                mean = l2_normalize(state.total[None, :])[0]
                if float(mean @ e) < self.outlier_similarity:
                    state.rejected += 1
                    if self._switched(state, e):
                        state = self._tracks[key] = self._restart(state, ts)
                        out[tid] = state.snapshot()
                    continue
            state.suspects.clear()
            state.accept(e, ts, self.prototypes)
            out[tid] = state.snapshot()
        return out

    def _switched(self, state: _TrackState, e: FloatArray) -> bool:
        """Keep a rejected crop as a suspect; True once enough suspects agree with each other."""
        if self.switch_crops <= 0:
            return False
        if state.suspects and float(np.min(np.stack(state.suspects) @ e)) < self.outlier_similarity:
            state.suspects.clear()  # suspects that disagree are just bad crops
        state.suspects.append(e)
        return len(state.suspects) >= self.switch_crops

    def _restart(self, old: _TrackState, ts: float) -> _TrackState:
        """A new appearance (next generation) built from the agreeing suspects."""
        dim = old.total.shape[0]
        new = _TrackState(
            np.zeros(dim, np.float64),
            np.zeros((0, dim), np.float32),
            last_try=ts,
            generation=old.generation + 1,
        )
        for e in old.suspects:
            new.accept(e, ts, self.prototypes)
        return new

    def appearance(self, camera_id: str, track_id: int) -> TrackAppearance | None:
        """The current aggregate of a track, if it has any accepted crop."""
        state = self._tracks.get((camera_id, track_id))
        return None if state is None or state.crops == 0 else state.snapshot()

    def end(self, camera_id: str, track_ids: npt.ArrayLike) -> None:
        """Forget tracks the tracker ended."""
        for tid in np.asarray(track_ids, dtype=np.int64).reshape(-1).tolist():
            self._tracks.pop((camera_id, tid), None)

    def forget_camera(self, camera_id: str) -> None:
        """Drop every track of a camera (removed or restarted)."""
        for key in [k for k in self._tracks if k[0] == camera_id]:
            del self._tracks[key]

    def live_tracks(self, camera_id: str | None = None) -> int:
        """Tracks with appearance state (all cameras, or one)."""
        if camera_id is None:
            return len(self._tracks)
        return sum(1 for cam, _ in self._tracks if cam == camera_id)
