"""`Store`: the one object that owns the DuckDB file (used by the single StoreActor).

DuckDB lets one process open a file for writing, so every write and every API
read goes through one `Store` instance. Writes are buffered (bounded, drops
counted) and committed by `flush` in one transaction; cameras, erasure and
retention are written at once. Reads flush first, so a caller always sees its
own writes. Methods are serialised by a lock, so an async or threaded actor
may call them from several tasks.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar, cast

import duckdb
import numpy as np
import numpy.typing as npt

from pictag.errors import StorageError
from pictag.footfall.outputs import LineCrossing, ZoneEntered, ZoneLeft
from pictag.footfall.staff import StaffMark
from pictag.redaction import REDACTED, redact_url, url_secrets
from pictag.storage import footfall, maintenance, queries, schema, sessions, writes
from pictag.storage.buffer import (
    WriteBuffer,
    normalise_event,
    normalise_identity,
    normalise_sighting,
    normalise_visit,
    scrub_value,
    to_json,
)
from pictag.storage.camera_secrets import CameraSecrets, secrets_path_for
from pictag.storage.crypto import load_crypto, sql_literal
from pictag.storage.footfall import FootfallData
from pictag.storage.heatmaps import purge_heatmaps
from pictag.storage.integrations import purge_deliveries
from pictag.storage.records import (
    CameraRecord,
    EventRecord,
    Gallery,
    IdentityDetail,
    IdentityRecord,
    StoredCamera,
    StoreStats,
    TrackRecord,
    VisitRecord,
    WriteCounters,
)
from pictag.storage.sessions import SessionRecord
from pictag.storage.stats import compute_stats

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_CATALOG = "pictag_store"
_CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _count(row: tuple[Any, ...] | None) -> int:
    """The number in a ``SELECT count(*)`` row."""
    return int(row[0]) if row is not None else 0


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    """Serialise a `Store` method on the instance lock (DuckDB connections are not thread-safe)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        store = cast("Store", args[0])
        with store._lock:
            store._check_open()
            return method(*args, **kwargs)

    return wrapper


def _scrubbed(err: BaseException, key: str | None) -> str:
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
    text = _scrubbed(err, key)
    lowered = text.lower()
    for needles, reason, hint in _OPEN_FAILURES:
        if any(n in lowered for n in needles):
            return StorageError(f"path={path} reason={reason}; {hint}")
    if key is not None and any(n in lowered for n in ("key", "decrypt", "tag")):
        return StorageError(f"path={path} reason=wrong_key ({text}); check the encryption key")
    return StorageError(f"path={path} reason=open_failed ({text}); check the path and disk space")


class Store:
    """The PicTag store: one DuckDB file plus its camera secrets file.

    Build with `Store.open`; close with `close` (or use as a context manager).
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
    ) -> None:
        self._con = con
        self.path = path
        self.encrypted = encryption_key is not None
        self._key = encryption_key  # kept to re-attach after `compact`; never logged
        self._secrets = secrets
        self._lock = threading.RLock()
        self._closed = False
        self.batch_size = batch_size
        self._buffer = WriteBuffer(max_pending)
        self._counters = WriteCounters()
        self._last_flush = time.monotonic()
        self.embedding_dim = schema.embedding_dim(con)
        self.schema_version = schema.applied_versions(con)[-1]

    # ------------------------------------------------------------------ lifecycle

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
    ) -> Store:
        """Open (creating and migrating if needed) the store at ``path``.

        Args:
            path: the DuckDB file; its folder is created if missing.
            encryption_key: open/create the file encrypted with this key
                (see `pictag.storage.crypto.resolve_key`); None for a plain file.
            embedding_dim: prototype width for a new file; must match an existing one.
            batch_size: pending rows that trigger an automatic flush.
            max_pending: bound of the write buffer; rows past it are dropped and counted.
            memory_limit, threads: DuckDB resources (the machine is small and shared).

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
        con = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "memory_limit": memory_limit,
                "threads": threads,
            },
        )
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
            )
            store._sweep_secrets()
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
                con.execute(f"ATTACH '{literal}' AS {_CATALOG}")
            else:
                load_crypto(con)
                con.execute(f"ATTACH '{literal}' AS {_CATALOG} (ENCRYPTION_KEY $key)", {"key": key})
            con.execute(f"USE {_CATALOG}")
        except duckdb.Error as err:
            raise _open_error(target, err, key) from None

    def _sweep_secrets(self) -> None:
        live = {c.id for c in queries.list_cameras(self._con)}
        orphans = self._secrets.retain_only(live)
        if orphans:
            log.warning("dropped secrets of %d camera(s) with no row (interrupted change)", len(orphans))

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"path={self.path} reason=closed; open the store again")

    def close(self) -> None:
        """Flush what is pending, checkpoint and release the file. Idempotent."""
        with self._lock:
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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ buffered writes

    @_locked
    def add_events(self, events: Iterable[Mapping[str, Any]], *, now: float | None = None) -> int:
        """Queue published events (dicts from `pictag.events.make_event`).

        ``ts_unix`` is the timestamp, ``camera_id`` and ``identity_id``/``person_id``
        are indexed columns, and the whole dict (secrets scrubbed) is the payload.

        Returns:
            Events accepted; the rest were dropped (buffer full) and counted.
        """
        when = time.time() if now is None else now
        rows = [normalise_event(e, when) for e in events]
        accepted = self._buffer.add_events(rows)
        self._auto_flush()
        return accepted

    @_locked
    def upsert_sightings(self, rows: Iterable[Any]) -> int:
        """Queue sighting upserts (dicts or objects with the same fields).

        Fields: camera_id, track_id, started_at (required); id (else ``key``, else
        ``camera:track:started``), identity_id (or person_id), last_seen_at,
        ended_at, frames, best_box, last_box (or box), mean_confidence. Missing
        values keep what is stored.
        """
        return self._add_keyed("sightings", (normalise_sighting(r) for r in rows))

    @_locked
    def upsert_identities(self, rows: Iterable[Any]) -> int:
        """Queue identity upserts: id, created_at, last_seen_at, n_sightings."""
        return self._add_keyed("identities", (normalise_identity(r) for r in rows))

    @_locked
    def upsert_visits(self, rows: Iterable[Any]) -> int:
        """Queue visit upserts: id, identity_id, started_at, last_seen_at, ended_at,
        cameras, dwell_s (default: end - start), closed (default: ended_at set)."""
        return self._add_keyed("visits", (normalise_visit(r) for r in rows))

    def _add_keyed(self, kind: str, rows: Iterable[dict[str, Any]]) -> int:
        accepted = sum(1 for row in list(rows) if self._buffer.add_keyed(kind, row))
        self._auto_flush()
        return accepted

    @_locked
    def put_prototypes(
        self,
        identity_id: str,
        embeddings: npt.ArrayLike,
        *,
        updated_at: float | None = None,
    ) -> bool:
        """Queue the full prototype set of an identity (replaces every stored slot).

        Args:
            embeddings: (k, d) or (d,) float array, d = the store's embedding_dim.

        Returns:
            False when the buffer was full (counted as a drop).
        """
        arr = np.asarray(embeddings, dtype=np.float32)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.embedding_dim or not np.isfinite(arr).all():
            raise StorageError(
                f"identity={identity_id} shape={arr.shape} expected=(k, {self.embedding_dim}) "
                "reason=bad_embeddings; pass finite float vectors of the store's width"
            )
        if not identity_id:
            raise StorageError("identity_id='' reason=missing; pass the identity's id")
        ok = self._buffer.add_prototypes(identity_id, arr.copy(), time.time() if updated_at is None else updated_at)
        self._auto_flush()
        return ok

    def _auto_flush(self) -> None:
        if len(self._buffer) >= self.batch_size:
            self._flush()

    @_locked
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
            self._counters.last_error = _scrubbed(err, None)
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

    def flush_due(self, interval_s: float) -> bool:
        """True when rows are pending and ``interval_s`` passed since the last flush."""
        return bool(len(self._buffer)) and time.monotonic() - self._last_flush >= interval_s

    @_locked
    def counters(self) -> WriteCounters:
        """Pending, dropped and written rows per kind; flush counts and last error."""
        c = self._counters
        return WriteCounters(
            pending=self._buffer.pending(),
            dropped=dict(self._buffer.dropped),
            written=dict(c.written),
            flushes=c.flushes,
            failed_flushes=c.failed_flushes,
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
            raise StorageError(f"path={self.path} reason=write_failed ({_scrubbed(err, None)})") from err
        return result

    @_locked
    def read_with(self, work: Callable[[duckdb.DuckDBPyConnection], R]) -> R:
        """Run a read of one of the storage SQL modules (reports, heatmaps) on the store's connection.

        Pending rows are flushed first; the call holds the store lock, so keep it short.
        """
        self._read_prep()
        return work(self._con)

    @_locked
    def write_with(self, work: Callable[[duckdb.DuckDBPyConnection], R]) -> R:
        """Run a write of one of the storage SQL modules in one transaction (rolled back on error).

        Raises:
            StorageError: the write failed (nothing of it is kept).
        """
        return self._transaction(lambda: work(self._con))

    @_locked
    def close_open_sightings(self, before: float | None = None) -> int:
        """End sightings left open by a previous run (call at runtime start); return how many."""
        return self._transaction(lambda: maintenance.close_open_sightings(self._con, before))

    # ------------------------------------------------------------------ cameras

    @_locked
    def upsert_camera(
        self,
        camera_id: str,
        *,
        url: str,
        name: str = "",
        enabled: bool = True,
        analysis_fps: float = 10.0,
        settings: Mapping[str, Any] | None = None,
        now: float | None = None,
    ) -> CameraRecord:
        """Add or change a camera; credentials go to the secrets file, never to a row.

        A soft-deleted camera with the same id is revived.
        """
        if not _CAMERA_ID.match(camera_id):
            raise StorageError(f"camera={camera_id!r} reason=bad_id; use letters, digits, _ . - (max 64)")
        secrets = url_secrets(url)
        redacted = redact_url(url)
        name_clean = _replace_all(str(name), secrets)
        settings_json = to_json(_scrub_secrets(dict(settings or {}), secrets))
        if any(s in redacted or s in name_clean or s in settings_json for s in secrets):
            raise StorageError(f"camera={camera_id} reason=secret_not_redacted; report this bug")
        when = time.time() if now is None else now
        self._secrets.put(camera_id, url)  # before the row: a committed row always finds its secret
        self._transaction(
            lambda: self._con.execute(
                """INSERT INTO cameras (id, name, url_redacted, enabled, analysis_fps, settings,
                                        created_at, updated_at, deleted_at)
                   VALUES ($id, $name, $url, $enabled, $fps, $settings::JSON, $now, $now, NULL)
                   ON CONFLICT (id) DO UPDATE SET
                     name = excluded.name, url_redacted = excluded.url_redacted,
                     enabled = excluded.enabled, analysis_fps = excluded.analysis_fps,
                     settings = excluded.settings, updated_at = excluded.updated_at,
                     deleted_at = NULL""",
                {
                    "id": camera_id,
                    "name": name_clean,
                    "url": redacted,
                    "enabled": bool(enabled),
                    "fps": float(analysis_fps),
                    "settings": settings_json,
                    "now": when,
                },
            )
        )
        record = queries.get_camera(self._con, camera_id)
        if record is None:
            raise StorageError(f"camera={camera_id} reason=not_written; check the log")
        return record

    @_locked
    def delete_camera(self, camera_id: str, *, now: float | None = None) -> bool:
        """Soft-delete a camera (its history stays for statistics) and forget its secret.

        Returns:
            False when no live camera had that id.
        """
        when = time.time() if now is None else now
        changed = self._transaction(
            lambda: maintenance.count_rows(
                self._con,
                """UPDATE cameras SET deleted_at = $now, enabled = false, updated_at = $now
                   WHERE id = $id AND deleted_at IS NULL""",
                {"id": camera_id, "now": when},
            )
        )
        self._secrets.discard(camera_id)
        return changed > 0

    @_locked
    def load_settings(self) -> dict[str, Any]:
        """Run-time setting overrides saved by `save_settings` (empty when none)."""
        row = self._con.execute("SELECT value FROM store_meta WHERE key = 'settings'").fetchone()
        return dict(json.loads(row[0])) if row else {}

    @_locked
    def save_settings(self, settings: Mapping[str, Any]) -> None:
        """Persist run-time setting overrides (no secrets: callers pass only tunables)."""
        text = json.dumps(dict(settings), sort_keys=True)
        self._transaction(
            lambda: self._con.execute(
                """INSERT INTO store_meta VALUES ('settings', $v)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
                {"v": text},
            )
        )

    # ------------------------------------------------------------------ login sessions

    @_locked
    def add_session(self, record: SessionRecord, *, now: float | None = None) -> None:
        """Store a dashboard login at once (never buffered); expired ones are dropped."""
        sessions.add(self._con, record, time.time() if now is None else now)

    @_locked
    def get_session(self, id_hash: str, *, now: float | None = None) -> SessionRecord | None:
        """The unexpired login with this id hash, if any."""
        return sessions.get(self._con, id_hash, time.time() if now is None else now)

    @_locked
    def delete_session(self, id_hash: str) -> bool:
        """Revoke one login (logout, or a session of an old token); True if it existed."""
        return sessions.delete(self._con, id_hash)

    @_locked
    def list_cameras(self, *, include_deleted: bool = False) -> list[CameraRecord]:
        """Cameras as stored (redacted URLs only), by id."""
        return queries.list_cameras(self._con, include_deleted)

    @_locked
    def get_camera(self, camera_id: str) -> CameraRecord | None:
        """One camera (soft-deleted included) or None."""
        return queries.get_camera(self._con, camera_id)

    @_locked
    def load_cameras(self) -> list[StoredCamera]:
        """Live cameras with their full URLs, for starting capture actors at start-up."""
        out = []
        for record in queries.list_cameras(self._con):
            secret = self._secrets.get(record.id)
            missing = secret is None and REDACTED in record.url_redacted
            if missing:
                log.warning("camera=%s reason=missing_secret; re-enter its URL", record.id)
            out.append(StoredCamera(record=record, url=secret or record.url_redacted, missing_secret=missing))
        return out

    # ------------------------------------------------------------------ reads

    @_locked
    def list_tracks(
        self,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        identity: str | None = None,
    ) -> list[TrackRecord]:
        """Sightings overlapping ``[since, until)``, newest first."""
        self._read_prep()
        return queries.list_tracks(
            self._con,
            camera=camera,
            identity=identity,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    @_locked
    def list_events(
        self,
        event_type: str | None = None,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        identity: str | None = None,
    ) -> list[EventRecord]:
        """Stored events in ``[since, until)``, newest first."""
        self._read_prep()
        return queries.list_events(
            self._con,
            event_type=event_type,
            camera=camera,
            identity=identity,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    @_locked
    def list_identities(
        self,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[IdentityRecord]:
        """Identities active in the window, most recently seen first (no embeddings)."""
        self._read_prep()
        return queries.list_identities(self._con, since=since, until=until, limit=limit, offset=offset)

    @_locked
    def get_identity(self, identity_id: str) -> IdentityDetail | None:
        """One identity and counts of what is stored about it; None when unknown."""
        self._read_prep()
        return queries.get_identity(self._con, identity_id)

    @_locked
    def list_visits(
        self,
        since: float | None = None,
        until: float | None = None,
        camera: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        identity: str | None = None,
    ) -> list[VisitRecord]:
        """Visits overlapping ``[since, until)`` (optionally through ``camera``), newest first."""
        self._read_prep()
        return queries.list_visits(
            self._con,
            since=since,
            until=until,
            camera=camera,
            identity=identity,
            limit=limit,
            offset=offset,
        )

    @_locked
    def row_counts(self) -> dict[str, int]:
        """Committed rows per data table (after a flush): durability checks and diagnostics."""
        self._read_prep()
        return {
            table: _count(self._con.execute(f"SELECT count(*) FROM {table}").fetchone())  # noqa: S608 - fixed names
            for table in ("events", "sightings", "identities", "visits")
        }

    @_locked
    def stats(
        self,
        since: float,
        until: float,
        camera: str | None = None,
        *,
        now: float | None = None,
        stale_s: float = 120.0,
    ) -> StoreStats:
        """Occupancy, unique/returning visitors, dwell, visitors per hour (docs/storage.md)."""
        self._read_prep()
        return compute_stats(
            self._con,
            since=since,
            until=until,
            camera=camera,
            now=time.time() if now is None else now,
            stale_s=stale_s,
        )

    @_locked
    def load_gallery(self) -> Gallery:
        """Identity ids and prototypes as arrays, for the gallery reload at start-up."""
        self._read_prep()
        return queries.load_gallery(self._con, self.embedding_dim)

    # ------------------------------------------------------------------ footfall

    @_locked
    def add_footfall(
        self,
        crossings: Sequence[LineCrossing] = (),
        entries: Sequence[ZoneEntered] = (),
        leaves: Sequence[ZoneLeft] = (),
    ) -> int:
        """Write line crossings and zone presences at once (a few a minute, so no buffer); return rows."""
        if not (crossings or entries or leaves):
            return 0
        return self._transaction(
            lambda: (
                footfall.insert_line_crossings(self._con, crossings)
                + footfall.upsert_zone_visits(self._con, entries, leaves)
            )
        )

    @_locked
    def put_staff_mark(self, mark: StaffMark, *, now: float | None = None) -> None:
        """Store a manual staff mark or unmark (replaces the person's decision for that day)."""
        when = time.time() if now is None else now
        self._transaction(lambda: footfall.put_staff_mark(self._con, mark, when))

    @_locked
    def delete_staff_mark(self, person_id: str, day: dt.date | None = None) -> bool:
        """Remove a manual staff decision; True if there was one."""
        return self._transaction(lambda: footfall.delete_staff_mark(self._con, person_id, day))

    @_locked
    def list_staff_marks(self) -> list[StaffMark]:
        """Every manual staff decision."""
        self._read_prep()
        return footfall.list_staff_marks(self._con)

    @_locked
    def staff_zone_entries(self, since: float, until: float) -> list[ZoneEntered]:
        """Staff-zone entries in ``[since, until)`` (the live staff register reloads today's)."""
        self._read_prep()
        return footfall.read_zone_entries(self._con, since, until, kind="staff")

    @_locked
    def footfall_data(self, since: float, until: float, days: tuple[float, float]) -> FootfallData:
        """Rows behind a window's footfall figures (``days``: span of the local days it touches)."""
        self._read_prep()
        return footfall.read_footfall(self._con, since, until, days)

    # ------------------------------------------------------------------ privacy maintenance

    @_locked
    def delete_identity(self, identity_id: str) -> dict[str, int]:
        """Erase an identity: prototypes, identity row, sightings, visits, events naming it.

        Pending rows naming it are dropped too, and the file is checkpointed so
        the deleted rows leave the write-ahead log. Returns rows deleted per table
        (all zero: unknown id).
        """
        self._buffer.forget_identity(identity_id)
        counts = self._transaction(lambda: maintenance.erase_identity(self._con, identity_id))
        self._checkpoint()
        return counts

    @_locked
    def purge_older_than(self, cutoff: float) -> dict[str, int]:
        """Retention: delete events, sightings, visits, identities and embeddings older
        than ``cutoff`` (epoch seconds); return rows deleted per table."""
        counts = self._transaction(
            lambda: {**maintenance.purge_older_than(self._con, cutoff), **_purge_integrations(self._con, cutoff)}
        )
        if any(counts.values()):
            self._checkpoint()
        return counts

    @_locked
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
            self._con.execute(f"COPY FROM DATABASE {_CATALOG} TO pictag_compact")
            self._con.execute("DETACH pictag_compact")
            self._con.execute("USE memory")
            self._con.execute(f"DETACH {_CATALOG}")
        except duckdb.Error as err:
            self._recover_after_failed_compact(tmp)
            raise StorageError(
                f"path={self.path} reason=compact_failed ({_scrubbed(err, self._key)}); the store is unchanged"
            ) from err
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
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
        if _CATALOG not in attached:
            self._attach(self._con, self.path, self._key)
        else:
            self._con.execute(f"USE {_CATALOG}")

    def _checkpoint(self) -> None:
        try:
            self._con.execute("CHECKPOINT")
        except duckdb.Error as err:
            log.warning("checkpoint failed (retried by DuckDB later): %s", err)

    @_locked
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
            raise StorageError(f"path={path} reason=export_failed ({_scrubbed(err, None)})") from err


def _purge_integrations(con: duckdb.DuckDBPyConnection, cutoff: float) -> dict[str, int]:
    """Retention of issue 18's tables (webhook deliveries, heatmaps)."""
    return {**purge_deliveries(con, cutoff), **purge_heatmaps(con, cutoff)}


def _fsync_dir(folder: Path) -> None:
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


def _replace_all(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _scrub_secrets(value: Any, secrets: list[str]) -> Any:
    """`scrub_value`, then literal secrets of the camera's URL, in every string."""
    value = scrub_value(value)
    if isinstance(value, str):
        return _replace_all(value, secrets)
    if isinstance(value, dict):
        return {_replace_all(k, secrets): _scrub_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_secrets(v, secrets) for v in value]
    return value
