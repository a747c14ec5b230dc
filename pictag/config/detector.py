"""Detector configuration (YOLO in OpenVINO IR by default)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pictag.config.base import ConfigModel


class DetectorConfig(ConfigModel):
    """Person detector settings."""

    type: Literal["yolo_openvino"] = Field(default="yolo_openvino", description="Detector backend (registry key).")
    model: str = Field(
        default="yolo11n_int8_openvino_model",
        description="Asset name under the assets directory, or a path to an Ultralytics OpenVINO export folder / .xml.",
    )
    precision: Literal["f32", "bf16", "int8"] = Field(
        default="int8",
        description=(
            "f32/bf16: OpenVINO inference precision hint for a float IR; int8: the IR must be "
            "NNCF-quantised (its remaining float ops run in f32)."
        ),
    )
    input_size: int = Field(
        default=640,
        ge=96,
        le=1920,
        description="Network input size in pixels (multiple of 32): the square side, or with rect the longer side.",
    )
    rect: bool = Field(
        default=False,
        description=(
            "Fit the input to each camera's aspect ratio (sides rounded up to the model stride) instead of a "
            "padded square: a 4:3 camera at 640 needs 640x480, 16:9 640x384 — 25-40 % less detector work, "
            "but tracking IDF1 on PETS09/TUD fell 3-4 points with the tracker tuned on square inputs "
            "(docs/benchmarks.md), so it is off by default."
        ),
    )
    confidence: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Lowest box score kept (the tracker uses low scores too)."
    )
    iou: float = Field(default=0.5, gt=0.0, le=1.0, description="NMS IoU threshold.")
    classes: list[str | int] = Field(
        default_factory=lambda: list[str | int](["person"]), min_length=1, description="Class names or indices kept."
    )
    max_detections: int = Field(default=300, ge=1, le=3000, description="Boxes kept per frame after NMS.")
    device: str = Field(default="CPU", description="OpenVINO device.")
    num_requests: int = Field(default=2, ge=1, le=16, description="Parallel async inference requests.")
    num_threads: int = Field(default=0, ge=0, le=256, description="OpenVINO CPU threads (0: OpenVINO decides).")

    @field_validator("input_size")
    @classmethod
    def _multiple_of_32(cls, value: int) -> int:
        if value % 32:
            raise ValueError(f"input_size must be a multiple of 32 (YOLO stride), got {value}")
        return value
