"""Detector backends by ``DetectorConfig.type``: an explicit dict, no import magic."""

from __future__ import annotations

from collections.abc import Callable

from pictag import assets
from pictag.config.detector import DetectorConfig
from pictag.detection.base import Detector
from pictag.detection.yolo import YoloOpenVINODetector
from pictag.errors import ConfigError


def _yolo_openvino(config: DetectorConfig, assets_dir: str | None, feature_layers: tuple[int, ...]) -> Detector:
    return YoloOpenVINODetector(assets.resolve(config.model, assets_dir), config, feature_layers=feature_layers)


#: Backend factories, keyed by ``DetectorConfig.type``: (config, assets dir, feature layers) → detector.
DETECTORS: dict[str, Callable[[DetectorConfig, str | None, tuple[int, ...]], Detector]] = {
    "yolo_openvino": _yolo_openvino,
}


def build_detector(
    config: DetectorConfig, assets_dir: str | None = None, feature_layers: tuple[int, ...] = ()
) -> Detector:
    """Build the detector the configuration names, its model found through `pictag.assets.resolve`.

    ``feature_layers``: backbone layers whose maps every inference also returns (joint re-id).

    Raises:
        ConfigError: an unknown ``type``.
        AssetError: the model is not in the assets directories.
        ModelError: the model does not fit the configuration.
    """
    try:
        factory = DETECTORS[config.type]
    except KeyError:
        raise ConfigError(f"unknown detector type={config.type!r} (known: {sorted(DETECTORS)})") from None
    return factory(config, assets_dir, tuple(feature_layers))
