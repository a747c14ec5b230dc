"""Person detection backends (YOLO on OpenVINO).

Use `build_detector(config.detector, assets_dir)` and code against the
`Detector` protocol; the maths modules (`letterbox`, `nms`, `decode`) are pure
and reusable on their own.
"""

from pictag.detection.base import DetectionCallback, Detector
from pictag.detection.decode import decode_yolo
from pictag.detection.letterbox import Letterbox, fit, letterbox
from pictag.detection.nms import nms
from pictag.detection.registry import DETECTORS, build_detector
from pictag.detection.yolo import YoloOpenVINODetector

__all__ = [
    "DETECTORS",
    "DetectionCallback",
    "Detector",
    "Letterbox",
    "YoloOpenVINODetector",
    "build_detector",
    "decode_yolo",
    "fit",
    "letterbox",
    "nms",
]
