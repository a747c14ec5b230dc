"""Buffered writes from the pipeline: events, sightings, identities, visits, prototypes; footfall rows.

Events and keyed upserts go through the core's bounded `WriteBuffer` (coalesced by key,
drops counted) and reach the file at the next flush; footfall rows and staff marks are
few and written at once in their own transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pictag.errors import StorageError
from pictag.footfall.outputs import LineCrossing, ZoneEntered, ZoneLeft
from pictag.footfall.staff import StaffMark
from pictag.storage import footfall
from pictag.storage.buffer import check_identity, check_sighting, check_visit, normalise_event
from pictag.storage.records import IdentityRecord, TrackRecord, VisitRecord
from pictag.storage.store_core import StoreCore, locked

log = logging.getLogger(__name__)


class IngestMixin(StoreCore):
    """What the pipeline writes into the store."""

    @locked
    def add_events(self, events: Iterable[Mapping[str, Any]], *, now: float | None = None) -> int:
        """Queue published events (dicts from `pictag.events.make_event`).

        ``ts_unix`` is the timestamp, ``camera_id`` and ``person_id`` (or ``identity_id``, its old
        event key) are indexed columns, and the whole dict (secrets scrubbed) is the payload.

        Returns:
            Events accepted; the rest were dropped (buffer full) and counted.
        """
        when = time.time() if now is None else now
        rows = [normalise_event(e, when) for e in events]
        accepted = self._buffer.add_events(rows)
        self._auto_flush()
        return accepted

    @locked
    def upsert_sightings(self, rows: Iterable[TrackRecord]) -> int:
        """Queue sighting upserts; None fields keep what is stored (see `TrackRecord`).

        Every row is checked before any is queued, so a bad row queues nothing.

        Returns:
            Rows accepted; the rest were dropped (buffer full) and counted.

        Raises:
            StorageError: a malformed row (the message names the field).
        """
        checked = [check_sighting(r) for r in rows]
        return self._queued(sum(self._buffer.add_sighting(r) for r in checked))

    @locked
    def upsert_identities(self, rows: Iterable[IdentityRecord]) -> int:
        """Queue identity upserts (``n_prototypes`` is ignored); returns rows accepted.

        Raises:
            StorageError: a malformed row.
        """
        checked = [check_identity(r) for r in rows]
        return self._queued(sum(self._buffer.add_identity(r) for r in checked))

    @locked
    def upsert_visits(self, rows: Iterable[VisitRecord]) -> int:
        """Queue visit upserts; returns rows accepted.

        Raises:
            StorageError: a malformed row.
        """
        checked = [check_visit(r) for r in rows]
        return self._queued(sum(self._buffer.add_visit(r) for r in checked))

    def _queued(self, accepted: int) -> int:
        self._auto_flush()
        return accepted

    @locked
    def put_prototypes(
        self,
        person_id: str,
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
                f"person_id={person_id} shape={arr.shape} expected=(k, {self.embedding_dim}) "
                "reason=bad_embeddings; pass finite float vectors of the store's width"
            )
        if not person_id:
            raise StorageError("person_id='' reason=missing; pass the person's id")
        ok = self._buffer.add_prototypes(person_id, arr.copy(), time.time() if updated_at is None else updated_at)
        self._auto_flush()
        return ok

    @locked
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

    @locked
    def put_staff_mark(self, mark: StaffMark, *, now: float | None = None) -> None:
        """Store a manual staff mark or unmark (replaces the person's decision for that day)."""
        when = time.time() if now is None else now
        self._transaction(lambda: footfall.put_staff_mark(self._con, mark, when))

    @locked
    def delete_staff_mark(self, person_id: str, day: dt.date | None = None) -> bool:
        """Remove a manual staff decision; True if there was one."""
        return self._transaction(lambda: footfall.delete_staff_mark(self._con, person_id, day))
