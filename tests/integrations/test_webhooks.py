"""Webhooks against a real HTTP receiver: signatures, retries with backoff, giving up, delivery log rows
in a real DuckDB file, secrets redacted, and a slow or dead endpoint that never slows the caller."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pictag.config.webhooks import WebhookConfig
from pictag.integrations.webhooks import SIGNATURE_HEADER, DeliveryRecord, WebhookDispatcher, encode_body, verify
from pictag.storage.integrations import insert_deliveries, recent_deliveries
from pictag.storage.schema import apply_migrations
from tests.helpers import free_port
from tests.integrations.mqtt_broker import wait_until
from tests.integrations.webhook_receiver import Receiver

SECRET = "whsec-0123456789abcdef-XYZ"
EVENT = {"type": "alert.raised", "ts": "2026-11-24T10:00:00.000Z", "ts_unix": 1795514400.0, "rule_id": "crowded"}


def hook(url: str, **kw: object) -> WebhookConfig:
    return WebhookConfig.model_validate(
        {"url": url, "events": ["alert.*"], "secret": SECRET, "backoff_s": 0.2, "backoff_max_s": 0.5, **kw}
    )


class DuckSink:
    """The runtime's sink in miniature: records go into a real DuckDB file (one writer, serialised)."""

    def __init__(self, path: Path) -> None:
        self.con = duckdb.connect(str(path))
        apply_migrations(self.con)  # migration 4 creates webhook_deliveries
        self.lock = threading.Lock()
        self.records: list[DeliveryRecord] = []

    def __call__(self, record: DeliveryRecord) -> None:
        with self.lock:
            insert_deliveries(self.con, [record])
            self.records.append(record)

    def rows(self) -> list[DeliveryRecord]:
        with self.lock:
            return recent_deliveries(self.con)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[DuckSink]:
    s = DuckSink(tmp_path / "store.duckdb")
    yield s
    s.con.close()


@pytest.fixture
def dispatcher_factory():
    made: list[WebhookDispatcher] = []

    def make(hooks: list[WebhookConfig], sink=None) -> WebhookDispatcher:
        d = WebhookDispatcher(hooks, sink)
        d.start()
        made.append(d)
        return d

    yield make
    for d in made:
        d.stop(timeout_s=2)


def test_signed_delivery_and_log_row(receiver: Receiver, sink: DuckSink, dispatcher_factory) -> None:
    d = dispatcher_factory([hook(receiver.url("/ok"))], sink)
    assert d.submit(EVENT) == 1
    assert d.submit({"type": "track.started", "ts_unix": 1.0}) == 0  # not subscribed
    wait_until(lambda: len(sink.rows()) == 1, 10, "delivery row")
    (req,) = receiver.on("/ok")
    assert verify(SECRET, req.body, req.headers[SIGNATURE_HEADER])
    assert not verify("another-secret-0123456789", req.body, req.headers[SIGNATURE_HEADER])
    assert req.body == encode_body(EVENT) and json.loads(req.body) == EVENT
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-PicTag-Event"] == "alert.raised"
    (row,) = sink.rows()
    assert row.delivery_id == req.headers["X-PicTag-Delivery"]
    assert (row.status, row.attempts, row.http_status, row.last_error) == ("delivered", 1, 200, None)
    assert row.event_type == "alert.raised" and row.event_ts == EVENT["ts_unix"]


def test_retries_on_500_with_backoff_then_delivers(receiver: Receiver, sink: DuckSink, dispatcher_factory) -> None:
    receiver.script["/flaky"] = [(500, 0), (503, 0), (200, 0)]
    d = dispatcher_factory([hook(receiver.url("/flaky"), backoff_s=0.3, backoff_max_s=0.4)], sink)
    d.submit(EVENT)
    wait_until(lambda: len(sink.rows()) == 1, 10, "delivery row")
    reqs = receiver.on("/flaky")
    assert len(reqs) == 3
    assert len({r.headers["X-PicTag-Delivery"] for r in reqs}) == 1  # one delivery id across retries
    assert all(verify(SECRET, r.body, r.headers[SIGNATURE_HEADER]) for r in reqs)
    gaps = [b.at - a.at for a, b in zip(reqs, reqs[1:], strict=False)]
    assert 0.26 <= gaps[0] <= 1.0 and 0.35 <= gaps[1] <= 1.0, gaps  # 0.3 s, then 0.6 capped to 0.4 (jitter -10 %)
    (row,) = sink.rows()
    assert (row.status, row.attempts, row.http_status) == ("delivered", 3, 200)
    assert d.stats()[0].retries == 2


def test_gives_up_after_max_attempts(receiver: Receiver, sink: DuckSink, dispatcher_factory) -> None:
    receiver.script["/down"] = [(500, 0)]
    d = dispatcher_factory([hook(receiver.url("/down"), max_attempts=3)], sink)
    d.submit(EVENT)
    wait_until(lambda: len(sink.rows()) == 1, 10, "delivery row")
    assert len(receiver.on("/down")) == 3
    (row,) = sink.rows()
    assert (row.status, row.attempts, row.http_status) == ("failed", 3, 500)
    assert row.last_error is not None and "500" in row.last_error
    assert d.stats()[0].failed == 1


def test_client_error_is_not_retried(receiver: Receiver, sink: DuckSink, dispatcher_factory) -> None:
    receiver.script["/gone"] = [(410, 0)]
    d = dispatcher_factory([hook(receiver.url("/gone"))], sink)
    d.submit(EVENT)
    wait_until(lambda: len(sink.rows()) == 1, 10, "delivery row")
    (row,) = sink.rows()
    assert (row.status, row.attempts, row.http_status) == ("failed", 1, 410)


def test_dead_endpoint_secrets_redacted_in_log_rows_and_logs(sink: DuckSink, dispatcher_factory, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://hookuser:url-pass-9876@127.0.0.1:{free_port()}/x?token=tok-secret-55&site=a"
    d = dispatcher_factory([hook(url, max_attempts=2, timeout_s=1)], sink)
    d.submit(EVENT)
    wait_until(lambda: len(sink.rows()) == 1, 10, "delivery row")
    (row,) = sink.rows()
    assert (row.status, row.attempts, row.http_status) == ("failed", 2, None)
    assert row.last_error and "Connection refused" in row.last_error
    assert row.url == f"http://***@127.0.0.1:{url.split(':')[3].split('/', maxsplit=1)[0]}/x?token=***&site=a"
    stored = json.dumps([list(r) for r in sink.con.execute("SELECT * FROM webhook_deliveries").fetchall()])
    text = stored + caplog.text + repr(d.stats())
    for secret in ("url-pass-9876", "tok-secret-55", SECRET, "hookuser"):
        assert secret not in text


def test_url_credentials_become_basic_auth(receiver: Receiver, dispatcher_factory) -> None:
    dispatcher_factory([hook(receiver.url("/auth", userinfo="u1:p1@"))]).submit(EVENT)
    wait_until(lambda: len(receiver.on("/auth")) == 1, 10, "request")
    assert receiver.on("/auth")[0].headers["Authorization"] == "Basic dTE6cDE="


def test_slow_endpoint_never_slows_the_caller_or_other_endpoints(receiver: Receiver, dispatcher_factory) -> None:
    receiver.script["/slow"] = [(200, 3.0)]
    slow = hook(receiver.url("/slow"), timeout_s=0.5, max_attempts=1, queue_size=10)
    fast = hook(receiver.url("/fast"))
    d = dispatcher_factory([slow, fast])
    t0 = time.perf_counter()
    for i in range(500):
        d.submit({**EVENT, "i": i})
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0, f"500 submits took {elapsed:.2f} s"
    wait_until(lambda: d.stats()[1].delivered == 500, 30, "the fast endpoint got everything")
    stats = d.stats()
    assert stats[0].dropped >= 480  # the slow endpoint's queue holds 10: the oldest were dropped and counted
    assert stats[1].dropped == 0
    assert [json.loads(r.body)["i"] for r in receiver.on("/fast")] == list(range(500))
