"""Reads of the store: tracks, events, identities, visits, statistics, gallery, footfall rows.

Every read flushes pending rows first (`_read_prep`), so callers see their own writes;
the SQL itself lives in `queries`, `stats` and `footfall`.
"""

from __future__ import annotations

import logging
import time

from pictag.footfall.outputs import ZoneEntered
from pictag.footfall.staff import StaffMark
from pictag.storage import footfall, queries
from pictag.storage.footfall import FootfallData
from pictag.storage.records import (
    EventRecord,
    Gallery,
    IdentityDetail,
    IdentityRecord,
    StoreStats,
    TrackRecord,
    VisitRecord,
)
from pictag.storage.stats import compute_stats
from pictag.storage.store_core import StoreCore, count, locked

log = logging.getLogger(__name__)


class ReadsMixin(StoreCore):
    """What the API, reports and the identity stage read back."""

    @locked
    def list_tracks(
        self,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        person_id: str | None = None,
    ) -> list[TrackRecord]:
        """Sightings overlapping ``[since, until)``, newest first."""
        self._read_prep()
        return queries.list_tracks(
            self._con,
            camera=camera,
            person_id=person_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    @locked
    def list_events(
        self,
        event_type: str | None = None,
        camera: str | None = None,
        since: float | None = None,
        until: float | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        person_id: str | None = None,
    ) -> list[EventRecord]:
        """Stored events in ``[since, until)``, newest first."""
        self._read_prep()
        return queries.list_events(
            self._con,
            event_type=event_type,
            camera=camera,
            person_id=person_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    @locked
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

    @locked
    def get_identity(self, person_id: str) -> IdentityDetail | None:
        """One identity and counts of what is stored about it; None when unknown."""
        self._read_prep()
        return queries.get_identity(self._con, person_id)

    @locked
    def list_visits(
        self,
        since: float | None = None,
        until: float | None = None,
        camera: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        person_id: str | None = None,
    ) -> list[VisitRecord]:
        """Visits overlapping ``[since, until)`` (optionally through ``camera``), newest first."""
        self._read_prep()
        return queries.list_visits(
            self._con,
            since=since,
            until=until,
            camera=camera,
            person_id=person_id,
            limit=limit,
            offset=offset,
        )

    @locked
    def row_counts(self) -> dict[str, int]:
        """Committed rows per data table (after a flush): durability checks and diagnostics."""
        self._read_prep()
        return {
            table: count(self._con.execute(f"SELECT count(*) FROM {table}").fetchone())  # noqa: S608 - fixed names
            for table in ("events", "sightings", "identities", "visits")
        }

    @locked
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

    @locked
    def load_gallery(self) -> Gallery:
        """Identity ids and prototypes as arrays, for the gallery reload at start-up."""
        self._read_prep()
        return queries.load_gallery(self._con, self.embedding_dim)

    @locked
    def list_staff_marks(self) -> list[StaffMark]:
        """Every manual staff decision."""
        self._read_prep()
        return footfall.list_staff_marks(self._con)

    @locked
    def staff_zone_entries(self, since: float, until: float) -> list[ZoneEntered]:
        """Staff-zone entries in ``[since, until)`` (the live staff register reloads today's)."""
        self._read_prep()
        return footfall.read_zone_entries(self._con, since, until, kind="staff")

    @locked
    def footfall_data(self, since: float, until: float, days: tuple[float, float]) -> FootfallData:
        """Rows behind a window's footfall figures (``days``: span of the local days it touches)."""
        self._read_prep()
        return footfall.read_footfall(self._con, since, until, days)
