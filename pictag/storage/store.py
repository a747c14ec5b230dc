"""`Store`: the one object that owns the DuckDB file (used by the single StoreActor).

DuckDB lets one process open a file for writing, so every write and every API
read goes through one `Store` instance. It is composed by job:

- `store_core.StoreCore`: open/attach/close, the write buffer, `flush`, transactions;
- `store_ingest.IngestMixin`: buffered pipeline writes (events, sightings, identities,
  visits, prototypes) and footfall rows;
- `store_reads.ReadsMixin`: tracks, events, identities, visits, stats, gallery, footfall reads;
- `store_cameras.CamerasMixin`: cameras and their secrets, settings, login sessions;
- `store_maintenance.MaintenanceMixin`: erasure, retention, compaction, aggregate export.

Every part shares the core's connection and lock; callers only see `Store`.
"""

from __future__ import annotations

from pictag.storage.store_cameras import CamerasMixin
from pictag.storage.store_ingest import IngestMixin
from pictag.storage.store_maintenance import MaintenanceMixin
from pictag.storage.store_reads import ReadsMixin

__all__ = ["Store"]


class Store(IngestMixin, ReadsMixin, CamerasMixin, MaintenanceMixin):
    """The PicTag store: one DuckDB file plus its camera secrets file.

    Build with `Store.open`; close with `close` (or use as a context manager).
    """
