"""What the alert engine reads: the measured values of the site at one instant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

ZoneKind = Literal["area", "queue", "staff"]


@dataclass(frozen=True)
class ZoneMeasure:
    """One zone's live figures (issue 17 zones: area, queue or staff).

    Attributes:
        camera_id, zone_id: where the zone is (zone ids are unique per camera).
        kind: the zone's kind; queue rules only look at ``queue`` zones.
        count: people in the zone now (staff excluded by the producer).
        longest_dwell_s: how long the person in it the longest has been there (0 when empty).
    """

    camera_id: str
    zone_id: str
    kind: ZoneKind
    count: int
    longest_dwell_s: float = 0.0

    @property
    def key(self) -> str:
        """``camera_id/zone_id``: the zone's name in alerts."""
        return f"{self.camera_id}/{self.zone_id}"


def _frozen(value: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class Snapshot:
    """Measured values at time ``ts`` (epoch seconds); a missing entry means "not measured".

    A missing value never raises nor clears an alert: it only stops a pending raise or
    clear from accumulating time (an unknown is not evidence either way).

    Attributes:
        ts: when the values were true (seconds; the engine tolerates small steps backwards).
        site_occupancy: people inside the site (issue 17: entrance in - out), None if unknown.
        camera_occupancy: people in view per camera.
        camera_online: per camera, True when it delivers frames.
        zones: every zone's figures.
    """

    ts: float
    site_occupancy: int | None = None
    camera_occupancy: Mapping[str, int] = field(default_factory=dict)
    camera_online: Mapping[str, bool] = field(default_factory=dict)
    zones: tuple[ZoneMeasure, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "camera_occupancy", _frozen(self.camera_occupancy))
        object.__setattr__(self, "camera_online", _frozen(self.camera_online))
        object.__setattr__(self, "zones", tuple(self.zones))
