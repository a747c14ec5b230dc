"""Identity gallery settings: when a new track is matched, how the gallery learns, when it forgets.

The match threshold itself, the crop-quality rules, the refresh interval, the number of
prototypes and the visit gap live in the ``reid`` section (they belong to the model and its
calibration); this section holds the identity stage's own decisions.
"""

from __future__ import annotations

from pydantic import Field

from pictag.config.base import ConfigModel


class IdentityConfig(ConfigModel):
    """How confirmed tracks become identities."""

    min_crops: int = Field(
        default=3,
        ge=1,
        le=50,
        description=(
            "Good crops a new track's appearance needs before it is matched against the gallery "
            "(the embedder takes them on consecutive frames, then refreshes every reid.refresh_s)."
        ),
    )
    decision_timeout_s: float = Field(
        default=3.0,
        ge=0.0,
        le=60.0,
        description=(
            "A track still short of min_crops after this long is decided with what it has "
            "(no good crop at all: a new identity). Its track.started event waits until then."
        ),
    )
    update_margin: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description=(
            "Gallery prototypes learn from a matched track only when its similarity is at least "
            "reid.threshold + this margin (conservative updates keep one identity from drifting "
            "into another)."
        ),
    )
    day_start_hour: int = Field(
        default=4,
        ge=0,
        le=23,
        description=(
            "Local hour at which a new day starts: without privacy.cross_day_reid, identities "
            "last seen before it are forgotten (their embeddings erased) and cannot be matched."
        ),
    )
