"""`pictag report --day YYYY-MM-DD [--out DIR] [-c CONFIG] [--email]`: one day's CSV + PNG from the store.

The command opens the DuckDB file read-only, which DuckDB allows only while no PicTag
runtime holds it (one writer process, no other readers). A running runtime writes the
daily report itself (``reports.daily``) and serves ``GET /api/v1/export/hourly.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` command."""
    parser = sub.add_parser(
        "report",
        help="Write one day's report (hourly CSV + one-page PNG) from the store.",
        description=(
            "Write pictag-report-DAY.csv (hourly visitors, returning, dwell, occupancy peak, footfall per line) "
            "and pictag-report-DAY.png (a one-page summary) for one local day of the site's time zone. "
            "Reads the store read-only: stop a running PicTag first (it makes daily reports itself)."
        ),
    )
    parser.add_argument("--day", required=True, help="Local day, YYYY-MM-DD.")
    parser.add_argument("--out", type=Path, help="Output folder (default: reports.out_dir).")
    parser.add_argument("-c", "--config", type=Path, help="YAML configuration file (store path, time zone, SMTP).")
    parser.add_argument("--db", help="Override storage.path.")
    parser.add_argument("--email", action="store_true", help="Also mail the files (reports.email).")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from pictag.config import PictagConfig, load_config
    from pictag.errors import ConfigError
    from pictag.reports.daily import build_daily, write_daily
    from pictag.reports.schedule import parse_day, site_timezone
    from pictag.storage.crypto import resolve_key
    from pictag.storage.reports import open_read_only

    config = load_config(args.config) if args.config else PictagConfig()
    day = parse_day(args.day)
    tz = site_timezone(config.reports.timezone)
    key = resolve_key(key_env=config.storage.encryption_key_env, key_file=config.storage.encryption_key_file)
    con = open_read_only(args.db or config.storage.path, key)
    try:
        report = build_daily(con, day, tz)
    finally:
        con.close()
    files = write_daily(report, args.out or config.reports.out_dir)
    print(f"{files.csv}\n{files.png}")
    if args.email:
        if config.reports.email is None:
            raise ConfigError("--email needs a reports.email section in the configuration")
        from pictag.reports.email import send_report

        send_report(
            config.reports.email,
            f"PicTag report {day.isoformat()}",
            f"PicTag daily report for {day.isoformat()} ({tz.key}): visitors {report.totals.visitors}.",
            [files.csv, files.png],
        )
        print(f"mailed to {', '.join(config.reports.email.recipients)}")
    return 0
