"""The runtime's daily report (`DailyReporter`, run by the store actor): at reports.time it reports the
previous local day from the open store, writes CSV + PNG, mails them; a dead SMTP server keeps the files."""

from __future__ import annotations

import csv
import email
import threading
from datetime import date, datetime
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2

from pictag.config import parse_config
from pictag.reports.runner import DailyReporter, ReportSettings
from pictag.storage import Store
from tests.helpers import free_port
from tests.integrations.mqtt_broker import wait_until
from tests.integrations.smtp_sink import smtp_sink
from tests.rows import visit

TZ = ZoneInfo("Europe/Berlin")


def at(day: date, hhmm: str) -> float:
    return datetime.fromisoformat(f"{day.isoformat()}T{hhmm}").replace(tzinfo=TZ).timestamp()


def settings(tmp_path: Path, smtp_port: int, time: str = "00:30:15") -> ReportSettings:
    smtp = {
        "host": "127.0.0.1",
        "port": smtp_port,
        "security": "none",
        "sender": "shop@example.org",
        "recipients": ["owner@example.org"],
        "timeout_s": 3,
    }
    config = parse_config(
        {
            "site": {"timezone": "Europe/Berlin"},
            "reports": {"daily": True, "time": time, "out_dir": str(tmp_path / "reports"), "email": smtp},
        }
    )
    return ReportSettings.from_config(config)


def test_schedule_reports_yesterday_at_the_configured_second_and_mails_it(tmp_path: Path) -> None:
    day = date(2026, 11, 24)
    with Store.open(tmp_path / "db" / "pictag.duckdb") as store, smtp_sink() as (port, received):
        store.upsert_visits([visit("v1", "p1", at(day, "10:00:00"), ended_at=at(day, "10:30:00"))])
        store.flush()
        cfg = settings(tmp_path, port)
        assert cfg.timezone == "Europe/Berlin"  # site.timezone, as reports.timezone is unset
        reporter = DailyReporter(cfg, store.read_with)
        now = [at(date(2026, 11, 25), "00:30:00")]
        assert reporter.next_run(now[0]) == at(date(2026, 11, 25), "00:30:15")
        stop = threading.Event()
        thread = threading.Thread(target=reporter.loop, args=(stop, lambda: now[0]), daemon=True)
        thread.start()
        try:
            wait_until(thread.is_alive, 5, "loop started")
            assert reporter.runs == []  # 15 s early: nothing yet
            now[0] += 16
            wait_until(lambda: len(reporter.runs) == 1, 30, "the scheduled run")
        finally:
            stop.set()
            thread.join(10)
        (run,) = reporter.runs
        assert run.day == day and run.mailed and run.error is None and run.files is not None
        rows = list(csv.DictReader(run.files.csv.open(encoding="utf-8")))
        assert len(rows) == 24 and rows[10]["hour_start"] == "2026-11-24T10:00:00+01:00"
        assert (rows[10]["visitors"], rows[10]["visits_started"], rows[10]["dwell_mean_s"]) == ("1", "1", "1800.0")
        assert cv2.imread(str(run.files.png)) is not None
        (envelope,) = received
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        assert msg["Subject"] == "PicTag report 2026-11-24"
        assert {p.get_filename() for p in msg.iter_attachments()} == {run.files.csv.name, run.files.png.name}


def test_a_dead_mail_server_keeps_the_files_and_says_why(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db" / "pictag.duckdb") as store:
        reporter = DailyReporter(settings(tmp_path, free_port()), store.read_with)
        run = reporter.run(date(2026, 11, 24))
    assert not run.mailed and run.files is not None and run.files.png.exists()
    assert run.error is not None and "reason=send_failed" in run.error
