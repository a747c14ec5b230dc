"""Training/export commands say how to get the training extra when it is missing."""

from __future__ import annotations

import sys

import pytest

from pictag.cli.main import main


class _BlockTrainingLibs:
    """A meta-path finder that makes torch/ultralytics/nncf look uninstalled."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".", maxsplit=1)[0] in ("torch", "ultralytics", "nncf"):
            raise ImportError(f"{name} blocked by test")


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        (["train", "reid", "--steps", "1"], "torch"),
        (["models", "export", "best.pt"], "ultralytics"),
        (["models", "quantize", "m", "--video", "v.mp4", "--out", "o"], "nncf"),
    ],
)
def test_missing_training_extra_is_a_clear_error(monkeypatch, capsys, argv: list[str], missing: str) -> None:
    monkeypatch.setattr(sys, "meta_path", [_BlockTrainingLibs(), *sys.meta_path])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert missing in err and "pictag[train]" in err


def test_help_lists_the_reid_commands(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "train" in out and "models" in out
