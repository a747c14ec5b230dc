"""Camera credentials kept out of the database: ``<db>.secrets.json`` beside it.

Database rows hold only the redacted URL, so a copied, exported or backed-up
DuckDB file never carries an RTSP password. The full URLs of cameras added at
run time live in a small JSON file with mode 0600, replaced atomically (write a
temp file in the same folder, fsync, rename, fsync the folder), so a crash
leaves either the old or the new file, never a torn one. Only URLs that differ
from their redacted form (that is, that carry a secret) are written.

Two formats:

- version 1, plain: ``{"version": 1, "urls": {camera_id: url}}`` (storage not encrypted);
- version 2, encrypted with the database key when storage encryption is on:
  ``{"version": 2, "cipher": "AES-256-GCM", "kdf": {...}, "nonce": ..., "data": ...}``
  (`pictag.storage.secret_box`); the plaintext is the version-1 ``urls`` object.

A plain file found while a key is configured is encrypted in place at open (the
migration). A file that needs a key it was not given, or that the given key does
not open, is refused with a `StorageError` and left untouched.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from pictag.errors import StorageError
from pictag.redaction import redact_url
from pictag.storage.secret_box import SecretBox, SecretBoxError, WrongKeyError

log = logging.getLogger(__name__)

PLAIN_VERSION = 1
ENCRYPTED_VERSION = 2
#: Binds an envelope to its purpose: a sealed file of another kind cannot pass for this one.
_AAD = b"pictag camera secrets v2"


def secrets_path_for(db_path: str | Path) -> Path:
    """``/data/pictag.duckdb`` → ``/data/pictag.duckdb.secrets.json``."""
    path = Path(db_path)
    return path.with_name(path.name + ".secrets.json")


class CameraSecrets:
    """Full camera URLs by camera id, persisted with owner-only permissions.

    With ``key`` (the database encryption key) the file is encrypted at rest.
    Not thread-safe; the single store writer owns it.
    """

    def __init__(self, path: str | Path, key: str | None = None) -> None:
        self.path = Path(path)
        self._box = SecretBox(key, _AAD) if key else None
        self._urls: dict[str, str] = {}
        version = self._read()
        if version == PLAIN_VERSION and self._box is not None:
            self._write()
            log.info("secrets_file=%s encrypted with the database key (was plain text)", self.path)

    @property
    def encrypted(self) -> bool:
        """True when the file is (or will be) written encrypted."""
        return self._box is not None

    def _read(self) -> int | None:
        """Load the file into ``_urls``; return its format version (None: no file yet)."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StorageError(
                f"secrets_file={self.path} reason=unreadable ({err.strerror}); check its owner "
                "and permissions (it must be readable by the PicTag user only)"
            ) from err
        try:
            data = json.loads(raw)
            version = data.get("version", PLAIN_VERSION) if isinstance(data, dict) else None
            if version not in (PLAIN_VERSION, ENCRYPTED_VERSION, None):
                raise StorageError(
                    f"secrets_file={self.path} reason=newer_format version={version}; it was written by a "
                    "newer PicTag: upgrade PicTag (the file is left unchanged)"
                )
            if version == ENCRYPTED_VERSION:
                data = self._decrypt(data)
            urls = data["urls"]
            if not isinstance(urls, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in urls.items()
            ):
                raise TypeError("urls must map strings to strings")
        except (ValueError, KeyError, TypeError) as err:
            raise StorageError(
                f"secrets_file={self.path} reason=corrupt ({type(err).__name__}); restore it from "
                "a backup or delete it and re-enter the camera URLs"
            ) from err
        if self.path.stat().st_mode & 0o077:
            log.warning("secrets_file=%s reason=too_open; tightening to 0600", self.path)
            os.chmod(self.path, 0o600)
        self._urls = dict(urls)
        return int(version)  # type: ignore[arg-type]  # checked above: 1 or 2

    def _decrypt(self, envelope: dict[str, object]) -> dict[str, object]:
        if self._box is None:
            raise StorageError(
                f"secrets_file={self.path} reason=encrypted_needs_key; it was encrypted with the "
                "database key: set storage.encryption_key_env or storage.encryption_key_file (the file "
                "is left unchanged)"
            )
        try:
            plain = self._box.open(envelope)
        except WrongKeyError as err:
            raise StorageError(
                f"secrets_file={self.path} reason=wrong_key ({err}); use the key the database was "
                "encrypted with (the file is left unchanged)"
            ) from None
        except SecretBoxError as err:
            raise StorageError(
                f"secrets_file={self.path} reason=corrupt ({err}); restore it from a backup or delete it "
                "and re-enter the camera URLs (the file is left unchanged)"
            ) from None
        data = json.loads(plain.decode("utf-8"))
        if not isinstance(data, dict):
            raise TypeError("decrypted content is not an object")
        return data

    def get(self, camera_id: str) -> str | None:
        """The full URL of a camera, or None when it has no stored secret."""
        return self._urls.get(camera_id)

    def camera_ids(self) -> list[str]:
        """Cameras that have a stored URL."""
        return sorted(self._urls)

    def put(self, camera_id: str, url: str) -> None:
        """Remember ``url`` for a camera (only if it carries a secret) and persist."""
        if redact_url(url) == url:
            self.discard(camera_id)
            return
        if self._urls.get(camera_id) == url:
            return
        self._urls[camera_id] = url
        self._write()

    def discard(self, camera_id: str) -> None:
        """Forget a camera's URL (no-op when absent) and persist."""
        if self._urls.pop(camera_id, None) is not None:
            self._write()

    def retain_only(self, camera_ids: set[str]) -> list[str]:
        """Drop secrets of cameras not in ``camera_ids`` (orphans after a crash); return them."""
        orphans = [cid for cid in self._urls if cid not in camera_ids]
        for cid in orphans:
            del self._urls[cid]
        if orphans:
            self._write()
        return orphans

    def _write(self) -> None:
        folder = self.path.parent
        content: dict[str, object] = {"version": PLAIN_VERSION, "urls": self._urls}
        if self._box is not None:
            sealed = self._box.seal(json.dumps({"urls": self._urls}, sort_keys=True).encode("utf-8"))
            content = {"version": ENCRYPTED_VERSION, **sealed}
        payload = json.dumps(content, indent=1, sort_keys=True)
        try:
            fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=folder)
        except OSError as err:
            raise StorageError(
                f"secrets_file={self.path} reason=unwritable ({err.strerror}); check the folder exists and is writable"
            ) from err
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)  # mkstemp's default; before any secret byte
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(folder)
        except OSError as err:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError(
                f"secrets_file={self.path} reason=write_failed ({err.strerror}); free disk space "
                "or fix permissions, then retry the camera change"
            ) from err


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
