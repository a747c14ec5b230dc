"""Privacy settings: anonymisation, previews, retention and cross-day re-identification."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from pictag.config.base import ConfigModel


class PrivacyConfig(ConfigModel):
    """What may leave the pipeline, and for how long data is kept (docs/privacy.md)."""

    anonymize: Literal["head", "body", "silhouette", "off"] = Field(
        default="head", description="How people are hidden in every image that leaves the pipeline."
    )
    allow_unanonymized: bool = Field(default=False, description="Required (true) for anonymize: off.")
    retention_days: float = Field(
        default=30.0, gt=0.0, le=3650.0, description="Embeddings, sightings and visits older than this are purged."
    )
    purge_interval_h: float = Field(
        default=24.0, ge=0.1, le=168.0, description="Hours between retention purges (one also runs at start-up)."
    )
    cross_day_reid: bool = Field(default=False, description="Recognise returning people on later days (opt-in).")
    preview_fps: float = Field(default=5.0, gt=0.0, le=5.0, description="Dashboard preview frame rate cap.")

    @field_validator("anonymize", mode="before")
    @classmethod
    def _yaml_off_is_false(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `off` as the boolean false.
        return "off" if value is False else value
