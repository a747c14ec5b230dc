"""Entry point of the `pictag` command: one sub-command module per concern.

Each module in `COMMAND_MODULES` exposes ``register(subparsers)``, adding its
parsers with ``set_defaults(func=...)``; ``func(args) -> int`` is the exit code.
Heavy imports (ray, openvino) happen inside the handlers so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from pictag import __version__
from pictag.errors import PictagError

COMMAND_MODULES = (
    "pictag.cli.config_cmd",
    "pictag.cli.assets_cmd",
    "pictag.cli.eval_cmd",
    "pictag.cli.run_cmd",
    "pictag.cli.camera_cmd",
    "pictag.cli.bench_cmd",
    "pictag.cli.reid_cmds",
    "pictag.cli.calibrate_cmd",
    "pictag.cli.report_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="pictag",
        description="PicTag: privacy-first CCTV analytics for small shops.",
    )
    parser.add_argument("--version", action="version", version=f"pictag {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="More log output (-vv for debug).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; our own errors become one line on stderr and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except PictagError as err:
        print(f"pictag: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
