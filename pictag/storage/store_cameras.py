"""Cameras, their secrets, run-time settings and dashboard logins: small rows written at once.

Camera URLs are split on write: the redacted URL goes to the ``cameras`` row, the full
URL to the secrets file (`CameraSecrets`); nothing here is buffered.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from pictag.errors import StorageError
from pictag.redaction import REDACTED, redact_url, url_secrets
from pictag.storage import maintenance, queries, sessions
from pictag.storage.buffer import (
    scrub_value,
    to_json,
)
from pictag.storage.records import (
    CameraRecord,
    StoredCamera,
)
from pictag.storage.sessions import SessionRecord
from pictag.storage.store_core import StoreCore, locked

log = logging.getLogger(__name__)

_CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class CamerasMixin(StoreCore):
    """Configuration the store keeps: cameras (with secrets), settings, login sessions."""

    def _after_open(self) -> None:
        """Drop secrets of cameras with no row (a change interrupted between the two files)."""
        super()._after_open()
        live = {c.id for c in queries.list_cameras(self._con)}
        orphans = self._secrets.retain_only(live)
        if orphans:
            log.warning("dropped secrets of %d camera(s) with no row (interrupted change)", len(orphans))

    @locked
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

    @locked
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

    @locked
    def list_cameras(self, *, include_deleted: bool = False) -> list[CameraRecord]:
        """Cameras as stored (redacted URLs only), by id."""
        return queries.list_cameras(self._con, include_deleted)

    @locked
    def get_camera(self, camera_id: str) -> CameraRecord | None:
        """One camera (soft-deleted included) or None."""
        return queries.get_camera(self._con, camera_id)

    @locked
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

    @locked
    def load_settings(self) -> dict[str, Any]:
        """Run-time setting overrides saved by `save_settings` (empty when none)."""
        row = self._con.execute("SELECT value FROM store_meta WHERE key = 'settings'").fetchone()
        return dict(json.loads(row[0])) if row else {}

    @locked
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

    @locked
    def add_session(self, record: SessionRecord, *, now: float | None = None) -> None:
        """Store a dashboard login at once (never buffered); expired ones are dropped."""
        sessions.add(self._con, record, time.time() if now is None else now)

    @locked
    def get_session(self, id_hash: str, *, now: float | None = None) -> SessionRecord | None:
        """The unexpired login with this id hash, if any."""
        return sessions.get(self._con, id_hash, time.time() if now is None else now)

    @locked
    def delete_session(self, id_hash: str) -> bool:
        """Revoke one login (logout, or a session of an old token); True if it existed."""
        return sessions.delete(self._con, id_hash)


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
