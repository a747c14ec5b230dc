"""Calibrated match thresholds of the re-id models PicTag knows, shipped in ``thresholds.json``.

A cosine threshold belongs to a model: 0287's 0.44 means something else for 0288 (0.50) or
PicTag's own crop model (0.62). Each entry was measured with ``pictag calibrate`` (rule f1
on PETS09-S2L1 + TUD-Campus) and says so in its ``source``; the JSON layout is
``{"<reid.model>": {"<reid.precision>": {"threshold": t, "source": "..."}}}``. Joint-mode IRs
carry their own threshold in rt_info instead (`pictag.reid.joint_head.joint_threshold`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pictag.errors import ModelError

THRESHOLDS_FILE = "thresholds.json"


@dataclass(frozen=True)
class ModelThreshold:
    """A model's calibrated cosine match threshold and how it was measured."""

    threshold: float
    source: str


def load_thresholds() -> dict[str, dict[str, ModelThreshold]]:
    """Every shipped threshold, by model name then precision.

    Raises:
        ModelError: the packaged file is malformed (a broken install).
    """
    text = resources.files("pictag.reid").joinpath(THRESHOLDS_FILE).read_text(encoding="utf-8")
    raw: dict[str, dict[str, dict[str, Any]]] = json.loads(text)
    try:
        return {
            model: {p: ModelThreshold(float(v["threshold"]), str(v["source"])) for p, v in by_precision.items()}
            for model, by_precision in raw.items()
        }
    except (KeyError, TypeError, ValueError) as err:
        raise ModelError(f"file={THRESHOLDS_FILE} reason=malformed ({err}): reinstall pictag") from None


def shipped_threshold(model: str, precision: str) -> ModelThreshold | None:
    """The calibrated threshold of ``model`` (a `reid.model` value) at ``precision``, or None if never calibrated."""
    return load_thresholds().get(model, {}).get(precision)
