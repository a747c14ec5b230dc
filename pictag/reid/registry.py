"""Embedder backends by `ReidConfig.type`: an explicit dict, no import magic."""

from __future__ import annotations

from collections.abc import Callable

from pictag.config.detector import DetectorConfig
from pictag.config.reid import ReidConfig
from pictag.detection.base import Detector
from pictag.detection.registry import build_detector
from pictag.errors import ConfigError
from pictag.reid.base import Embedder
from pictag.reid.joint import JointEmbedder
from pictag.reid.model_files import resolve_model_file
from pictag.reid.openvino_embedder import OpenVINOCropEmbedder


def _openvino_crop(config: ReidConfig, assets_dir: str | None, detector: DetectorConfig) -> Embedder:
    path = resolve_model_file(config.model_name, config.precision, assets_dir)
    return OpenVINOCropEmbedder(
        path,
        input_format=config.input_format,
        precision=config.precision,
        device=config.device,
        num_threads=config.num_threads,
        num_requests=config.num_requests,
    )


def _joint(config: ReidConfig, assets_dir: str | None, detector: DetectorConfig) -> Embedder:
    path = resolve_model_file(config.model_name, "f32", assets_dir)
    sync = detector.model_copy(update={"num_requests": 1})

    def factory(layers: tuple[int, ...]) -> Detector:
        return build_detector(sync, assets_dir, feature_layers=layers)

    return JointEmbedder(path, input_size=detector.input_size, detector_factory=factory)


#: Backend constructors keyed by `ReidConfig.type`: (reid, assets dir, detector settings) → embedder.
EMBEDDERS: dict[str, Callable[[ReidConfig, str | None, DetectorConfig], Embedder]] = {
    "openvino_crop": _openvino_crop,
    "joint": _joint,
}


def build_embedder(
    config: ReidConfig, assets_dir: str | None = None, detector: DetectorConfig | None = None
) -> Embedder:
    """Build the embedder the configuration names.

    Args:
        config: the ``reid`` section.
        assets_dir: the configured assets directory (searched before ``$PICTAG_ASSETS``).
        detector: the ``detector`` section: joint mode pools from that detector's maps (its input
            size must match the model's) and, called without maps, runs it to get them.

    Raises:
        ConfigError: unknown backend type.
        AssetError: the model file is missing.
        ModelError: the model's inputs/outputs do not fit the backend.
    """
    try:
        factory = EMBEDDERS[config.type]
    except KeyError:
        raise ConfigError(f"reid.type={config.type!r} has no backend (known: {', '.join(EMBEDDERS)})") from None
    return factory(config, assets_dir, detector or DetectorConfig())
