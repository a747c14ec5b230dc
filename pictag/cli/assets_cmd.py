"""`pictag assets fetch|check`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pictag import assets
from pictag.errors import AssetError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``assets`` command group."""
    parser = sub.add_parser(
        "assets",
        help="Find, check and download models and videos.",
        description="Find, check and download models and videos.",
    )
    group = parser.add_subparsers(dest="assets_command", metavar="ACTION", required=True)
    fetch = group.add_parser(
        "fetch",
        help="Download missing assets from their public origins.",
        description="Download missing assets (sha256-checked) into the first assets directory.",
    )
    fetch.add_argument("names", nargs="*", help="Asset names (default: everything with a public origin).")
    fetch.add_argument(
        "--dest", type=Path, default=None, help="Target directory (default: $PICTAG_ASSETS or ~/.cache/pictag)."
    )
    fetch.set_defaults(func=_fetch)
    check = group.add_parser(
        "check",
        help="Verify assets against their sha256.",
        description="Verify every asset found against the manifest's sha256.",
    )
    check.set_defaults(func=_check)


def _fetch(args: argparse.Namespace) -> int:
    fetched = assets.fetch(args.names or None, dest_root=args.dest)
    print(f"fetched {len(fetched)} file(s)")
    return 0


def _check(args: argparse.Namespace) -> int:
    bad = 0
    found = 0
    for rel in assets.manifest():
        for base in assets.search_dirs():
            path = base / rel
            if path.exists():
                found += 1
                try:
                    assets.verify_file(path, rel)
                except AssetError as err:
                    bad += 1
                    print(err)
                break
    print(f"{found} asset file(s) found, {bad} bad, {len(assets.manifest()) - found} missing")
    return 1 if bad else 0
