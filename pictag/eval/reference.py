"""The reference tracker for `pictag eval track`: Ultralytics' BYTETracker on our detections.

Ultralytics is an optional, training-only dependency (``pip install 'pictag[train]'``)
and AGPL like our YOLO weights. It is loaded by name at evaluation time only —
never by the runtime — which is also why this module imports it through
``importlib`` (the layout test forbids static imports of training libraries in
``pictag/``). Its default ``bytetrack.yaml`` settings are used unchanged, as a user
of ``model.track(tracker="bytetrack.yaml")`` would get them.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt

from pictag.detections import Detections
from pictag.errors import EvaluationError

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install the training extra (pip install 'pictag[train]'), or at least "
    "pip install --no-deps ultralytics && "
    "pip install lap polars pillow matplotlib ultralytics-thop "
    "next to the CPU torch"
)

#: Ultralytics' cfg/trackers/bytetrack.yaml (8.x).
BYTETRACK_DEFAULTS: dict[str, Any] = {
    "tracker_type": "bytetrack",
    "track_high_thresh": 0.25,
    "track_low_thresh": 0.1,
    "new_track_thresh": 0.25,
    "track_buffer": 30,
    "match_thresh": 0.8,
    "fuse_score": True,
}


class ReferenceUnavailable(EvaluationError):
    """Ultralytics or a dependency of its tracker is missing; the message says how to fix it."""


@dataclass(frozen=True)
class _Boxes:
    """The slice of Ultralytics' ``Boxes`` API its tracker reads (numpy, boolean-indexable)."""

    xyxy: npt.NDArray[np.float32]
    conf: npt.NDArray[np.float32]
    cls: npt.NDArray[np.float32]

    @property
    def xywh(self) -> npt.NDArray[np.float32]:
        wh = self.xyxy[:, 2:] - self.xyxy[:, :2]
        return np.concatenate([self.xyxy[:, :2] + wh / 2, wh], axis=1)

    def __len__(self) -> int:
        return int(self.conf.shape[0])

    def __getitem__(self, index: Any) -> _Boxes:
        return _Boxes(self.xyxy[index], self.conf[index], self.cls[index])


def _import_tracker_class() -> tuple[type[Any], str]:
    """``(BYTETracker, ultralytics version)``.

    Raises:
        ReferenceUnavailable: with the import error and the install hint.
    """
    # Quiet and offline: no settings banner, no pip auto-update attempts for `lap`.
    os.environ.setdefault("YOLO_VERBOSE", "False")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    try:
        # The one torchvision workaround of the project (the training code uses it too).
        from pictag.models.torchvision_stub import ensure_torchvision

        if ensure_torchvision():
            log.debug("torchvision unusable: PicTag's NMS-only stand-in serves Ultralytics' import")
        module = importlib.import_module("ultralytics.trackers.byte_tracker")
        version = str(importlib.import_module("ultralytics").__version__)
    except Exception as err:  # noqa: BLE001 - any import failure means "not available"
        raise ReferenceUnavailable(
            f"Ultralytics BYTETracker is not importable ({type(err).__name__}: {err}); {INSTALL_HINT}"
        ) from None
    return module.BYTETracker, version


class UltralyticsByteTrack:
    """Ultralytics' BYTETracker behind the same ``update(detections, timestamp)`` call as ours.

    Its lost-track buffer counts frames (``track_buffer``), not seconds; ``timestamp``
    is ignored.
    """

    def __init__(self, **overrides: Any) -> None:
        """Build the tracker with Ultralytics' defaults, optionally overridden.

        Raises:
            ReferenceUnavailable: Ultralytics cannot be imported.
        """
        cls, self.version = _import_tracker_class()
        self.settings = {**BYTETRACK_DEFAULTS, **overrides}
        self._tracker = cls(SimpleNamespace(**self.settings))

    @property
    def name(self) -> str:
        """Label for tables."""
        return f"ultralytics {self.version} BYTETracker"

    def reset(self) -> None:
        """Drop every track and restart ids."""
        self._tracker.reset()

    def update(self, detections: Detections, timestamp: float) -> Detections:
        """Track one frame; active tracks with Kalman-state boxes, as Ultralytics reports them."""
        del timestamp
        boxes = _Boxes(
            detections.xyxy.astype(np.float32),
            detections.confidence.astype(np.float32),
            detections.class_id.astype(np.float32),
        )
        out = np.asarray(self._tracker.update(boxes), dtype=np.float64).reshape(-1, 8)
        return Detections(
            xyxy=out[:, :4].astype(np.float32),
            confidence=out[:, 5].astype(np.float32),
            class_id=out[:, 6].astype(np.int64),
            track_id=out[:, 4].astype(np.int64),
        )
