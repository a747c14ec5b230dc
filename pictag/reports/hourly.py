"""Hourly aggregates of a period: the rows of the daily CSV and of ``GET /api/v1/export/hourly.csv``.

Columns (one row per local hour of the site's time zone; ``hour_start`` carries the
UTC offset, so the two 02:00 rows of a DST fall-back differ):

- ``hour_start``, ``hour_start_unix``: bucket start (local ISO-8601, epoch seconds);
- ``visitors``: distinct identities with a visit overlapping the hour;
- ``returning_visitors``: those of them that had a closed visit before this one;
- ``visits_started``; ``dwell_mean_s`` / ``dwell_median_s``: closed visits started in the hour;
- ``occupancy_peak``: most visits open at one instant within the hour (people in the
  site by re-identification; issue 17's door count adds ``footfall_*``);
- ``footfall_in`` / ``footfall_out``: crossings of entrance lines (site footfall);
- ``in:<camera>/<line>`` / ``out:<camera>/<line>``: crossings per line and direction, one
  pair of columns per line that has crossings in the period.

No ids, no embeddings, no images: aggregates only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import numpy.typing as npt

from pictag.errors import ConfigError
from pictag.reports.schedule import hour_buckets, local_iso
from pictag.storage import reports as sql

#: The longest window the CSV export serves (hours): about 13 months.
MAX_HOURS = 24 * 400
LineKey = tuple[str, str]  # (camera_id, line_id)
BASE_COLUMNS = (
    "hour_start",
    "hour_start_unix",
    "visitors",
    "returning_visitors",
    "visits_started",
    "dwell_mean_s",
    "dwell_median_s",
    "occupancy_peak",
    "footfall_in",
    "footfall_out",
)


@dataclass(frozen=True)
class HourlyRow:
    """One local hour of the period."""

    start: float
    end: float
    label: str
    visitors: int
    returning: int
    visits_started: int
    dwell_mean_s: float | None
    dwell_median_s: float | None
    occupancy_peak: int
    footfall_in: int
    footfall_out: int
    lines: dict[LineKey, tuple[int, int]] = field(default_factory=dict)  # (in, out) per line


def peak_concurrency(
    starts: npt.NDArray[np.float64], ends: npt.NDArray[np.float64], buckets: Sequence[tuple[float, float]]
) -> list[int]:
    """Most intervals ``[start, end)`` open at one instant within each bucket.

    The level only rises at an interval start, so the peak of a bucket is the level at
    its start or just after a start inside it: ``#starts <= t - #ends <= t`` at those
    instants (vectorised with sorted arrays and ``searchsorted``).
    """
    if not buckets:
        return []
    s = np.sort(starts)
    e = np.sort(ends)
    b0 = np.array([b[0] for b in buckets], dtype=np.float64)
    b1 = np.array([b[1] for b in buckets], dtype=np.float64)

    def level(t: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        return (np.searchsorted(s, t, side="right") - np.searchsorted(e, t, side="right")).astype(np.int64)

    peaks = level(b0)
    which = np.searchsorted(b0, s, side="right") - 1  # bucket of each start (buckets are sorted, contiguous)
    inside = (which >= 0) & (s < b1[np.clip(which, 0, None)])
    if inside.any():
        np.maximum.at(peaks, which[inside], level(s[inside]))
    return [int(p) for p in peaks]


def hourly_rows(con: duckdb.DuckDBPyConnection, since: float, until: float, tz: ZoneInfo) -> list[HourlyRow]:
    """Every local hour of ``[since, until)`` with its figures (hours with nothing have zeros).

    Raises:
        ConfigError: an empty or too long window.
    """
    if until <= since:
        raise ConfigError(f"from={since} to={until} reason=empty_window; 'to' must be after 'from'")
    if until - since > MAX_HOURS * 3600:
        raise ConfigError(f"hours={(until - since) / 3600:.0f} reason=window_too_long; ask for at most {MAX_HOURS}")
    buckets = hour_buckets(since, until, tz)
    visitors = sql.hourly_visitors(con, buckets)
    starts, ends = sql.visit_intervals(con, since, until)
    peaks = peak_concurrency(starts, ends, buckets)
    per_bucket: dict[float, dict[LineKey, list[int]]] = {}
    entrance: dict[float, list[int]] = {}
    for c in sql.hourly_crossings(con, buckets):
        pair = per_bucket.setdefault(c.start, {}).setdefault((c.camera_id, c.line_id), [0, 0])
        idx = 0 if c.direction == "in" else 1
        pair[idx] += c.count
        if c.entrance:
            entrance.setdefault(c.start, [0, 0])[idx] += c.count
    rows = []
    for (b0, b1), v, peak in zip(buckets, visitors, peaks, strict=True):
        door = entrance.get(b0, [0, 0])
        rows.append(
            HourlyRow(
                start=b0,
                end=b1,
                label=local_iso(b0, tz),
                visitors=v.visitors,
                returning=v.returning,
                visits_started=v.visits_started,
                dwell_mean_s=v.dwell_mean_s,
                dwell_median_s=v.dwell_median_s,
                occupancy_peak=peak,
                footfall_in=door[0],
                footfall_out=door[1],
                lines={k: (p[0], p[1]) for k, p in per_bucket.get(b0, {}).items()},
            )
        )
    return rows


def line_keys(rows: Sequence[HourlyRow]) -> list[LineKey]:
    """Lines with crossings in the period, sorted."""
    return sorted({k for r in rows for k in r.lines})


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def write_csv(rows: Sequence[HourlyRow], out: io.TextIOBase | io.StringIO) -> None:
    """The CSV (header + one line per hour) to a text stream."""
    keys = line_keys(rows)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*BASE_COLUMNS, *(f"{d}:{c}/{ln}" for c, ln in keys for d in ("in", "out"))])
    for r in rows:
        per_line = [str(r.lines.get(k, (0, 0))[i]) for k in keys for i in (0, 1)]
        writer.writerow(
            [
                r.label,
                f"{r.start:.0f}",
                r.visitors,
                r.returning,
                r.visits_started,
                _num(r.dwell_mean_s),
                _num(r.dwell_median_s),
                r.occupancy_peak,
                r.footfall_in,
                r.footfall_out,
                *per_line,
            ]
        )


def csv_text(rows: Sequence[HourlyRow]) -> str:
    """The CSV as a string (what the API route returns with ``text/csv``)."""
    buf = io.StringIO()
    write_csv(rows, buf)
    return buf.getvalue()


def hourly_csv(con: duckdb.DuckDBPyConnection, since: float, until: float, tz: ZoneInfo) -> str:
    """``GET /api/v1/export/hourly.csv?from=&to=`` in one call (bounds: `schedule.parse_instant`)."""
    return csv_text(hourly_rows(con, since, until, tz))


def save_csv(rows: Sequence[HourlyRow], path: Path) -> Path:
    """Write the CSV file (UTF-8)."""
    path.write_text(csv_text(rows), encoding="utf-8")
    return path
