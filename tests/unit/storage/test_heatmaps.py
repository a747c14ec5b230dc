"""The heatmaps table (migration 4): increments add up, the richer background wins, retention, round trip."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from pictag.errors import StorageError
from pictag.storage import Store
from pictag.storage.heatmaps import HeatmapDelta, heatmap_days, load_heatmap, merge_heatmap

DAY = date(2026, 11, 24)
END = 1_795_561_200.0  # some epoch second after DAY


def delta(
    counts: np.ndarray, *, jpeg: bytes | None = None, samples: int = 0, day: date = DAY, **kw: object
) -> HeatmapDelta:
    geometry = {"width": 40, "height": 20, "cell_px": 10, **kw}
    return HeatmapDelta(
        "door",
        day,
        END,
        counts=counts.astype(np.float32),
        background_jpeg=jpeg,
        background_samples=samples,
        hole_fraction=0.0 if jpeg else None,
        **geometry,
    )  # type: ignore[arg-type]


def test_increments_add_and_the_background_with_more_samples_wins(store: Store) -> None:
    ones = np.ones((2, 4), np.float32)
    store.write_with(lambda con: merge_heatmap(con, delta(ones, jpeg=b"bg-8", samples=8), now=1.0))
    store.write_with(
        lambda con: merge_heatmap(con, delta(2 * ones, jpeg=b"bg-3", samples=3), now=2.0)
    )  # restarted node
    store.write_with(lambda con: merge_heatmap(con, delta(ones), now=3.0))  # counts only
    row = store.read_with(lambda con: load_heatmap(con, "door", DAY))
    assert row is not None and (row.counts == 4).all() and row.person_seconds == 32
    assert (row.background_jpeg, row.background_samples, row.updated_at) == (b"bg-8", 8, 3.0)
    store.write_with(lambda con: merge_heatmap(con, delta(ones, jpeg=b"bg-9", samples=9), now=4.0))
    row = store.read_with(lambda con: load_heatmap(con, "door", DAY))
    assert row is not None and row.background_jpeg == b"bg-9" and (row.counts == 5).all()


def test_another_geometry_replaces_the_day(store: Store) -> None:
    store.write_with(lambda con: merge_heatmap(con, delta(np.ones((2, 4))), now=1.0))
    store.write_with(lambda con: merge_heatmap(con, delta(np.ones((1, 2)), width=40, height=20, cell_px=20), now=2.0))
    row = store.read_with(lambda con: load_heatmap(con, "door", DAY))
    assert row is not None and row.cell_px == 20 and row.counts.shape == (1, 2) and row.person_seconds == 2


def test_days_listed_newest_first_and_purged_by_retention(store: Store) -> None:
    for day, end in ((date(2026, 11, 22), 100.0), (DAY, END)):
        d = HeatmapDelta("door", day, end, 40, 20, 10, np.ones((2, 4), np.float32))
        store.write_with(lambda con, d=d: merge_heatmap(con, d, now=1.0))
    assert store.read_with(lambda con: heatmap_days(con, "door")) == [DAY, date(2026, 11, 22)]
    assert store.purge_older_than(1000.0)["heatmaps"] == 1
    assert store.read_with(lambda con: heatmap_days(con, "door")) == [DAY]
    assert store.read_with(lambda con: load_heatmap(con, "till", DAY)) is None


def test_a_delta_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(StorageError, match="bad_heatmap"):
        delta(np.ones((3, 3)))
