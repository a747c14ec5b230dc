"""Configuration validation: every problem is reported with its field path and value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pictag.cli.main import main
from pictag.config import ConfigProblems, load_config, parse_config
from pictag.config.example import example_yaml


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pictag.yaml"
    path.write_text(text)
    return path


def test_example_is_valid_and_documents_every_section() -> None:
    text = example_yaml()
    config = parse_config(yaml.safe_load(text))
    assert [c.id for c in config.cameras] == ["entrance", "till"]
    for section in ("detector:", "tracking:", "reid:", "storage:", "server:", "privacy:"):
        assert section in text
    assert text.count("# ") > 30


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("cameras:\n  - id: a\n    url: x.mp4\n    analysis_fps: fast\n", "cameras[0].analysis_fps"),
        ("cameras:\n  - id: a\n    url: x.mp4\n    colour: red\n", "cameras[0].colour"),
        ("cameras:\n  - id: a\n", "cameras[0].url: required field is missing"),
        ("server:\n  prot: 80\n", "server.prot"),
        ("detector:\n  confidence: 1.5\n", "detector.confidence"),
        ("detector:\n  input_size: 650\n", "multiple of 32"),
        ("cameras:\n  - {id: a, url: x.mp4}\n  - {id: a, url: y.mp4}\n", "duplicate camera id 'a'"),
        ("server:\n  host: 0.0.0.0\n", "auth_token"),
        ("server:\n  auth_token: short\n", "at least 16 characters"),
        ("privacy:\n  anonymize: off\n", "allow_unanonymized"),
        ("cameras:\n  - {id: a, url: x.mp4, analysis_fps: 0}\n", "greater than 0"),
    ],
)
def test_bad_config_names_the_field(tmp_path: Path, yaml_text: str, expected: str) -> None:
    with pytest.raises(ConfigProblems) as info:
        load_config(_write(tmp_path, yaml_text))
    assert any(expected in line for line in info.value.lines), info.value.lines


def test_all_errors_reported_at_once_with_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "cameras:\n  - id: a\n    analysis_fps: fast\n    colour: red\n")
    with pytest.raises(ConfigProblems) as info:
        load_config(path)
    lines = info.value.lines
    assert len(lines) == 3, lines
    assert any("cameras[0].analysis_fps" in line and "'fast'" in line for line in lines)
    assert any("cameras[0].colour" in line and "'red'" in line for line in lines)
    assert any("cameras[0].url" in line for line in lines)


def test_secret_in_bad_value_is_redacted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cameras:\n  - id: 'bad id!'\n    url: rtsp://admin:hunter22@10.0.0.5/s\n    x: rtsp://admin:hunter22@h/\n",
    )
    with pytest.raises(ConfigProblems) as info:
        load_config(path)
    assert "hunter22" not in str(info.value)


def test_cli_check_prints_every_problem_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "cameras:\n  - id: a\n    analysis_fps: fast\ndetector:\n  iou: 7\n")
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "cameras[0].analysis_fps" in err and "cameras[0].url" in err and "detector.iou" in err
    assert "Traceback" not in err


def test_cli_check_reports_yaml_syntax_with_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "cameras:\n  - id: a\n   url: [\n")
    assert main(["config", "check", str(path)]) == 1
    assert "line" in capsys.readouterr().err


def test_relative_storage_path_resolves_next_to_config(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "storage:\n  path: db/x.duckdb\n"))
    assert config.storage.path == str(tmp_path / "db" / "x.duckdb")
