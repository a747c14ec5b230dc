"""Every command and sub-command answers --help (without importing Ray or torch)."""

from __future__ import annotations

import argparse

import pytest

from pictag.cli.main import build_parser


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(_commands(sub, (*prefix, name)))
    return found


COMMANDS = _commands(build_parser())


def test_expected_commands_exist() -> None:
    names = {" ".join(c) for c in COMMANDS}
    for wanted in ("up", "demo", "config check", "config example", "assets fetch", "eval track", "camera simulate"):
        assert wanted in names, sorted(names)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "pictag")
def test_help(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: pictag")
