"""Embedder backends by `ReidConfig.type`: an explicit dict, no import magic."""

from __future__ import annotations

from collections.abc import Callable

from pictag.config.reid import ReidConfig
from pictag.errors import ConfigError
from pictag.reid.base import Embedder
from pictag.reid.model_files import resolve_model_file
from pictag.reid.openvino_embedder import OpenVINOCropEmbedder


def _openvino_crop(config: ReidConfig, assets_dir: str | None) -> Embedder:
    path = resolve_model_file(config.model, config.precision, assets_dir)
    return OpenVINOCropEmbedder(
        path,
        input_format=config.input_format,
        precision=config.precision,
        device=config.device,
        num_threads=config.num_threads,
        num_requests=config.num_requests,
    )


#: Backend constructors keyed by `ReidConfig.type`.
EMBEDDERS: dict[str, Callable[[ReidConfig, str | None], Embedder]] = {
    "openvino_crop": _openvino_crop,
}


def build_embedder(config: ReidConfig, assets_dir: str | None = None) -> Embedder:
    """Build the embedder the configuration names.

    Args:
        config: the ``reid`` section.
        assets_dir: the configured assets directory (searched before ``$PICTAG_ASSETS``).

    Raises:
        ConfigError: unknown backend type.
        AssetError: the model file is missing.
        ModelError: the model's inputs/outputs do not fit a crop embedder.
    """
    try:
        factory = EMBEDDERS[config.type]
    except KeyError:
        raise ConfigError(f"reid.type={config.type!r} has no backend (known: {', '.join(EMBEDDERS)})") from None
    return factory(config, assets_dir)
