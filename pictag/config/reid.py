"""Re-identification and identity settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pictag.config.base import ConfigModel


class ReidConfig(ConfigModel):
    """Appearance embeddings and identity matching."""

    enabled: bool = Field(default=True, description="Compute appearance embeddings and match identities across cameras/time.")
    type: Literal["openvino_crop"] = Field(default="openvino_crop", description="Embedder backend (registry key).")
    model: str = Field(
        default="intel/person-reidentification-retail-0287",
        description="Asset name or path of the re-id IR (input 1x3x256x128).",
    )
    precision: Literal["f32", "bf16"] = Field(default="f32", description="OpenVINO inference precision hint.")
    threshold: float = Field(default=0.5, ge=-1.0, le=1.0, description="Cosine similarity at or above which two appearances are the same person (see `pictag calibrate`).")
    min_box_height: int = Field(default=60, ge=8, le=4000, description="Smaller boxes give no embedding.")
    refresh_s: float = Field(default=1.0, ge=0.0, le=60.0, description="Seconds between embedding refreshes of one track.")
    prototypes: int = Field(default=4, ge=1, le=32, description="Diverse embedding prototypes kept per identity.")
    visit_gap_s: float = Field(default=600.0, gt=0.0, le=86400.0, description="A visit closes after this long without sightings.")
