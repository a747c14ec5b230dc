"""Run-time settings overrides survive a reopen."""

from __future__ import annotations

from pathlib import Path

from pictag.storage import Store


def test_settings_round_trip_and_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        assert store.load_settings() == {}
        store.save_settings({"detector": {"confidence": 0.3}})
        store.save_settings({"detector": {"confidence": 0.4}, "reid": {"threshold": 0.6}})
    with Store.open(path) as store:
        assert store.load_settings() == {"detector": {"confidence": 0.4}, "reid": {"threshold": 0.6}}
