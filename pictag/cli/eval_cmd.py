"""`pictag eval ...`: one sub-module per evaluation, registered in `EVAL_MODULES`."""

from __future__ import annotations

import argparse
import importlib

#: Modules exposing ``register(group)`` for one ``pictag eval X`` command each.
EVAL_MODULES: tuple[str, ...] = (
    "pictag.cli.eval_track",
    "pictag.cli.eval_count",
    "pictag.cli.reid_eval_cmd",
    "pictag.cli.reid_loso_cmd",
    "pictag.cli.eval_identity",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``eval`` command group."""
    parser = sub.add_parser(
        "eval",
        help="Measure tracking, re-identification and identity quality.",
        description="Measure tracking, re-identification and identity quality against ground truth.",
    )
    group = parser.add_subparsers(dest="eval_command", metavar="WHAT", required=True)
    for name in EVAL_MODULES:
        importlib.import_module(name).register(group)
