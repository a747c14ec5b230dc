"""Start-up checks: each missing model, video or key becomes one named problem with a fix."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from pictag import assets, preflight
from pictag.config import parse_config

DETECTOR = "yolo11n_int8_openvino_model"
REID = "intel/person-reidentification-retail-0287"


@pytest.fixture
def empty_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No assets anywhere: an empty $PICTAG_ASSETS and an empty cache."""
    folder = tmp_path / "assets"
    folder.mkdir()
    monkeypatch.setenv(assets.ENV_VAR, str(folder))
    monkeypatch.setattr(assets, "DEFAULT_CACHE", tmp_path / "cache")
    return folder


def _config(**sections: Any) -> Any:
    return parse_config(sections)


def test_missing_models_are_named_with_the_fetch_command(empty_assets: Path) -> None:
    problems = preflight.check_config(_config())
    assert [p.setting for p in problems] == ["detector.model", "reid.model"]
    detector, reid = problems
    assert DETECTOR in detector.detail and str(empty_assets) in detector.detail
    assert f"pictag assets fetch {DETECTOR}" in detector.fix and "PICTAG_ASSETS" in detector.fix
    assert detector.fetchable == (DETECTOR,)
    assert reid.fetchable == (REID,) and f"pictag assets fetch {REID}" in reid.fix
    text = preflight.report(problems)
    assert text.startswith("2 start-up problem(s); nothing was started:") and "fix: run `pictag assets fetch" in text


def test_reid_off_needs_no_reid_model(empty_assets: Path) -> None:
    problems = preflight.check_config(_config(reid={"enabled": False}))
    assert [p.setting for p in problems] == ["detector.model"]


def test_a_model_path_that_does_not_exist(empty_assets: Path, tmp_path: Path) -> None:
    missing = tmp_path / "my-export"
    (problem,) = preflight.check_detector(_config(detector={"model": str(missing)}))
    assert str(missing) in problem.detail and problem.fix == "give the path of an existing model"
    assert problem.fetchable == ()


def test_an_unknown_model_name_says_where_to_put_it(empty_assets: Path) -> None:
    (problem,) = preflight.check_detector(_config(detector={"model": "my-own-detector"}))
    assert "my-own-detector" in problem.detail and "under models/" in problem.fix


def test_an_export_folder_without_its_weights(asset, tmp_path: Path) -> None:
    source = asset(DETECTOR)
    broken = tmp_path / "export"
    shutil.copytree(source, broken)
    (broken / "yolo11n.bin").unlink()
    (problem,) = preflight.check_detector(_config(detector={"model": str(broken)}))
    assert "yolo11n.bin" in problem.detail and "missing" in problem.detail


def test_a_reid_precision_the_model_does_not_have(asset, tmp_path: Path) -> None:
    folder = tmp_path / "reid"
    shutil.copytree(asset(REID) / "FP32", folder / "FP32")
    (problem,) = preflight.check_reid(_config(reid={"model": str(folder), "precision": "int8"}))
    assert problem.setting == "reid.model" and "int8" in problem.detail


def test_everything_present_gives_no_problem(asset) -> None:
    video = asset("vtest.avi")
    config = _config(cameras=[{"id": "door", "url": str(video)}, {"id": "cam", "url": "rtsp://u:p@10.0.0.9/s"}])
    assert preflight.check_config(config) == []


def test_shipped_reid_model_needs_no_assets(empty_assets: Path) -> None:
    assert preflight.check_reid(_config(reid={"model": "pictag/reid-lite", "threshold": 0.7})) == []


def test_a_model_without_its_own_threshold_is_refused_before_start(tmp_path: Path) -> None:
    model = tmp_path / "my-reid.onnx"
    model.write_bytes(b"not read: the threshold is looked up first")
    [problem] = preflight.check_reid(_config(reid={"model": str(model)}))
    assert problem.setting == "reid.threshold" and "pictag calibrate" in problem.detail
    assert "set reid.threshold" in problem.detail
    assert preflight.check_reid(_config(reid={"model": str(model), "threshold": 0.5})) == []


@pytest.mark.parametrize("url", ["/no/such/video.mp4", "file:///no/such/video.mp4", "relative/clip.mp4"])
def test_missing_video_files_are_named(empty_assets: Path, url: str) -> None:
    config = _config(cameras=[{"id": "door", "url": url}])
    (problem,) = preflight.check_file_cameras(config)
    assert problem.setting == "cameras[door].url" and "does not exist" in problem.detail


def test_cameras_elsewhere_or_disabled_are_not_checked(empty_assets: Path) -> None:
    config = _config(
        cameras=[
            {"id": "off", "url": "/no/video.mp4", "enabled": False},
            {"id": "far", "url": "/no/video.mp4", "node": "entrance-pc"},
            {"id": "net", "url": "rtsp://10.0.0.9/s"},
        ]
    )
    assert preflight.check_file_cameras(config) == []


def test_an_unset_encryption_key_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PICTAG_TEST_DB_KEY", raising=False)
    (problem,) = preflight.check_encryption_key(_config(storage={"encryption_key_env": "PICTAG_TEST_DB_KEY"}))
    assert problem.setting == "storage.encryption_key_env" and "PICTAG_TEST_DB_KEY" in problem.detail
    monkeypatch.setenv("PICTAG_TEST_DB_KEY", "k" * 32)
    assert preflight.check_encryption_key(_config(storage={"encryption_key_env": "PICTAG_TEST_DB_KEY"})) == []


def test_required_assets_are_the_downloadable_models() -> None:
    assert preflight.required_assets(_config()) == [DETECTOR, REID]
    assert preflight.required_assets(_config(reid={"enabled": False})) == [DETECTOR]
    own = _config(detector={"model": "/my/export"}, reid={"model": "pictag/reid-lite"})
    assert preflight.required_assets(own) == []


def test_a_port_another_program_listens_on_is_named_before_anything_starts() -> None:
    from tests.helpers import free_port

    with socket.socket() as other:
        other.bind(("127.0.0.1", free_port()))
        other.listen()
        busy = other.getsockname()[1]
        (problem,) = preflight.check_server_port(_config(server={"host": "127.0.0.1", "port": busy}))
        assert problem.setting == "server.port"
        assert f"127.0.0.1:{busy}" in problem.detail and "--port" in problem.fix
    assert preflight.check_server_port(_config(server={"host": "127.0.0.1", "port": busy})) == []
