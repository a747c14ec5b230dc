"""`pictag report` on a real DuckDB store: CSV columns and values, the summary PNG, the DuckDB lock,
and e-mail delivery to a local SMTP server (aiosmtpd) run inside the test."""

from __future__ import annotations

import csv
import email
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import duckdb
import pytest
import yaml

from pictag.cli.main import main
from pictag.config.reports import SmtpConfig
from pictag.errors import StorageError
from pictag.footfall.outputs import LineCrossing
from pictag.reports.daily import build_daily, write_daily
from pictag.reports.email import ReportMailError, send_report
from pictag.reports.hourly import BASE_COLUMNS, hourly_csv
from pictag.reports.schedule import day_bounds, parse_instant
from pictag.storage.footfall import insert_line_crossings
from pictag.storage.records import VisitRecord
from pictag.storage.reports import open_read_only
from pictag.storage.store import Store
from tests import rows
from tests.helpers import free_port
from tests.integrations.smtp_sink import smtp_sink

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 24)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def at(hhmm: str, day: date = DAY) -> float:
    return datetime.fromisoformat(f"{day.isoformat()}T{hhmm}:00").replace(tzinfo=TZ).timestamp()


def visit(vid: str, who: str, start: str, end: str, *, closed: bool = True, day: date = DAY) -> VisitRecord:
    if closed:
        return rows.visit(vid, who, at(start, day), ended_at=at(end, day), cameras=("entrance",))
    return rows.visit(vid, who, at(start, day), last_seen_at=at(end, day), cameras=("entrance",))


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    """A real store with a scripted day, written by the store's own code, then closed."""
    path = tmp_path / "data" / "pictag.duckdb"
    with Store.open(path) as store:
        store.upsert_visits(
            [
                visit("v0", "p2", "09:00", "09:10", day=date(2026, 11, 23)),  # p2 was here the day before
                visit("v1", "p1", "10:00", "10:30"),
                visit("v2", "p2", "10:15", "11:20"),
                visit("v3", "p1", "14:00", "14:10"),  # p1 returns the same day
                visit("v4", "p3", "14:05", "14:20", closed=False),  # still open
            ]
        )
        store.flush()
    con = duckdb.connect(str(path))
    door = [("10:00", "in"), ("10:15", "in"), ("10:30", "out"), ("11:20", "out"), ("14:00", "in"), ("14:05", "in")]
    door += [("14:10", "out")]
    crossings = [LineCrossing("entrance", "door", d, i, at(t) + 5, True) for i, (t, d) in enumerate(door)]
    crossings.append(LineCrossing("till", "aisle", "in", 99, at("10:40"), False))
    insert_line_crossings(con, crossings)
    con.close()
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_report_cli_writes_csv_and_png(store_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "pictag.yaml"
    config.write_text(
        yaml.safe_dump(
            {"storage": {"path": str(store_file)}, "reports": {"timezone": "Europe/Berlin", "out_dir": "out"}}
        )
    )
    assert main(["report", "--day", "2026-11-24", "-c", str(config)]) == 0
    csv_path = tmp_path / "out" / "pictag-report-2026-11-24.csv"
    png_path = tmp_path / "out" / "pictag-report-2026-11-24.png"
    rows = read_csv(csv_path)
    assert list(rows[0]) == [*BASE_COLUMNS, "in:entrance/door", "out:entrance/door", "in:till/aisle", "out:till/aisle"]
    assert len(rows) == 24 and rows[0]["hour_start"] == "2026-11-24T00:00:00+01:00"
    by_hour = {int(r["hour_start"][11:13]): r for r in rows}

    def pick(h: int, *cols: str) -> tuple[str, ...]:
        return tuple(by_hour[h][c] for c in cols)

    cols = ("visitors", "returning_visitors", "visits_started", "dwell_mean_s", "dwell_median_s", "occupancy_peak")
    assert pick(10, *cols) == ("2", "1", "2", "2850.0", "2850.0", "2")
    assert pick(11, *cols) == ("1", "1", "0", "", "", "1")
    assert pick(14, *cols) == ("2", "1", "2", "600.0", "600.0", "2")
    assert pick(9, *cols) == ("0", "0", "0", "", "", "0")
    door = ("footfall_in", "footfall_out", "in:entrance/door", "out:entrance/door", "in:till/aisle")
    assert pick(10, *door) == ("2", "1", "2", "1", "1")  # the till's aisle line is no entrance
    assert pick(11, *door) == ("0", "1", "0", "1", "0")
    assert pick(14, *door) == ("2", "1", "2", "1", "0")
    assert sum(int(r["footfall_in"]) for r in rows) == 4

    image = cv2.imread(str(png_path))
    assert image is not None and image.shape == (1754, 1240, 3)
    assert (image < 250).mean() > 0.02  # something is drawn: text, tiles, bars
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(png_path, ARTIFACTS / "report-2026-11-24.png")


def test_day_totals_and_the_api_csv(store_file: Path) -> None:
    con = open_read_only(store_file)
    try:
        report = build_daily(con, DAY, TZ)
        text = hourly_csv(con, parse_instant("2026-11-24T10:00:00", TZ), parse_instant("2026-11-24T12:00:00", TZ), TZ)
    finally:
        con.close()
    t = report.totals
    assert (t.visitors, t.returning, t.closed_visits) == (3, 2, 3)
    assert t.occupancy_peak == 2 and t.occupancy_peak_at == "2026-11-24T10:00:00+01:00"
    assert (t.footfall_in, t.footfall_out) == (4, 3)
    assert t.lines == {("entrance", "door"): (4, 3), ("till", "aisle"): (1, 0)}
    lines = text.strip().splitlines()
    assert len(lines) == 3 and lines[1].startswith("2026-11-24T10:00:00+01:00,")


def test_a_dst_day_has_25_rows(store_file: Path, tmp_path: Path) -> None:
    con = open_read_only(store_file)
    try:
        files = write_daily(build_daily(con, date(2026, 10, 25), TZ), tmp_path / "dst")
    finally:
        con.close()
    rows = read_csv(files.csv)
    assert len(rows) == 25
    assert [r["hour_start"][11:] for r in rows[2:4]] == ["02:00:00+02:00", "02:00:00+01:00"]


def test_report_refuses_clearly_while_the_runtime_holds_the_store(store_file: Path, capsys) -> None:
    # the runtime's StoreActor is another process holding the file for writing
    code = f"from pictag.storage.store import Store; s = Store.open({str(store_file)!r}); print('open', flush=True)"
    code += "; input()"
    writer = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"open"
        with pytest.raises(StorageError, match="reason=locked"):
            open_read_only(store_file)
        assert main(["report", "--day", "2026-11-24", "--db", str(store_file)]) == 2
        assert "GET /api/v1/export/hourly.csv" in capsys.readouterr().err
    finally:
        writer.kill()
        writer.wait()
    open_read_only(store_file).close()  # once the runtime is gone, the report can read


def test_report_without_line_crossings_table(tmp_path: Path) -> None:
    path = tmp_path / "plain.duckdb"
    with Store.open(path) as store:
        store.upsert_visits([visit("v1", "p1", "10:00", "10:30")])
    con = open_read_only(path)
    try:
        report = build_daily(con, DAY, TZ)
        files = write_daily(report, tmp_path / "out")
    finally:
        con.close()
    rows = read_csv(files.csv)
    assert list(rows[0]) == list(BASE_COLUMNS) and report.totals.lines == {}
    assert cv2.imread(str(files.png)) is not None


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list]]:
    with smtp_sink() as server:
        yield server


def test_report_mail_reaches_a_local_smtp_server(store_file: Path, tmp_path: Path, smtp_server) -> None:
    port, received = smtp_server
    config = tmp_path / "pictag.yaml"
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "shop@example.org"}
    smtp["recipients"] = ["owner@example.org", "manager@example.org"]
    config.write_text(
        yaml.safe_dump({"storage": {"path": str(store_file)}, "reports": {"timezone": "Europe/Berlin", "email": smtp}})
    )
    assert main(["report", "--day", "2026-11-24", "-c", str(config), "--out", str(tmp_path / "o"), "--email"]) == 0
    (envelope,) = received
    assert envelope.mail_from == "shop@example.org"
    assert sorted(envelope.rcpt_tos) == ["manager@example.org", "owner@example.org"]
    msg = email.message_from_bytes(envelope.content, policy=policy.default)
    assert msg["Subject"] == "PicTag report 2026-11-24"
    names = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert set(names) == {"pictag-report-2026-11-24.csv", "pictag-report-2026-11-24.png"}
    assert names["pictag-report-2026-11-24.png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "o" / "pictag-report-2026-11-24.csv").read_text() == names["pictag-report-2026-11-24.csv"]


def test_mail_failure_names_the_server_not_the_password(tmp_path: Path) -> None:
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=free_port(),
        security="none",
        username="u",
        password="smtp-pa55-word",
        sender="a@b.c",
        recipients=["d@e.f"],
        timeout_s=2,
    )
    f = tmp_path / "x.csv"
    f.write_text("a\n")
    with pytest.raises(ReportMailError, match="reason=send_failed") as info:
        send_report(smtp, "s", "b", [f])
    assert "smtp-pa55-word" not in str(info.value)
    assert day_bounds(DAY, TZ)[0] < day_bounds(DAY, TZ)[1]
