"""Privacy maintenance of the store: erasure, retention purge, compaction, aggregate export.

Erasure and purge checkpoint afterwards so deleted rows leave the write-ahead log;
`compact` rewrites the file so their bytes leave the file too (docs/storage.md).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

import duckdb

from pictag.errors import StorageError
from pictag.storage import maintenance
from pictag.storage.crypto import sql_literal
from pictag.storage.heatmaps import purge_heatmaps
from pictag.storage.integrations import purge_deliveries
from pictag.storage.store_core import CATALOG, StoreCore, fsync_dir, locked, scrubbed

log = logging.getLogger(__name__)


class MaintenanceMixin(StoreCore):
    """Erasure, retention, compaction and the anonymous aggregate export."""

    @locked
    def close_open_sightings(self, before: float | None = None) -> int:
        """End sightings left open by a previous run (call at runtime start); return how many."""
        return self._transaction(lambda: maintenance.close_open_sightings(self._con, before))

    @locked
    def delete_identity(self, person_id: str) -> dict[str, int]:
        """Erase an identity: prototypes, identity row, sightings, visits, events naming it.

        Pending rows naming it are dropped too, and the file is checkpointed so
        the deleted rows leave the write-ahead log. Returns rows deleted per table
        (all zero: unknown id).
        """
        self._buffer.forget_identity(person_id)
        counts = self._transaction(lambda: maintenance.erase_identity(self._con, person_id))
        self._checkpoint()
        return counts

    @locked
    def purge_older_than(self, cutoff: float) -> dict[str, int]:
        """Retention: delete events, sightings, visits, identities and embeddings older
        than ``cutoff`` (epoch seconds); return rows deleted per table."""
        counts = self._transaction(
            lambda: {**maintenance.purge_older_than(self._con, cutoff), **_purge_integrations(self._con, cutoff)}
        )
        if any(counts.values()):
            self._checkpoint()
        return counts

    @locked
    def compact(self) -> tuple[int, int]:
        """Rewrite the file so deleted rows leave no bytes behind; return (bytes before, after).

        DuckDB reuses the blocks of deleted rows but does not overwrite them, so
        after an erasure the old bytes can linger in the file. This copies every
        table into a fresh file (encrypted with the same key), swaps it in
        atomically and re-opens it. Cost: one full copy (see docs/storage.md);
        call it after `delete_identity` or the daily purge, not per request.
        """
        self._flush()
        tmp = self.path.with_name(self.path.name + ".compact")
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        before = self.path.stat().st_size
        literal = sql_literal(str(tmp))
        try:
            if self._key is None:
                self._con.execute(f"ATTACH '{literal}' AS pictag_compact")
            else:
                self._con.execute(
                    f"ATTACH '{literal}' AS pictag_compact (ENCRYPTION_KEY $key)",
                    {"key": self._key},
                )
            self._con.execute(f"COPY FROM DATABASE {CATALOG} TO pictag_compact")
            self._con.execute("DETACH pictag_compact")
            self._con.execute("USE memory")
            self._con.execute(f"DETACH {CATALOG}")
        except duckdb.Error as err:
            self._recover_after_failed_compact(tmp)
            raise StorageError(
                f"path={self.path} reason=compact_failed ({scrubbed(err, self._key)}); the store is unchanged"
            ) from err
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)
        self._attach(self._con, self.path, self._key)
        after = self.path.stat().st_size
        log.info("store compacted path=%s bytes_before=%d bytes_after=%d", self.path, before, after)
        return before, after

    def _recover_after_failed_compact(self, tmp: Path) -> None:
        for statement in ("DETACH DATABASE IF EXISTS pictag_compact",):
            try:
                self._con.execute(statement)
            except duckdb.Error:
                pass
        tmp.unlink(missing_ok=True)
        attached = {r[0] for r in self._con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        if CATALOG not in attached:
            self._attach(self._con, self.path, self._key)
        else:
            self._con.execute(f"USE {CATALOG}")

    @locked
    def export_aggregates(
        self,
        path: str | Path,
        format: Literal["csv", "parquet"] = "csv",
        *,
        since: float | None = None,
        until: float | None = None,
    ) -> int:
        """Write counts and dwell per UTC hour and camera (no ids, no embeddings); return rows."""
        self._read_prep()
        try:
            return maintenance.export_aggregates(self._con, path, format, since=since, until=until)
        except duckdb.Error as err:
            raise StorageError(f"path={path} reason=export_failed ({scrubbed(err, None)})") from err


def _purge_integrations(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention of issue 18's tables (webhook deliveries, heatmaps)."""
    return {**purge_deliveries(con, cutoff), **purge_heatmaps(con, cutoff)}
