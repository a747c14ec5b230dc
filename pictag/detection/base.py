"""The detector backend interface every detection stage codes against."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from pictag.detection.feature_maps import FeatureMaps
from pictag.detections import Detections


@dataclass(frozen=True)
class DetectorOutput:
    """Everything one inference gives: the detections and, for joint re-id, feature maps.

    Attributes:
        detections: boxes in frame pixels.
        features: the layers the detector was built to expose (None when it exposes none).
    """

    detections: Detections
    features: FeatureMaps | None = None


#: Receives the detections of one submitted frame, or the exception that prevented them.
DetectionCallback = Callable[[Detections | BaseException], None]
#: Receives the whole output of one submitted frame, or the exception that prevented it.
OutputCallback = Callable[[DetectorOutput | BaseException], None]


@runtime_checkable
class Detector(Protocol):
    """A person (object) detector working on BGR frames.

    Attributes:
        input_size: side of the square network input in pixels.
        class_names: class index -> name for every class the model knows.
    """

    input_size: int
    class_names: dict[int, str]

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        """Detect synchronously in one ``(h, w, 3) uint8`` BGR frame; boxes in frame pixels."""
        ...

    def submit(self, frame: npt.NDArray[np.uint8], callback: DetectionCallback) -> None:
        """Start detection and return; ``callback`` runs on a backend thread when done.

        Blocks only while every inference request is busy (bounded by one inference).
        """
        ...

    def detect_full(self, frame: npt.NDArray[np.uint8]) -> DetectorOutput:
        """`detect`, with the feature maps the detector was built to expose."""
        ...

    def submit_full(self, frame: npt.NDArray[np.uint8], callback: OutputCallback) -> None:
        """`submit`, with the feature maps the detector was built to expose."""
        ...

    def wait_all(self) -> None:
        """Block until every submitted frame's callback has run."""
        ...
