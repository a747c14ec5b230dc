"""EmbedderActor: a separate re-identification model run on person crops (``reid.type: openvino_crop``).

It is a plain model stage of one node: the detector actor sends a frame reference and the
boxes of the tracks that are due, and gets their embeddings back. Ray resolves the frame from
the node's object store before the call runs (zero-copy on the same node); the appearance
state, the schedule and the ordering live in the detector actor, so frames without a due
track never come here at all. With ``reid.type: joint`` no embedder actor exists.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import ray

from pictag.config import DetectorConfig, ReidConfig
from pictag.reid import build_embedder
from pictag.stats import RollingPercentiles

log = logging.getLogger(__name__)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class EmbedderActor:
    """Crop embedder of one node: ``embed(frame, boxes) -> (n, d)`` L2-normalised embeddings."""

    def __init__(self, config: ReidConfig, assets_dir: str | None, detector: DetectorConfig | None = None) -> None:
        self._embedder = build_embedder(config, assets_dir, detector)
        self._calls = 0
        self._crops = 0
        self._ms = RollingPercentiles()

    def embed(self, frame: npt.NDArray[np.uint8], boxes_xyxy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Embeddings of the boxes (frame pixels) of one frame."""
        start = time.perf_counter()
        out = self._embedder.embed(frame, boxes_xyxy)
        self._ms.add((time.perf_counter() - start) * 1000.0)
        self._calls += 1
        self._crops += len(boxes_xyxy)
        return out

    def stats(self) -> dict[str, Any]:
        """Calls, crops and per-call milliseconds."""
        return {"calls": self._calls, "crops": self._crops, "embed_ms": self._ms.percentiles((50, 95))}
