"""Writer process for the kill -9 test: commit batches forever, report each committed one.

Usage: python crash_writer.py DB_PATH [KEY]. Prints ``committed N`` (flushed)
only after `Store.flush` returned, so every printed batch must survive a kill.
"""

from __future__ import annotations

import sys

from pictag.storage import Store
from pictag.storage.records import TrackRecord, sighting_id

EVENTS_PER_BATCH = 500
SIGHTINGS_PER_BATCH = 50


def _sighting(track_id: int, at: float, frames: int) -> TrackRecord:
    return TrackRecord(sighting_id("door", track_id, at), "door", track_id, None, at, at, frames=frames)


def main() -> None:
    path = sys.argv[1]
    key = sys.argv[2] if len(sys.argv) > 2 else None
    store = Store.open(path, encryption_key=key, batch_size=1_000_000)
    batch = 0
    while True:
        base = 1_795_500_000.0 + batch
        store.add_events(
            [
                {
                    "type": "track.updated",
                    "ts_unix": base,
                    "camera_id": "door",
                    "batch": batch,
                    "i": i,
                    "pad": "x" * 200,
                }
                for i in range(EVENTS_PER_BATCH)
            ]
        )
        store.upsert_sightings(
            [_sighting(batch * SIGHTINGS_PER_BATCH + i, base, i) for i in range(SIGHTINGS_PER_BATCH)]
        )
        store.flush()
        print(f"committed {batch}", flush=True)
        batch += 1


if __name__ == "__main__":
    main()
