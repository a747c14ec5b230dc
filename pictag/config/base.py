"""Shared base for configuration models: unknown keys are errors, never ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigModel(BaseModel):
    """Base of every configuration section (``extra="forbid"``, validated on assignment)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
