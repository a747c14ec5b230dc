"""Training/export commands say how to get the training extra when it is missing."""

from __future__ import annotations

import sys

import pytest

from pictag.cli.main import main

_TRAINING_LIBS = ("torch", "ultralytics", "nncf")


class _BlockTrainingLibs:
    """A meta-path finder that makes torch/ultralytics/nncf look uninstalled."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".", maxsplit=1)[0] in _TRAINING_LIBS:
            raise ImportError(f"{name} blocked by test")


def _hide_training_libs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the training libraries look uninstalled, even if an earlier test imported them.

    ``importlib.util.find_spec`` answers from ``sys.modules`` without asking the meta path, so
    modules already imported in this process are taken out for the test (monkeypatch puts them back).
    """
    for name in list(sys.modules):
        if name.split(".", maxsplit=1)[0] in _TRAINING_LIBS:
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_BlockTrainingLibs(), *sys.meta_path])


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        (["train", "reid", "--steps", "1"], "torch"),
        (["models", "export", "best.pt"], "ultralytics"),
        (["models", "quantize", "m", "--video", "v.mp4", "--out", "o"], "nncf"),
    ],
)
def test_missing_training_extra_is_a_clear_error(monkeypatch, capsys, argv: list[str], missing: str) -> None:
    _hide_training_libs(monkeypatch)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert missing in err and "pictag[train]" in err


def test_help_lists_the_reid_commands(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "train" in out and "models" in out
