"""Privacy settings: anonymisation and retention."""

from __future__ import annotations

from typing import Literal

from typing import Any

from pydantic import Field, field_validator

from pictag.config.base import ConfigModel


class PrivacyConfig(ConfigModel):
    """What may leave the pipeline, and for how long data is kept."""

    anonymize: Literal["head", "body", "silhouette", "off"] = Field(default="head", description="How people are hidden in every image that leaves the pipeline.")
    allow_unanonymized: bool = Field(default=False, description="Required (true) for anonymize: off.")
    retention_days: float = Field(default=30.0, gt=0.0, le=3650.0, description="Embeddings, sightings and visits older than this are purged.")
    cross_day_reid: bool = Field(default=False, description="Recognise returning people on later days (opt-in).")
    @field_validator("anonymize", mode="before")
    @classmethod
    def _yaml_off_is_false(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `off` as the boolean false.
        return "off" if value is False else value

    preview_fps: float = Field(default=5.0, gt=0.0, le=5.0, description="Dashboard preview frame rate cap.")
