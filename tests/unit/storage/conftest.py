"""Fixtures for the store tests: real DuckDB files in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pictag.storage import Store, encryption_available


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh store path inside a folder the store creates."""
    return tmp_path / "data" / "pictag.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """An open, empty store, closed after the test."""
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def require_encryption() -> Callable[[], None]:
    """Call to fail in CI / skip elsewhere when DuckDB cannot write encrypted files here."""

    def check() -> None:
        if encryption_available():
            return
        reason = (
            "DuckDB cannot write encrypted files here: install duckdb-extension-httpfs matching "
            "the DuckDB version (see docs/storage.md)"
        )
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(reason)
        pytest.skip(reason)

    return check
