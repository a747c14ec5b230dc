"""The embedder contract: person boxes in a frame in, L2-normalised appearance vectors out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from pictag.detection.feature_maps import FeatureMaps

FloatArray = npt.NDArray[np.float32]
FrameArray = npt.NDArray[np.uint8]


@runtime_checkable
class Embedder(Protocol):
    """An appearance embedder chosen from `ReidConfig.type` through `pictag.reid.registry`.

    Two kinds exist: crop mode reads the frame's pixels (``feature_layers`` empty); joint mode
    reads the detector's own feature maps of ``feature_layers`` (the detector is then built to
    output them, and the frame's pixels are not needed).

    Implementations are stateless between calls (one instance may serve several cameras)
    and may be called from a worker thread.
    """

    #: Embedding length.
    dim: int

    @property
    def feature_layers(self) -> tuple[int, ...]:
        """Detector layers whose feature maps `embed` needs (empty: it reads pixels)."""
        ...

    def embed(self, frame: FrameArray, boxes_xyxy: FloatArray, features: FeatureMaps | None = None) -> FloatArray:
        """Embed the person boxes of one frame.

        Args:
            frame: ``(H, W, 3) uint8`` BGR image.
            boxes_xyxy: ``(n, 4) float32`` boxes in frame pixels (clipped to the frame).
            features: the detector's feature maps of this frame (joint mode needs them).

        Returns:
            ``(n, dim) float32`` L2-normalised embeddings, ``(0, dim)`` for no boxes; cosine
            similarity is their dot product.
        """
        ...


def l2_normalize(x: npt.ArrayLike, eps: float = 1e-12) -> FloatArray:
    """Rows scaled to unit length (an all-zero row stays zero instead of becoming NaN)."""
    arr = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(arr, axis=-1, keepdims=True)
    out: FloatArray = (arr / np.maximum(norm, eps)).astype(np.float32)
    return out
