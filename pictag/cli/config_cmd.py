"""`pictag config check|example`."""

from __future__ import annotations

import argparse
import sys

from pictag.config import ConfigProblems, load_config
from pictag.config.example import example_yaml


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``config`` command group."""
    parser = sub.add_parser(
        "config", help="Check or print a configuration file.", description="Check or print a configuration file."
    )
    group = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = group.add_parser(
        "check",
        help="Validate a YAML file and print every problem.",
        description="Validate a YAML configuration file; print each problem with its field path and value.",
    )
    check.add_argument("file", help="YAML configuration file.")
    check.set_defaults(func=_check)
    example = group.add_parser(
        "example",
        help="Print a commented example configuration.",
        description="Print a commented example configuration to stdout.",
    )
    example.set_defaults(func=_example)
    reference = group.add_parser(
        "reference",
        help="Print the configuration reference (Markdown).",
        description="Print every configuration field with type, default, meaning and bounds as a Markdown table.",
    )
    reference.set_defaults(func=_reference)


def _check(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.file)
    except ConfigProblems as err:
        print(f"{err.source}: {len(err.lines)} problem(s)", file=sys.stderr)
        for line in err.lines:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"{args.file}: OK ({len(config.cameras)} camera(s))")
    return 0


def _reference(args: argparse.Namespace) -> int:
    from pictag.config.reference import markdown_reference

    print(markdown_reference())
    return 0


def _example(args: argparse.Namespace) -> int:
    sys.stdout.write(example_yaml())
    return 0
