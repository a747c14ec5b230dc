"""The site (the shop): its time zone, opening hours and how people are counted.

Opening hours are written per weekday as ``"HH:MM-HH:MM"`` ranges in the site's local time.
A range whose end is not after its start runs past midnight (``"20:00-02:00"`` belongs to the
day it starts on); ``"24:00"`` is the end of the day. Holidays close the whole day; a special
day replaces that date's weekday hours (an empty list closes it too).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from pictag.config.base import ConfigModel

MINUTES_PER_DAY = 24 * 60
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ALWAYS = ["00:00-24:00"]
MAX_RANGES_PER_DAY = 8
MAX_DATES = 1000


def parse_time_range(text: str) -> tuple[int, int]:
    """``"09:00-18:30"`` → minutes after the day's midnight ``(540, 1110)``.

    An end at or before the start means the next day (``"22:00-02:00"`` → ``(1320, 1560)``).

    Raises:
        ValueError: not ``HH:MM-HH:MM``, a time past 24:00, or an empty range.
    """
    m = _RANGE.match(text)
    if m is None:
        raise ValueError(f"opening hours must look like '09:00-18:00', got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start >= MINUTES_PER_DAY or end > MINUTES_PER_DAY:
        raise ValueError(f"{text!r}: times run from 00:00 to 24:00 (a start of 24:00 is not allowed)")
    if end == start or (start == 0 and end == 0):
        raise ValueError(f"{text!r} is empty: write 00:00-24:00 for the whole day")
    if end < start:
        end += MINUTES_PER_DAY
    return start, end


def check_ranges(ranges: list[str]) -> list[str]:
    """A day's ranges must parse and must not overlap (overlaps are almost always typos)."""
    parsed = sorted(parse_time_range(r) for r in ranges)
    for (_, e1), (s2, _) in zip(parsed, parsed[1:], strict=False):
        if s2 < e1:
            raise ValueError(f"opening hours overlap: {ranges}")
    return ranges


def _day_field(name: str) -> list[str]:
    return Field(
        default_factory=lambda: list(_ALWAYS),
        max_length=MAX_RANGES_PER_DAY,
        description=f'Opening hours on {name}, e.g. ["09:00-12:30", "14:00-19:00"]; [] = closed.',
    )


class WeeklyHours(ConfigModel):
    """Opening hours per weekday (default: open around the clock every day)."""

    monday: list[str] = _day_field("Mondays")
    tuesday: list[str] = _day_field("Tuesdays")
    wednesday: list[str] = _day_field("Wednesdays")
    thursday: list[str] = _day_field("Thursdays")
    friday: list[str] = _day_field("Fridays")
    saturday: list[str] = _day_field("Saturdays")
    sunday: list[str] = _day_field("Sundays")

    @field_validator("*")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        return check_ranges(value)

    def for_weekday(self, weekday: int) -> list[str]:
        """The ranges of a weekday, 0 = Monday (as `datetime.date.weekday`)."""
        return [self.monday, self.tuesday, self.wednesday, self.thursday, self.friday, self.saturday, self.sunday][
            weekday
        ]


class SpecialDay(ConfigModel):
    """A date with other opening hours than its weekday's."""

    date: dt.date = Field(description="The local date (YYYY-MM-DD).")
    hours: list[str] = Field(
        default_factory=list, max_length=MAX_RANGES_PER_DAY, description="Opening hours that day; [] = closed."
    )
    name: str = Field(default="", max_length=120, description="Why (shown on the dashboard), e.g. 'Christmas Eve'.")

    @field_validator("hours")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        return check_ranges(value)


def check_time_zone(name: str | None) -> str | None:
    """An IANA zone name must be known to the time-zone database."""
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or Asia/Seoul") from None
    return name


def check_dates(holidays: list[dt.date], special_days: list[SpecialDay]) -> None:
    """A date is listed once: as a holiday or as one special day."""
    seen: set[dt.date] = set()
    for d in [*holidays, *(s.date for s in special_days)]:
        if d in seen:
            raise ValueError(f"date {d.isoformat()} is listed twice in site.holidays / site.special_days")
        seen.add(d)


class SiteConfig(ConfigModel):
    """The shop as a whole: local time, opening hours, footfall counting."""

    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA time zone of the shop (e.g. Europe/Berlin); empty: the machine's own.",
    )
    hours: WeeklyHours = Field(default_factory=WeeklyHours)
    holidays: list[dt.date] = Field(
        default_factory=list, max_length=MAX_DATES, description="Local dates the shop is closed all day."
    )
    special_days: list[SpecialDay] = Field(
        default_factory=list,
        max_length=MAX_DATES,
        description="Dates with other hours than their weekday's: [{date, hours, name}].",
    )
    analyse_when_closed: bool = Field(
        default=True,
        description="Analyse video outside opening hours too (false: cameras are not analysed while closed).",
    )
    reset_occupancy_at_close: bool = Field(
        default=True,
        description=(
            "Set occupancy to 0 at every closing time (on a day without a closing, at local "
            "midnight), so counting errors never carry over to the next day."
        ),
    )
    crossing_frames: int = Field(
        default=3,
        ge=1,
        le=100,
        description=(
            "A line crossing counts once the person's feet stayed this many analysed frames on "
            "the new side (jitter on the line never counts twice)."
        ),
    )
    edge_clearance: float = Field(
        default=0.075,
        ge=0.0,
        le=1.0,
        description=(
            "A crossing (a zone entry or leave) also needs the feet seen at least once this far past the "
            "line (inside / outside the zone's edge), as a fraction of the person's box height (0.075 ≈ 3x "
            "the detector's jitter): standing on a line or an edge never counts. 0 disables."
        ),
    )
    zone_frames: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Analysed frames inside (outside) a zone before an entry (a leave) counts.",
    )
    queue_wait_window_s: float = Field(
        default=900.0,
        gt=0.0,
        le=86400.0,
        description="A queue's estimated wait is the median dwell of people who left it within this many seconds.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_time_zone(value.strip() or None if value is not None else None)

    @model_validator(mode="after")
    def _dates(self) -> SiteConfig:
        check_dates(self.holidays, self.special_days)
        return self
