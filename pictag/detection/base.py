"""The detector backend interface every detection stage codes against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from pictag.detections import Detections

#: Receives the detections of one submitted frame, or the exception that prevented them.
DetectionCallback = Callable[[Detections | BaseException], None]


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

    def wait_all(self) -> None:
        """Block until every submitted frame's callback has run."""
        ...
