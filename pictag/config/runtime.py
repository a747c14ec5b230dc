"""Ray runtime settings."""

from __future__ import annotations

from pydantic import Field

from pictag.config.base import ConfigModel


class RuntimeConfig(ConfigModel):
    """How the Ray runtime is started or joined."""

    address: str | None = Field(
        default=None, description="Ray cluster to join ('auto' or HOST:PORT); empty: start a local one."
    )
    object_store_mb: int = Field(default=512, ge=64, le=65536, description="Object store size of a local Ray runtime.")
    in_flight: int = Field(
        default=2, ge=1, le=16, description="Frames per camera in flight before new frames are skipped."
    )
    cameras_per_detector: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Cameras served by one detector actor; a node with more cameras gets more detectors.",
    )
    temp_dir: str | None = Field(default=None, description="Ray temp dir (short path; default /tmp/pictag-ray).")
    motion_gating: bool = Field(
        default=True,
        description=(
            "While a camera's tracker holds no track, send a frame to detection only when it moved "
            "against the last one sent (or every idle_keyframe_s); frames not sent are counted as idle."
        ),
    )
    motion_pixel_delta: int = Field(
        default=18, ge=1, le=255, description="Grey-level change of a thumbnail pixel that counts as changed."
    )
    motion_fraction: float = Field(
        default=0.002, ge=0.0, le=1.0, description="Share of changed thumbnail pixels that counts as motion."
    )
    idle_keyframe_s: float = Field(
        default=2.0, gt=0.0, le=60.0, description="While idle, still detect one frame this often (seconds)."
    )
