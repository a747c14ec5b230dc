"""Re-identification at run time: crop embedders (OpenVINO) and crop quality checks.

Call `build_embedder(config.reid)` for an `Embedder`; `CropQuality.from_config(...).mask(...)`
picks the boxes worth embedding.
"""

from pictag.reid.base import Embedder, l2_normalize
from pictag.reid.crops import CropQuality, extract_crops
from pictag.reid.registry import EMBEDDERS, build_embedder

__all__ = [
    "EMBEDDERS",
    "CropQuality",
    "Embedder",
    "build_embedder",
    "extract_crops",
    "l2_normalize",
]
