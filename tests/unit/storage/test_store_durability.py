"""Durability: kill -9 during heavy writes loses no committed batch; encryption at rest."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pictag.errors import StorageError
from pictag.storage import Store, encrypt_copy, resolve_key

WRITER = Path(__file__).with_name("crash_writer.py")
KEY = "k3y-for-tests-0123456789abcdef"
MARKER = "PLAINTEXT-MARKER-7f3a9c"


def _run_and_kill(db_path: Path, min_batches: int, key: str | None = None, timeout_s: float = 90.0) -> list[int]:
    """Start the writer, kill -9 it once ``min_batches`` were reported; return reported batches."""
    args = [sys.executable, str(WRITER), str(db_path)] + ([key] if key else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reported: list[int] = []
    enough = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("committed "):
                reported.append(int(line.split()[1]))
                if len(reported) >= min_batches:
                    enough.set()
        enough.set()  # writer died on its own: let the test see why

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        assert enough.wait(timeout_s), f"writer reported only {len(reported)} batches in {timeout_s}s"
        assert proc.poll() is None, f"writer exited early: {proc.stderr.read() if proc.stderr else ''}"
        os.kill(proc.pid, signal.SIGKILL)  # mid-write: the writer never pauses between batches
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        thread.join(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return list(reported)


@pytest.mark.parametrize("encrypted", [False, True])
def test_kill_9_loses_no_committed_batch(
    tmp_path: Path, encrypted: bool, require_encryption: Callable[[], None]
) -> None:
    if encrypted:
        require_encryption()
    db_path = tmp_path / "crash.duckdb"
    key = KEY if encrypted else None
    reported = _run_and_kill(db_path, min_batches=12, key=key)
    assert reported == list(range(len(reported)))
    with Store.open(db_path, encryption_key=key) as store:
        events = store.list_events(limit=10_000)
        per_batch = collections.Counter(e.payload["batch"] for e in events)
        for batch in reported:
            assert per_batch[batch] == 500, f"batch {batch}: {per_batch[batch]} of 500 events"
        # at most the one batch in flight may also be there, and only whole
        extra = set(per_batch) - set(reported)
        assert extra <= {len(reported)} and all(per_batch[b] == 500 for b in extra)
        tracks = store.list_tracks(limit=10_000)
        assert len(tracks) == 50 * (len(reported) + len(extra))
        # the store is writable again after recovery
        store.add_events([{"type": "track.started", "ts_unix": 1.0}])
        assert store.flush() == 1


def test_encrypted_file_is_unreadable_without_the_key(tmp_path: Path, require_encryption: Callable[[], None]) -> None:
    require_encryption()
    db_path = tmp_path / "enc.duckdb"
    with Store.open(db_path, encryption_key=KEY) as store:
        assert store.encrypted
        store.add_events([{"type": "camera.status", "ts_unix": float(i), "note": MARKER} for i in range(2000)])
        store.upsert_camera("door", url="rtsp://cam/door", name=MARKER)
    raw = db_path.read_bytes()
    assert MARKER.encode() not in raw and b"camera.status" not in raw and b"door" not in raw
    with pytest.raises(StorageError, match="reason=encrypted_no_key"):
        Store.open(db_path)
    with pytest.raises(StorageError, match="reason=wrong_key"):
        Store.open(db_path, encryption_key="not-the-right-key-000000")
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(db_path), read_only=True).execute("SELECT count(*) FROM events").fetchall()
    with Store.open(db_path, encryption_key=KEY) as store:
        assert len(store.list_events(limit=5000)) == 2000
        assert store.list_cameras()[0].name == MARKER
        store.delete_identity("nobody")
        store.compact()  # the rewritten file is encrypted too
    assert MARKER.encode() not in db_path.read_bytes()
    with pytest.raises(StorageError, match="reason=encrypted_no_key"):
        Store.open(db_path)


def test_plain_store_converts_to_encrypted(tmp_path: Path, require_encryption: Callable[[], None]) -> None:
    require_encryption()
    plain, enc = tmp_path / "plain.duckdb", tmp_path / "enc.duckdb"
    with Store.open(plain) as store:
        store.add_events([{"type": "camera.status", "ts_unix": 1.0, "note": MARKER}])
        store.upsert_camera("door", url="rtsp://u:pass-word-1@cam/door")
    with pytest.raises(StorageError, match="reason=not_encrypted"):
        Store.open(plain, encryption_key=KEY)
    encrypt_copy(plain, enc, KEY)
    assert MARKER.encode() not in enc.read_bytes()
    with Store.open(enc, encryption_key=KEY) as store:
        assert store.list_events()[0].payload["note"] == MARKER
        assert store.load_cameras()[0].url == "rtsp://u:pass-word-1@cam/door"
        store.add_events([{"type": "camera.status", "ts_unix": 2.0}])
        assert store.list_events(limit=1)[0].id == 2


def test_key_resolution(tmp_path: Path) -> None:
    assert resolve_key() is None
    assert resolve_key(key_env="PICTAG_DB_KEY", environ={"PICTAG_DB_KEY": f" {KEY}\n"}) == KEY
    with pytest.raises(StorageError, match="encryption_key_unset") as err:
        resolve_key(key_env="PICTAG_DB_KEY", environ={})
    key_file = tmp_path / "db.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    assert resolve_key(key_file=key_file) == KEY
    key_file.write_text("short")
    with pytest.raises(StorageError, match="too_short") as err:
        resolve_key(key_file=key_file)
    assert "short" not in str(err.value).replace("too_short", "")
    with pytest.raises(StorageError, match="unreadable"):
        resolve_key(key_file=tmp_path / "missing.key")


def test_crypto_error_is_actionable_when_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the httpfs extension is missing (simulated: no packaged binary, an empty DuckDB home)."""
    from pictag.storage import crypto, encryption_available

    monkeypatch.setattr(crypto, "packaged_httpfs_path", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    assert not encryption_available()
    start = time.monotonic()
    with pytest.raises(StorageError, match="duckdb-extension-httpfs"):
        Store.open(tmp_path / "x.duckdb", encryption_key=KEY)
    assert time.monotonic() - start < 10  # no download attempt, no hang
    assert not (tmp_path / "x.duckdb").exists()
