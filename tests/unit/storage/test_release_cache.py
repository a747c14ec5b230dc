"""`Store.release_cache`: DuckDB's cached file blocks go back to the system; nothing is lost or spilled."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from pictag import events as ev
from pictag.storage import Store


def _cached(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = 'BASE_TABLE'").fetchone()
    return int(row[0]) if row else 0


def _events(n: int, start: float) -> list[ev.Event]:
    return [
        ev.make_event(ev.TRACK_STARTED, ts=start + i * 0.01, camera_id=f"cam{i % 8}", track_id=i, person_id=f"p{i}")
        for i in range(n)
    ]


def test_cached_blocks_are_released_and_every_row_stays(tmp_path: Path) -> None:
    path = tmp_path / "pictag.duckdb"
    now = time.time()
    with Store.open(path, memory_limit="256MB", batch_size=100_000) as store:
        store.add_events(_events(60_000, now))
        store.flush()
        store.write_with(lambda con: con.execute("CHECKPOINT"))
        store.add_events(_events(500, now + 1000))  # committed, not checkpointed: must stay in memory
        store.flush()
        full_scan = "SELECT count(*), count(DISTINCT person_id), sum(length(payload)) FROM events"
        before = store.read_with(lambda con: con.execute(full_scan).fetchone())  # loads the blocks
        cached = store.read_with(_cached)
        assert cached > 4 * 2**20, "the test needs a cache worth releasing"

        released = store.release_cache()

        assert released > cached // 2
        assert store.read_with(_cached) < cached // 2
        limit = store.read_with(lambda con: con.execute("SELECT current_setting('memory_limit')").fetchone())
        assert limit == ("244.1 MiB",), "the configured limit (256 MB) is back"
        assert not Path(f"{path}.tmp").exists(), "open rows were spilled to a temp file"
        assert store.read_with(lambda con: con.execute(full_scan).fetchone()) == before
        assert before[0] == 60_500


def test_a_small_cache_is_left_alone(tmp_path: Path) -> None:
    with Store.open(tmp_path / "pictag.duckdb") as store:
        store.add_events(_events(10, time.time()))
        store.flush()
        assert store.release_cache() == 0
