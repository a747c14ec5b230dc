"""StoreActor: the only process that opens the DuckDB file.

DuckDB allows one writing process per file, so every write and every API
query goes through this actor. Writes are buffered by the domain `Store` and
flushed in one transaction per interval; the actor runs its methods one at a
time (a thread of its own does the periodic flush under the same lock).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import ray

from pictag.camera_registry import StoredCamera
from pictag.config import CameraConfig, StorageConfig
from pictag.storage import Store

log = logging.getLogger(__name__)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0, max_concurrency=1)
class StoreActor:
    """Thin shell around `pictag.storage.Store` with a periodic flush."""

    def __init__(self, config: StorageConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._store = Store.open_from_config(config)
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="store-flush", daemon=True)
        self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._closed.wait(self._config.flush_interval_s):
            try:
                with self._lock:
                    self._store.flush()
            except Exception:
                log.exception("store flush failed (rows stay buffered)")

    def ready(self) -> bool:
        """True once the file is open and migrated."""
        return True

    def write(self, events: list[dict[str, Any]], sightings: list[dict[str, Any]]) -> None:
        """Buffer events and sighting upserts (flushed within flush_interval_s)."""
        with self._lock:
            if events:
                self._store.add_events(events)
            if sightings:
                self._store.upsert_sightings(sightings)

    def flush(self) -> None:
        """Write everything buffered now."""
        with self._lock:
            self._store.flush()

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run a read query of the store (flushing first so answers include recent rows)."""
        if method.startswith("_") or method not in READ_METHODS:
            raise AttributeError(f"store has no query {method!r}")
        with self._lock:
            self._store.flush()
            return getattr(self._store, method)(*args, **kwargs)

    def list_tracks(self, **filters: Any) -> list[dict[str, Any]]:
        """Stored sightings, newest first."""
        return self.call("list_tracks", **filters)

    def load_cameras(self) -> list[StoredCamera]:
        """Cameras saved at run time (with their secrets restored)."""
        with self._lock:
            return self._store.load_cameras()

    def save_camera(self, camera: CameraConfig, origin: str | None) -> None:
        """Persist a camera added or changed through the API."""
        with self._lock:
            self._store.save_camera(camera, origin)

    def delete_camera(self, camera_id: str, origin: str | None) -> None:
        """Forget a camera (a tombstone when it comes from the config file)."""
        with self._lock:
            self._store.delete_camera(camera_id, origin)

    def stats(self) -> dict[str, Any]:
        """Buffer and drop counters."""
        with self._lock:
            return self._store.write_stats()

    def close(self) -> None:
        """Flush and close the file (the actor is killed afterwards)."""
        self._closed.set()
        with self._lock:
            self._store.close()


READ_METHODS = frozenset({
    "list_tracks", "list_events", "list_cameras", "list_identities", "get_identity", "list_visits", "stats",
})
