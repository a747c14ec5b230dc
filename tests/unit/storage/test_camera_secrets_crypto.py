"""Camera secrets encrypted at rest with the database key: unreadable without it, migrated, never lost."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from pictag.errors import StorageError
from pictag.storage import CameraSecrets, Store, secrets_path_for
from pictag.storage.crypto import encrypt_copy
from pictag.storage.secret_box import SecretBox, SecretBoxError

KEY = "db-key-for-tests-0123456789abcdef"
OTHER_KEY = "another-key-0123456789abcdef-xyz"
PASSWORD = "Zq7-hunter2-PASSWORD"
URL = f"rtsp://admin:{PASSWORD}@192.0.2.10:554/stream1"
URL2 = "http://viewer:s3cr3t-Mjpeg-77@192.0.2.11/video.mjpg"


def _no_secret_bytes(path: Path) -> None:
    raw = path.read_bytes()
    for secret in (PASSWORD, "admin", "s3cr3t-Mjpeg-77", "192.0.2.10", "stream1"):
        assert secret.encode() not in raw, secret


def test_encrypted_file_has_no_secret_bytes_and_opens_only_with_the_key(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    secrets = CameraSecrets(path, key=KEY)
    secrets.put("door", URL)
    secrets.put("till", URL2)
    assert secrets.encrypted
    _no_secret_bytes(path)
    content = json.loads(path.read_text())
    assert content["version"] == 2 and content["cipher"] == "AES-256-GCM" and "urls" not in content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()

    reopened = CameraSecrets(path, key=KEY)
    assert (reopened.get("door"), reopened.get("till")) == (URL, URL2)
    with pytest.raises(StorageError, match="reason=encrypted_needs_key") as no_key:
        CameraSecrets(path)
    with pytest.raises(StorageError, match="reason=wrong_key") as wrong:
        CameraSecrets(path, key=OTHER_KEY)
    for err in (no_key, wrong):
        assert KEY not in str(err.value) and PASSWORD not in str(err.value)
        assert "left unchanged" in str(err.value)
    assert path.read_bytes() == before, "a refused open must not touch the file"


def test_every_write_uses_a_fresh_nonce(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    secrets = CameraSecrets(path, key=KEY)
    secrets.put("door", URL)
    first = json.loads(path.read_text())
    secrets.put("till", URL2)
    secrets.discard("till")
    last = json.loads(path.read_text())
    assert first["nonce"] != last["nonce"] and first["kdf"]["salt"] == last["kdf"]["salt"]
    assert CameraSecrets(path, key=KEY).camera_ids() == ["door"]


def test_a_plain_file_is_encrypted_on_first_open_with_a_key(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    plain = CameraSecrets(path)
    plain.put("door", URL)
    plain.put("till", URL2)
    assert PASSWORD.encode() in path.read_bytes()  # version 1: plain text, as before

    migrated = CameraSecrets(path, key=KEY)
    assert (migrated.get("door"), migrated.get("till")) == (URL, URL2)
    _no_secret_bytes(path)
    assert json.loads(path.read_text())["version"] == 2
    assert CameraSecrets(path, key=KEY).camera_ids() == ["door", "till"]


def test_an_altered_file_is_refused_not_decrypted_to_garbage(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    CameraSecrets(path, key=KEY).put("door", URL)
    content = json.loads(path.read_text())
    data = bytearray(content["data"].encode())
    data[10] = ord("A") if data[10] != ord("A") else ord("B")
    content["data"] = data.decode()
    path.write_text(json.dumps(content))
    with pytest.raises(StorageError, match="reason=wrong_key"):
        CameraSecrets(path, key=KEY)


@pytest.mark.parametrize(
    "content",
    [
        {"version": 2, "cipher": "ROT13", "kdf": {}, "nonce": "", "data": ""},
        {
            "version": 2,
            "cipher": "AES-256-GCM",
            "kdf": {"name": "scrypt", "n": 1 << 30, "r": 8, "p": 1, "salt": "AAAA"},
            "nonce": "AAAA",
            "data": "AAAA",
        },
        {"version": 2, "cipher": "AES-256-GCM", "kdf": {"name": "scrypt", "salt": "AAAA"}, "nonce": "x", "data": "y"},
    ],
)
def test_malformed_envelopes_are_refused(tmp_path: Path, content: dict[str, object]) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(content))
    with pytest.raises(StorageError, match="reason=corrupt"):
        CameraSecrets(path, key=KEY)


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"version": 3, "urls": {}}))
    with pytest.raises(StorageError, match="reason=newer_format"):
        CameraSecrets(path, key=KEY)


def test_secret_box_binds_the_purpose() -> None:
    sealed = SecretBox(KEY, b"camera secrets").seal(b"payload")
    assert SecretBox(KEY, b"camera secrets").open(sealed) == b"payload"
    with pytest.raises(SecretBoxError):
        SecretBox(KEY, b"something else").open(sealed)


def test_encrypted_store_keeps_camera_secrets_encrypted(tmp_path: Path, require_encryption: Callable[[], None]) -> None:
    require_encryption()
    db_path = tmp_path / "enc.duckdb"
    with Store.open(db_path, encryption_key=KEY) as store:
        store.upsert_camera("door", url=URL)
    secrets_file = secrets_path_for(db_path)
    _no_secret_bytes(secrets_file)
    with Store.open(db_path, encryption_key=KEY) as store:
        assert [c.url for c in store.load_cameras()] == [URL]


def test_upgrade_encrypts_the_plain_secrets_file_of_an_encrypted_store(
    tmp_path: Path, require_encryption: Callable[[], None]
) -> None:
    """An encrypted store from before this change has a plain secrets file: it is encrypted at open."""
    require_encryption()
    db_path = tmp_path / "enc.duckdb"
    with Store.open(db_path, encryption_key=KEY) as store:
        store.upsert_camera("door", url=URL)
    secrets_file = secrets_path_for(db_path)
    secrets_file.write_text(json.dumps({"version": 1, "urls": {"door": URL}}))  # as the old code wrote it
    with Store.open(db_path, encryption_key=KEY) as store:
        assert [c.url for c in store.load_cameras()] == [URL]
    _no_secret_bytes(secrets_file)


def test_encrypted_copy_encrypts_the_secrets_too(tmp_path: Path, require_encryption: Callable[[], None]) -> None:
    require_encryption()
    plain, enc = tmp_path / "plain.duckdb", tmp_path / "enc.duckdb"
    with Store.open(plain) as store:
        store.upsert_camera("door", url=URL)
    encrypt_copy(plain, enc, KEY)
    _no_secret_bytes(secrets_path_for(enc))
    with Store.open(enc, encryption_key=KEY) as store:
        assert store.load_cameras()[0].url == URL
