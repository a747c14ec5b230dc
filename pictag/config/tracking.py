"""Tracker configuration (ByteTrack-class association)."""

from __future__ import annotations

from pydantic import Field

from pictag.config.base import ConfigModel


class TrackingConfig(ConfigModel):
    """Per-camera multi-object tracker settings."""

    high_threshold: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Detections at or above this score take part in the first association.",
    )
    low_threshold: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Detections between this and high_threshold only extend existing tracks.",
    )
    new_track_threshold: float = Field(
        default=0.6, ge=0.0, le=1.0, description="Lowest score that may start a new track."
    )
    match_iou: float = Field(default=0.2, ge=0.0, le=1.0, description="Lowest IoU accepted in the first association.")
    low_match_iou: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Lowest IoU accepted in the second (low-score) association.",
    )
    tentative_match_iou: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="Lowest IoU for a not-yet-confirmed track to take a high-score detection.",
    )
    reattach_iou: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description=(
            "Lowest IoU between an unmatched track's last detection and a leftover "
            "detection to re-attach it (0 disables)."
        ),
    )
    lost_box_growth: float = Field(
        default=0.3,
        ge=0.0,
        le=5.0,
        description=(
            "While a track is lost, its search box grows by this fraction of its size per "
            "second (capped at double size), so a person who slowed down behind an "
            "occluder is still found (0 disables)."
        ),
    )
    fuse_score: bool = Field(
        default=False,
        description="Weigh first-stage IoU by detection score (ByteTrack's score fusion).",
    )
    min_hits: int = Field(default=3, ge=1, le=100, description="Matched frames before a track is confirmed.")
    lost_timeout_s: float = Field(
        default=3.0,
        gt=0.0,
        le=120.0,
        description="A lost track is kept this long for re-attachment.",
    )
    position_noise: float = Field(
        default=0.1,
        gt=0.0,
        le=10.0,
        description="Kalman random walk of box position/size, in box sizes per sqrt(second).",
    )
    velocity_noise: float = Field(
        default=0.3,
        gt=0.0,
        le=10.0,
        description="Kalman random walk of box velocity, in box sizes per second per sqrt(second).",
    )
    measurement_noise: float = Field(
        default=0.05,
        gt=0.0,
        le=1.0,
        description="Kalman std of a detection box edge, in box sizes.",
    )
    update_interval_s: float = Field(default=1.0, ge=0.0, le=60.0, description="Throttle for track.updated events.")
