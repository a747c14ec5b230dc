"""Encryption at rest: key resolution and the OpenSSL crypto module DuckDB needs to write.

DuckDB encrypts database files itself (AES-GCM, ``ATTACH ... (ENCRYPTION_KEY ...)``).
Since 1.4 its built-in crypto module is read-only; writing needs OpenSSL, which
ships inside the ``httpfs`` extension. Extensions cannot be downloaded at run
time here, so we load the extension binary from the PyPI package
``duckdb-extension-httpfs`` (one release per DuckDB version, binary at
``duckdb_extension_httpfs/extensions/v<duckdb version>/httpfs.duckdb_extension``).
We never fall back to DuckDB's ``force_mbedtls_unsafe``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import duckdb

from pictag.errors import StorageError
from pictag.storage.camera_secrets import CameraSecrets, secrets_path_for

log = logging.getLogger(__name__)

HTTPFS_PACKAGE = "duckdb_extension_httpfs"
MIN_KEY_LENGTH = 16
#: Newest DuckDB with an httpfs build on PyPI (duckdb-extension-httpfs), November 2026.
PACKAGED_UP_TO = "1.5.5"


def duckdb_version() -> str:
    """Version of the DuckDB library in use, e.g. ``1.5.5``."""
    return str(duckdb.__version__)


def packaged_httpfs_path() -> Path | None:
    """The httpfs binary shipped by the PyPI package for this DuckDB version, if installed."""
    spec = importlib.util.find_spec(HTTPFS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "extensions" / f"v{duckdb_version()}" / "httpfs.duckdb_extension"
        if candidate.is_file():
            return candidate
    return None


def load_crypto(con: duckdb.DuckDBPyConnection) -> str:
    """Load OpenSSL-backed crypto (httpfs) into ``con`` without any download.

    Tries the PyPI-packaged binary first, then an httpfs already installed in
    DuckDB's extension directory.

    Returns:
        Where the extension came from (a path, or ``"extension directory"``).

    Raises:
        StorageError: no loadable httpfs for this DuckDB version.
    """
    path = packaged_httpfs_path()
    errors: list[str] = []
    if path is not None:
        try:
            con.execute(f"LOAD '{sql_literal(str(path))}'")
            return str(path)
        except duckdb.Error as err:
            errors.append(f"{path}: {err}")
    try:
        con.execute("LOAD httpfs")
        return "extension directory"
    except duckdb.Error as err:
        errors.append(f"LOAD httpfs: {str(err).splitlines()[0]}")
    version = duckdb_version()
    raise StorageError(
        f"duckdb={version} reason=no_crypto_extension; writing an encrypted store needs DuckDB's "
        "httpfs extension (OpenSSL) for this exact DuckDB version. Install it from PyPI: "
        f"`pip install duckdb-extension-httpfs=={version}`; if no such release exists (PyPI has "
        f"them up to DuckDB {PACKAGED_UP_TO}), install "
        f"`duckdb-extension-httpfs=={PACKAGED_UP_TO}`, "
        f"which pins duckdb=={PACKAGED_UP_TO}. Or turn encryption off and rely on full-disk "
        f"encryption. Tried: {'; '.join(errors)}"
    )


def encryption_available() -> bool:
    """True when this environment can write encrypted stores (checked in a scratch connection)."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
    try:
        load_crypto(con)
        return True
    except StorageError:
        return False
    finally:
        con.close()


def resolve_key(
    *,
    key_env: str | None = None,
    key_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The encryption key from an environment variable or a key file (env wins).

    Returns None when neither is configured (store not encrypted).

    Raises:
        StorageError: the variable is unset/empty, the file is missing, or the
            key is shorter than `MIN_KEY_LENGTH` characters. The key itself is
            never part of a message.
    """
    env = os.environ if environ is None else environ
    if key_env:
        value = env.get(key_env, "").strip()
        if not value:
            raise StorageError(
                f"env={key_env} reason=encryption_key_unset; export the key in that variable, "
                "or remove storage.encryption_key_env to run unencrypted"
            )
        return _checked(value, source=f"env={key_env}")
    if key_file:
        path = Path(key_file)
        try:
            value = path.read_text(encoding="utf-8").strip()
            mode = path.stat().st_mode
        except OSError as err:
            raise StorageError(
                f"key_file={path} reason=unreadable ({err.strerror}); create it with "
                "`umask 077; python -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE`"
            ) from err
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("key_file=%s reason=too_open mode=%o; run chmod 600 on it", path, mode & 0o777)
        return _checked(value, source=f"key_file={path}")
    return None


def _checked(value: str, *, source: str) -> str:
    if len(value) < MIN_KEY_LENGTH:
        raise StorageError(
            f"{source} reason=encryption_key_too_short; use at least {MIN_KEY_LENGTH} characters "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return value


def sql_literal(text: str) -> str:
    """Escape a value for a single-quoted SQL literal (only where DuckDB takes no parameters)."""
    if "\x00" in text:
        raise StorageError("reason=nul_in_literal; paths and keys cannot contain NUL bytes")
    return text.replace("'", "''")


def encrypt_copy(src: str | Path, dst: str | Path, encryption_key: str) -> None:
    """Write an encrypted copy of a plain store (and its camera secrets file) to ``dst``.

    The source must not be open elsewhere; ``dst`` must not exist. After checking
    the copy, the operator deletes the plain file (ideally with a tool that
    overwrites it; on SSDs only full-disk encryption makes old blocks unreadable).

    Raises:
        StorageError: no crypto extension, ``dst`` exists, or the copy failed.
    """
    source, target = Path(src).resolve(), Path(dst).resolve()
    if target.exists():
        raise StorageError(f"path={target} reason=exists; choose a new file for the encrypted copy")
    if not source.is_file():
        raise StorageError(f"path={source} reason=not_found; give the plain store's path")
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
    try:
        load_crypto(con)
        con.execute(f"ATTACH '{sql_literal(str(source))}' AS plain_src (READ_ONLY)")
        con.execute(
            f"ATTACH '{sql_literal(str(target))}' AS encrypted_dst (ENCRYPTION_KEY $key)",
            {"key": encryption_key},
        )
        con.execute("COPY FROM DATABASE plain_src TO encrypted_dst")
        con.execute("DETACH encrypted_dst")
    except duckdb.Error as err:
        text = str(err).splitlines()[0].replace(encryption_key, "***")
        raise StorageError(f"path={target} reason=copy_failed ({text}); the source is unchanged") from None
    finally:
        con.close()
    plain_secrets = CameraSecrets(secrets_path_for(source))
    copied = CameraSecrets(secrets_path_for(target), key=encryption_key)
    for camera_id in plain_secrets.camera_ids():
        url = plain_secrets.get(camera_id)
        if url is not None:
            copied.put(camera_id, url)
