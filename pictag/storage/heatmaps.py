"""SQL of the ``heatmaps`` table (schema migration 4): one row per camera and local day.

Detectors send *increments* (`HeatmapDelta`: person-seconds added since their last write),
so a restarted detector never needs to read first and two writes never overwrite each
other's counts: the store adds them. The background (a JPEG of the person-free median) is
replaced only by one built from at least as many samples, so a detector restarted in the
middle of a day does not swap a good background for a thin one. Every function takes the
caller's connection and runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from pictag.errors import StorageError
from pictag.storage.maintenance import count_rows

Counts = npt.NDArray[np.float32]


@dataclass(frozen=True)
class HeatmapDelta:
    """What one camera's heatmap gained since the last write.

    Attributes:
        camera_id, day: the row (``day`` is the site's local day).
        day_end: the end of that local day (epoch s; retention deletes by it).
        width, height, cell_px: the grid geometry (``counts`` is ``(ceil(h/cell), ceil(w/cell))``).
        counts: person-seconds added per cell, ``float32``.
        background_jpeg: the person-free background, or None when it did not change.
        background_samples: how many samples that background is the median of.
        hole_fraction: share of its pixels filled from their surroundings.
    """

    camera_id: str
    day: date
    day_end: float
    width: int
    height: int
    cell_px: int
    counts: Counts
    background_jpeg: bytes | None = None
    background_samples: int = 0
    hole_fraction: float | None = None

    def __post_init__(self) -> None:
        shape = (-(-self.height // self.cell_px), -(-self.width // self.cell_px))
        if self.counts.shape != shape or self.counts.dtype != np.float32:
            raise StorageError(
                f"camera={self.camera_id} counts shape={self.counts.shape} dtype={self.counts.dtype} "
                f"reason=bad_heatmap; expected {shape} float32"
            )


@dataclass(frozen=True)
class StoredHeatmap:
    """One stored row."""

    camera_id: str
    day: date
    width: int
    height: int
    cell_px: int
    counts: Counts
    person_seconds: float
    background_jpeg: bytes | None
    background_samples: int
    hole_fraction: float | None
    updated_at: float


_COLUMNS = (
    "camera_id, day, width, height, cell_px, counts, person_seconds, background, background_samples, "
    "hole_fraction, updated_at"
)


def _shape(width: int, height: int, cell_px: int) -> tuple[int, int]:
    return -(-height // cell_px), -(-width // cell_px)


def _row(r: tuple[Any, ...]) -> StoredHeatmap:
    camera_id, day, width, height, cell, blob, seconds, background, samples, holes, updated = r
    counts = np.frombuffer(bytes(blob), dtype=np.float32).reshape(_shape(int(width), int(height), int(cell)))
    return StoredHeatmap(
        camera_id=str(camera_id),
        day=day,
        width=int(width),
        height=int(height),
        cell_px=int(cell),
        counts=counts.copy(),
        person_seconds=float(seconds),
        background_jpeg=None if background is None else bytes(background),
        background_samples=int(samples),
        hole_fraction=None if holes is None else float(holes),
        updated_at=float(updated),
    )


def load_heatmap(con: duckdb.DuckDBPyConnection, camera_id: str, day: date) -> StoredHeatmap | None:
    """The row of a camera and day, if any."""
    row = con.execute(f"SELECT {_COLUMNS} FROM heatmaps WHERE camera_id = ? AND day = ?", [camera_id, day]).fetchone()
    return None if row is None else _row(row)


def merge_heatmap(con: duckdb.DuckDBPyConnection, delta: HeatmapDelta, now: float) -> StoredHeatmap:
    """Add a delta to its row (created if missing); return the row as stored.

    A grid of another geometry (the camera's resolution or ``cell_px`` changed during the
    day) replaces the stored one: cells of two geometries cannot be added.

    An existing row is updated in place, its background only when it changes: replacing
    the whole row (``INSERT OR REPLACE``) with every minute's counts rewrote the unchanged
    ~90 kB background each time, and DuckDB kept what it rewrote: the store process grew
    steadily over `pictag bench soak` (docs/storage.md).
    """
    old = load_heatmap(con, delta.camera_id, delta.day)
    counts = delta.counts
    background, samples, holes = delta.background_jpeg, delta.background_samples, delta.hole_fraction
    background_kept = same_grid = False
    if old is not None and (old.width, old.height, old.cell_px) == (delta.width, delta.height, delta.cell_px):
        counts = old.counts + delta.counts
        same_grid = True
        if background is None or samples < old.background_samples:
            background, samples, holes = old.background_jpeg, old.background_samples, old.hole_fraction
            background_kept = True
    if background is None:
        samples, holes = 0, None
    stored = StoredHeatmap(
        camera_id=delta.camera_id,
        day=delta.day,
        width=delta.width,
        height=delta.height,
        cell_px=delta.cell_px,
        counts=counts.astype(np.float32),
        person_seconds=float(counts.sum()),
        background_jpeg=background,
        background_samples=samples,
        hole_fraction=holes,
        updated_at=now,
    )
    grid: dict[str, Any] = {
        "day_end": delta.day_end,
        "counts": stored.counts.tobytes(),
        "person_seconds": stored.person_seconds,
        "updated_at": now,
    }
    if not same_grid:
        grid |= {"width": stored.width, "height": stored.height, "cell_px": stored.cell_px}
    if not background_kept:
        grid |= {
            "background": stored.background_jpeg,
            "background_samples": stored.background_samples,
            "hole_fraction": stored.hole_fraction,
        }
    key = {"camera_id": stored.camera_id, "day": stored.day}
    if old is None:
        columns = {**key, **grid}
        names, marks = ", ".join(columns), ", ".join("?" for _ in columns)
        con.execute(f"INSERT INTO heatmaps ({names}) VALUES ({marks})", list(columns.values()))
    else:
        assignments = ", ".join(f"{c} = ?" for c in grid)
        con.execute(
            f"UPDATE heatmaps SET {assignments} WHERE camera_id = ? AND day = ?", [*grid.values(), *key.values()]
        )
    return stored


def heatmap_days(con: duckdb.DuckDBPyConnection, camera_id: str, limit: int = 400) -> list[date]:
    """Days with a heatmap for a camera, newest first."""
    rows = con.execute(
        "SELECT day FROM heatmaps WHERE camera_id = ? ORDER BY day DESC LIMIT ?", [camera_id, max(1, limit)]
    ).fetchall()
    return [r[0] for r in rows]


def purge_heatmaps(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention: days that ended before ``cutoff``."""
    return {"heatmaps": count_rows(con, "DELETE FROM heatmaps WHERE day_end < $cutoff", {"cutoff": cutoff})}
