"""`StoreCore`: lifecycle and transactions of the one object that owns the DuckDB file.

DuckDB lets one process open a file for writing, so every write and every API
read goes through one store instance. This part opens (attaches, migrates,
locks down) and closes the file, holds the bounded write buffer and commits it
in one transaction (`flush`), and runs the immediate writes of the other parts
in `_transaction`. Reads flush first, so a caller always sees its own writes.
Methods are serialised by one re-entrant lock (`locked`), so an async or
threaded actor may call them from several tasks. The jobs built on it live in
`store_ingest`, `store_reads`, `store_cameras` and `store_maintenance`;
`pictag.storage.store.Store` composes them.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, Self, TypeVar, cast

import duckdb

from pictag.errors import StorageError
from pictag.redaction import REDACTED
from pictag.storage import schema, writes
from pictag.storage.buffer import WriteBuffer
from pictag.storage.camera_secrets import CameraSecrets, secrets_path_for
from pictag.storage.crypto import load_crypto, sql_literal
from pictag.storage.records import WriteCounters

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Name the store file is attached under (``compact`` swaps the file behind it).
CATALOG = "pictag_store"
#: `duckdb_memory()` tag of table blocks that are in the file (evicting them loses nothing).
CACHED_BLOCKS_TAG = "BASE_TABLE"
#: Below this much cached data a release is not worth a statement.
RELEASE_MIN_BYTES = 4 * 2**20
#: Room above the store's other memory while the limit is lowered (the SET itself allocates).
RELEASE_HEADROOM_BYTES = 2**20


@dataclass(frozen=True)
class EngineSettings:
    """DuckDB resources of the store's connection, kept to open it again the same way (`reopen`)."""

    memory_limit: str = "1GB"
    threads: int = 2
    checkpoint_threshold: str = "4MB"


def _connect(target: Path, engine: EngineSettings) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB instance with the store's resource settings (the file is attached after)."""
    return duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "memory_limit": engine.memory_limit,
            "threads": engine.threads,
            "checkpoint_threshold": engine.checkpoint_threshold,
            # A query too big for memory_limit spills next to the file it reads, never
            # into the current folder (DuckDB's default for a ":memory:" connection).
            "temp_directory": f"{target}.tmp",
        },
    )


def count(row: tuple[Any, ...] | None) -> int:
    """The number in a ``SELECT count(*)`` row."""
    return int(row[0]) if row is not None else 0


def locked(method: Callable[P, R]) -> Callable[P, R]:
    """Serialise a store method on the instance lock (DuckDB connections are not thread-safe)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        store = cast("StoreCore", args[0])
        with store._lock:
            store._check_open()
            return method(*args, **kwargs)

    return wrapper


def scrubbed(err: BaseException, key: str | None) -> str:
    """First line of a DuckDB error with the key (if any) replaced: safe to log and raise."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text.replace(key, REDACTED) if key else text


#: (substrings of DuckDB's message, reason, what to do) for `Store.open` failures, first match wins.
_OPEN_FAILURES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("without a key",),
        "encrypted_no_key",
        "the store is encrypted: set storage.encryption_key_env or storage.encryption_key_file",
    ),
    (
        ("not encrypted",),
        "not_encrypted",
        "a key was given but the file is plain: remove the key setting, or convert the file "
        "with pictag.storage.encrypt_copy",
    ),
    (
        ("could not set lock", "conflicting lock"),
        "locked",
        "another process has the store open for writing (only the StoreActor may open it): stop it first",
    ),
    (
        ("not a valid duckdb database file",),
        "not_a_store",
        "the file is not a DuckDB database: point storage.path elsewhere, or move the file away and restore a backup",
    ),
    (
        ("newer version of duckdb",),
        "newer_duckdb_file",
        f"the file was written by a DuckDB newer than {duckdb.__version__}: install that "
        "version, or start a new store file",
    ),
)


def _open_error(path: Path, err: duckdb.Error, key: str | None) -> StorageError:
    text = scrubbed(err, key)
    lowered = text.lower()
    for needles, reason, hint in _OPEN_FAILURES:
        if any(n in lowered for n in needles):
            return StorageError(f"path={path} reason={reason}; {hint}")
    if key is not None and any(n in lowered for n in ("key", "decrypt", "tag")):
        return StorageError(f"path={path} reason=wrong_key ({text}); check the encryption key")
    return StorageError(f"path={path} reason=open_failed ({text}); check the path and disk space")


class StoreCore:
    """Lifecycle, write buffer and transactions of the PicTag store (one DuckDB file plus its secrets file).

    Build with `open`; close with `close` (or use as a context manager).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        *,
        encryption_key: str | None,
        secrets: CameraSecrets,
        batch_size: int,
        max_pending: int,
        engine: EngineSettings | None = None,
    ) -> None:
        self._con = con
        self._engine = engine if engine is not None else EngineSettings()
        self.path = path
        self.encrypted = encryption_key is not None
        self._key = encryption_key  # kept to re-attach after `compact`; never logged
        self._secrets = secrets
        self._lock = threading.RLock()
        self._closed = False
        #: Why the last `reopen` could not open the file again (None: open, or closed on purpose).
        self._lost: str | None = None
        self.batch_size = batch_size
        self._buffer = WriteBuffer(max_pending)
        self._counters = WriteCounters()
        self._last_flush = time.monotonic()
        self.embedding_dim = schema.embedding_dim(con)
        self.schema_version = schema.applied_versions(con)[-1]

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        encryption_key: str | None = None,
        embedding_dim: int = schema.DEFAULT_EMBEDDING_DIM,
        batch_size: int = 256,
        max_pending: int = 100_000,
        memory_limit: str = "1GB",
        threads: int = 2,
        checkpoint_threshold: str = "4MB",
    ) -> Self:
        """Open (creating and migrating if needed) the store at ``path``.

        Args:
            path: the DuckDB file; its folder is created if missing.
            encryption_key: open/create the file encrypted with this key
                (see `pictag.storage.crypto.resolve_key`); None for a plain file.
            embedding_dim: prototype width for a new file; must match an existing one.
            batch_size: pending rows that trigger an automatic flush.
            max_pending: bound of the write buffer; rows past it are dropped and counted.
            memory_limit, threads: DuckDB resources (the machine is small and shared).
            checkpoint_threshold: write-ahead log size that triggers a checkpoint. Rows
                committed since the last checkpoint stay in memory as well, so DuckDB's
                16 MB default let the store's memory swing by ~20 MB at 8 cameras.

        Raises:
            StorageError: locked by another process, encrypted without/with the
                wrong key, a plain file opened with a key, written by a newer
                PicTag, or a different embedding width.
        """
        target = Path(path).expanduser().resolve()
        if batch_size < 1:
            raise StorageError(f"batch_size={batch_size} reason=out_of_range; use at least 1")
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise StorageError(f"path={target} reason=cannot_create_folder ({err.strerror})") from err
        engine = EngineSettings(memory_limit=memory_limit, threads=threads, checkpoint_threshold=checkpoint_threshold)
        con = _connect(target, engine)
        try:
            cls._attach(con, target, encryption_key)
            _owner_only(target)
            schema.apply_migrations(con, embedding_dim=embedding_dim)
            secrets = CameraSecrets(secrets_path_for(target), key=encryption_key)
            store = cls(
                con,
                target,
                encryption_key=encryption_key,
                secrets=secrets,
                batch_size=batch_size,
                max_pending=max_pending,
                engine=engine,
            )
            store._after_open()
        except BaseException:
            con.close()
            raise
        log.info(
            "store opened path=%s encrypted=%s schema=%d",
            target,
            store.encrypted,
            store.schema_version,
        )
        return store

    @staticmethod
    def _attach(con: duckdb.DuckDBPyConnection, target: Path, key: str | None) -> None:
        # ATTACH takes no parameter for the path (DuckDB 1.5); it is an escaped literal.
        # The key is a parameter, and scrubbed from any error text.
        literal = sql_literal(str(target))
        try:
            if key is None:
                con.execute(f"ATTACH '{literal}' AS {CATALOG}")
            else:
                load_crypto(con)
                con.execute(f"ATTACH '{literal}' AS {CATALOG} (ENCRYPTION_KEY $key)", {"key": key})
            con.execute(f"USE {CATALOG}")
        except duckdb.Error as err:
            raise _open_error(target, err, key) from None

    def _after_open(self) -> None:
        """Checks run once the file is open and migrated (the cameras part sweeps orphan secrets)."""

    def _check_open(self) -> None:
        if self._lost is not None:
            raise StorageError(
                f"path={self.path} reason=reopen_failed ({self._lost}); the file could not be opened again, "
                "retried every storage.reopen_interval_s"
            )
        if self._closed:
            raise StorageError(f"path={self.path} reason=closed; open the store again")

    def check_open(self) -> None:
        """Raise `StorageError` naming the reason when the store cannot serve (closed, or its file lost)."""
        with self._lock:
            self._check_open()

    def close(self) -> None:
        """Flush what is pending, checkpoint and release the file. Idempotent."""
        with self._lock:
            if self._lost is not None and len(self._buffer):
                log.error("rows lost at close: %d pending, the file could not be opened again", len(self._buffer))
            if self._closed:
                return
            try:
                self._flush()
            except StorageError as err:
                log.error("rows lost at close: %s", err)
            try:
                self._con.execute("CHECKPOINT")
            except duckdb.Error as err:
                log.warning("checkpoint at close failed (the WAL replays on next open): %s", err)
            self._con.close()
            self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _auto_flush(self) -> None:
        if len(self._buffer) >= self.batch_size:
            self._flush()

    @locked
    def flush(self) -> int:
        """Commit every pending row in one transaction; return rows written.

        Raises:
            StorageError: the write failed; the rows stay pending (bounded) for the next try.
        """
        return self._flush()

    def _flush(self) -> int:
        self._last_flush = time.monotonic()
        if not len(self._buffer):
            return 0
        batch = self._buffer.take()
        started = time.perf_counter()
        try:
            self._con.begin()
            writes.write_batch(self._con, batch, self.embedding_dim)
            self._con.commit()
        except Exception as err:  # any failure: roll back and keep the rows
            try:
                self._con.rollback()
            except duckdb.Error:
                pass
            self._buffer.put_back(batch)
            self._counters.failed_flushes += 1
            self._counters.last_error = scrubbed(err, None)
            raise StorageError(
                f"path={self.path} rows={len(batch)} reason=flush_failed "
                f"({self._counters.last_error}); "
                "rows stay buffered: check disk space and the log"
            ) from err
        self._counters.flushes += 1
        self._counters.last_flush_s = time.perf_counter() - started
        for kind, n in batch.sizes().items():
            self._counters.written[kind] = self._counters.written.get(kind, 0) + n
        return len(batch)

    @locked
    def release_cache(self) -> int:
        """Hand DuckDB's cache of blocks already in the file back to the system; return bytes released.

        DuckDB keeps each block it has written or read until ``memory_limit`` is reached,
        holding data the OS page cache holds as well. Lowering the limit to what the store needs
        besides that cache, then restoring it, makes DuckDB evict those blocks. Rows not yet
        checkpointed are counted in the floor, so they are never spilled to a temp file.
        """
        usage = dict(self._con.execute("SELECT tag, memory_usage_bytes FROM duckdb_memory()").fetchall())
        cached = int(usage.get(CACHED_BLOCKS_TAG, 0))
        if cached < RELEASE_MIN_BYTES:
            return 0
        floor_mib = -(-(sum(usage.values()) - cached + RELEASE_HEADROOM_BYTES) // 2**20)
        try:
            self._con.execute(f"SET memory_limit='{floor_mib}MiB'")
        except duckdb.Error as err:  # something pinned more than the floor: nothing evicted, nothing lost
            log.debug("cache release skipped: %s", err)
        finally:
            self._con.execute(f"SET memory_limit='{sql_literal(self._engine.memory_limit)}'")
        left = self._con.execute(
            "SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = ?", [CACHED_BLOCKS_TAG]
        ).fetchone()
        return cached - (int(left[0]) if left else 0)

    def reopen(self) -> float:
        """Close DuckDB and open the file again on a fresh instance; return the seconds it took.

        DuckDB's buffer pool keeps an eviction-queue entry, with its block handle (~120 bytes),
        for every temporary buffer a statement has released, and purges a queue only once it
        holds more than 32,768 entries. The store's many small statements (one flush of events
        and sightings releases ~36 such buffers) fill the six queues of temporary buffers
        towards ~24 MiB over the first hours of a run: native memory that neither
        ``duckdb_memory()`` nor Python accounts for (docs/storage.md, "Memory"). Only a new
        instance hands it back; detaching the file would not, the queues belong to the
        instance. Pending rows are written and the file checkpointed first, so the new
        instance replays nothing.

        Raises:
            StorageError: the file could not be opened again. Until a later call succeeds,
                every call raises ``reason=reopen_failed`` with DuckDB's reason (so the store's
                health check reports it); rows that were pending stay buffered.
        """
        with self._lock:
            if self._closed and self._lost is None:
                self._check_open()
            started = time.perf_counter()
            if self._lost is None:
                try:
                    self._flush()
                except StorageError as err:  # the rows stay buffered for the new connection
                    log.warning("reopen with rows still pending: %s", err)
                self._checkpoint()
                self._con.close()
                self._closed = True
            try:
                con = _connect(self.path, self._engine)
                try:
                    self._attach(con, self.path, self._key)
                except BaseException:
                    con.close()
                    raise
            except StorageError as err:
                self._lost = str(err)
                raise
            except duckdb.Error as err:
                self._lost = scrubbed(err, self._key)
                raise StorageError(f"path={self.path} reason=reopen_failed ({self._lost})") from None
            self._con = con
            self._closed = False
            self._lost = None
            self._counters.reopens += 1
            return time.perf_counter() - started

    def flush_due(self, interval_s: float) -> bool:
        """True when rows are pending, ``interval_s`` passed since the last flush and the file is open.

        While a failed `reopen` has the file away, pending rows wait for the next reopen
        instead of failing a flush four times a second.
        """
        if self._lost is not None:
            return False
        return bool(len(self._buffer)) and time.monotonic() - self._last_flush >= interval_s

    @locked
    def counters(self) -> WriteCounters:
        """Pending, dropped and written rows per kind; flush counts and last error."""
        c = self._counters
        return WriteCounters(
            pending=self._buffer.pending(),
            dropped=dict(self._buffer.dropped),
            written=dict(c.written),
            flushes=c.flushes,
            failed_flushes=c.failed_flushes,
            reopens=c.reopens,
            last_flush_s=c.last_flush_s,
            last_error=c.last_error,
        )

    def _read_prep(self) -> None:
        """Flush first so callers see their own writes (a failed flush never blocks reads)."""
        try:
            self._flush()
        except StorageError as err:
            log.warning("read without pending rows: %s", err)

    def _transaction(self, work: Callable[[], R]) -> R:
        self._read_prep()
        self._con.begin()
        try:
            result = work()
            self._con.commit()
        except duckdb.Error as err:
            self._con.rollback()
            raise StorageError(f"path={self.path} reason=write_failed ({scrubbed(err, None)})") from err
        return result

    @locked
    def read_with(self, work: Callable[[duckdb.DuckDBPyConnection], R]) -> R:
        """Run a read of one of the storage SQL modules (reports, heatmaps) on the store's connection.

        Pending rows are flushed first; the call holds the store lock, so keep it short.
        """
        self._read_prep()
        return work(self._con)

    @locked
    def write_with(self, work: Callable[[duckdb.DuckDBPyConnection], R]) -> R:
        """Run a write of one of the storage SQL modules in one transaction (rolled back on error).

        Raises:
            StorageError: the write failed (nothing of it is kept).
        """
        return self._transaction(lambda: work(self._con))

    def _checkpoint(self) -> None:
        try:
            self._con.execute("CHECKPOINT")
        except duckdb.Error as err:
            log.warning("checkpoint failed (retried by DuckDB later): %s", err)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _owner_only(path: Path) -> None:
    """The store holds pseudonymous personal data: make the file owner-only (0600)."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except OSError as err:
        log.warning("path=%s reason=cannot_chmod (%s); restrict its permissions by hand", path, err.strerror)
