"""Re-identification and identity settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pictag.config.base import ConfigModel

#: How a model expects its input pixels: ``bgr255`` (OMZ: BGR, 0..255), ``rgb_imagenet``
#: (torchreid / OSNet: RGB, ImageNet mean/std), ``rgb01`` (Ultralytics YOLO: RGB / 255),
#: ``auto`` (read ``pictag_input_format`` from the IR's rt_info; ONNX files are taken as
#: ``rgb_imagenet``, everything else as ``bgr255``).
InputFormat = Literal["auto", "bgr255", "rgb_imagenet", "rgb01"]

#: The model each backend uses when ``reid.model`` is ``auto``.
DEFAULT_MODELS = {
    "openvino_crop": "intel/person-reidentification-retail-0287",
    "joint": "pictag/reid-joint",
}


class ReidConfig(ConfigModel):
    """Appearance embeddings and identity matching."""

    enabled: bool = Field(
        default=True,
        description="Compute appearance embeddings and match identities across cameras/time.",
    )
    type: Literal["openvino_crop", "joint"] = Field(
        default="openvino_crop",
        description=(
            "Embedder backend (registry key). openvino_crop: a separate model run on each person crop "
            "(its own actor); joint: a small head on the detector's own feature maps, computed inside the "
            "detector actor (no second pass over pixels)."
        ),
    )
    model: str = Field(
        default="auto",
        description=(
            "Asset name or path of the re-id model: an OMZ folder (the precision sub-folder is "
            "picked from `precision`), an IR .xml, an ONNX file, or a model shipped with PicTag "
            "(pictag/NAME). auto: OMZ person-reidentification-retail-0287 for openvino_crop, "
            "pictag/reid-joint for joint."
        ),
    )
    precision: Literal["f32", "bf16", "int8"] = Field(
        default="f32",
        description=(
            "f32/bf16: OpenVINO inference precision hint; int8: load the model's INT8 IR "
            "(FP16-INT8 folder), its remaining float ops in f32."
        ),
    )
    input_format: InputFormat = Field(
        default="auto", description="Pixel layout the model expects (auto: from the model file)."
    )
    device: str = Field(default="CPU", description="OpenVINO device for the embedder.")
    num_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="OpenVINO CPU threads (0: OpenVINO decides).",
    )
    num_requests: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Parallel inference streams; the crops of a frame are spread over them.",
    )
    threshold: float | Literal["auto"] = Field(
        default="auto",
        description=(
            "Cosine similarity at or above which two appearances are the same person. auto: the model's "
            "own calibrated threshold (a `pictag calibrate` sidecar next to the model file, the IR's "
            "pictag_threshold, or PicTag's shipped calibration of the model); a model without one is "
            "refused at start: run `pictag calibrate` or set a number (-1..1)."
        ),
    )
    min_box_height: int = Field(default=60, ge=8, le=4000, description="Smaller boxes give no embedding.")
    min_crop_confidence: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Lowest detector score of an embedded box.",
    )
    max_crop_overlap: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="Largest fraction of a box another box may cover (occlusion).",
    )
    edge_margin_px: int = Field(
        default=2,
        ge=0,
        le=200,
        description="A box closer than this to the border counts as cut by it.",
    )
    refresh_s: float = Field(
        default=1.0,
        ge=0.0,
        le=60.0,
        description="Seconds between embedding refreshes of a track.",
    )
    prototypes: int = Field(default=4, ge=1, le=32, description="Diverse embedding prototypes kept per identity.")

    @field_validator("threshold")
    @classmethod
    def _threshold_range(cls, value: float | str) -> float | str:
        if isinstance(value, float) and not -1.0 <= value <= 1.0:
            raise ValueError(f"threshold must be between -1 and 1 (or auto), got {value}")
        return value

    @property
    def model_name(self) -> str:
        """The model to load: ``model``, or the backend's default when it is ``auto``."""
        return DEFAULT_MODELS[self.type] if self.model == "auto" else self.model

    def numeric_threshold(self) -> float:
        """The threshold as a number.

        Raises:
            ValueError: still ``auto`` (resolve it with `pictag.reid.threshold.resolve_reid`).
        """
        if isinstance(self.threshold, str):
            raise ValueError("reid.threshold is 'auto': resolve it against the model first")
        return self.threshold

    visit_gap_s: float = Field(
        default=600.0,
        gt=0.0,
        le=86400.0,
        description="A visit closes after this long unseen.",
    )
