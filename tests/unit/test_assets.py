"""Assets: found by name, checked against sha256, missing ones named in one line; download is real."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pictag import assets
from pictag.errors import AssetError


def test_missing_asset_names_file_places_and_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(assets.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(assets, "DEFAULT_CACHE", tmp_path / "cache")
    with pytest.raises(AssetError) as info:
        assets.resolve("vtest.avi")
    message = str(info.value)
    assert "vtest.avi" in message and str(tmp_path) in message and "pictag assets fetch" in message
    assert "\n" not in message


def test_corrupt_asset_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "vtest.avi").write_bytes(b"not the video")
    monkeypatch.setenv(assets.ENV_VAR, str(tmp_path))
    with pytest.raises(AssetError, match="corrupt or a different version"):
        assets.resolve("vtest.avi")


def test_real_asset_resolves_by_name(asset) -> None:
    path = asset("yolo11n_int8_openvino_model")
    assert (path / "yolo11n.xml").exists()
    assert assets.resolve("intel/person-reidentification-retail-0287").is_dir()


def test_download_checks_sha256_and_installs_atomically(tmp_path: Path) -> None:
    source = tmp_path / "origin.bin"
    source.write_bytes(b"model bytes" * 1000)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    entry = assets.ManifestEntry("models/x/model.bin", digest, source.as_uri(), None)
    seen: list[int] = []
    target = assets.download(entry, tmp_path / "assets", progress=lambda total, label: seen.append)
    assert target.read_bytes() == source.read_bytes()
    bad = assets.ManifestEntry("models/x/other.bin", "0" * 64, source.as_uri(), None)
    with pytest.raises(AssetError, match="wrong sha256"):
        assets.download(bad, tmp_path / "assets", progress=lambda total, label: seen.append)
    assert not (tmp_path / "assets" / "models/x/other.bin").exists()
    assert not list((tmp_path / "assets" / "models" / "x").glob("*.part"))


def test_asset_without_public_origin_says_how_to_get_it() -> None:
    entry = assets.manifest()["videos/TUD-Campus.mp4"]
    with pytest.raises(AssetError, match="MOT15"):
        assets.download(entry, Path("/nonexistent"))
