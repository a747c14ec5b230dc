"""`WebhookDispatcher`: events as signed JSON POSTs, retried with capped backoff, logged per delivery.

Each configured endpoint has its own thread and bounded queue, so a slow or dead
endpoint delays only its own deliveries: `submit` copies the event into the queues of
the endpoints that want it and returns (a full queue drops the oldest, counted).

A delivery is one event to one endpoint:

- body: the event as compact JSON (sorted keys); the signature covers exactly these
  bytes: ``X-PicTag-Signature: sha256=<hex HMAC-SHA256(secret, body)>``, with
  ``X-PicTag-Event`` (type) and ``X-PicTag-Delivery`` (id, the same on every retry:
  receivers can de-duplicate);
- outcome: 2xx delivered; 408/425/429/5xx, timeouts and connection errors are retried
  after ``backoff_s * 2**(attempt-1)`` (capped at ``backoff_max_s``; a ``Retry-After``
  within the cap is honoured) until ``max_attempts``; any other status (3xx included:
  a signed POST is never replayed to another address) fails at once;
- log: one `DeliveryRecord` per finished delivery goes to the sink (the runtime writes
  it to DuckDB, `pictag.storage.integrations.insert_deliveries`). URL credentials and
  the secret never appear in it, nor in log lines.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pictag import __version__
from pictag.config.webhooks import WebhookConfig
from pictag.redaction import scrub, url_secrets

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-PicTag-Signature"
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_ERROR_CHARS = 300

DeliveryStatus = Literal["delivered", "failed"]


@dataclass(frozen=True)
class DeliveryRecord:
    """One finished delivery (a row of ``webhook_deliveries``); secret-free.

    Attributes:
        delivery_id: the ``X-PicTag-Delivery`` header value.
        url: the endpoint with credentials replaced by ``***``.
        event_type, event_ts: the event's ``type`` and ``ts_unix`` (None when absent).
        status: ``delivered`` or ``failed`` (gave up, or a non-retryable answer).
        attempts: POSTs made.
        http_status: the last HTTP status (None when no answer came).
        last_error: why the last attempt failed (redacted), None when delivered.
        created_at, finished_at: when queued and when done (epoch s).
    """

    delivery_id: str
    url: str
    event_type: str
    event_ts: float | None
    status: DeliveryStatus
    attempts: int
    http_status: int | None
    last_error: str | None
    created_at: float
    finished_at: float


@dataclass(frozen=True)
class WebhookStats:
    """Counters per endpoint (URL redacted)."""

    url: str
    queued: int
    delivered: int
    failed: int
    dropped: int
    retries: int


DeliverySink = Callable[[DeliveryRecord], None]


def sign(secret: str | bytes, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` (constant-time compare; for receivers and tests)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def encode_body(event: Mapping[str, Any]) -> bytes:
    """The POST body: compact JSON with sorted keys (what the signature covers)."""
    return json.dumps(dict(event), separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str).encode()


@dataclass(frozen=True)
class _Attempt:
    ok: bool
    retry: bool
    status: int | None
    error: str | None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class _Item:
    delivery_id: str
    event_type: str
    event_ts: float | None
    body: bytes
    created_at: float


class _Endpoint:
    """One webhook: a bounded queue and the thread that delivers from it."""

    def __init__(self, cfg: WebhookConfig, sink: DeliverySink | None, clock: Callable[[], float]) -> None:
        self.cfg = cfg
        self.url = cfg.redacted_url
        self._sink = sink
        self._clock = clock
        self._secret = cfg.secret.get_secret_value()
        self._secrets = [self._secret, *url_secrets(cfg.url)]
        self._target, self._auth = _split_userinfo(cfg.url)
        self._queue: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._rng = random.Random()
        self.counts = {"delivered": 0, "failed": 0, "dropped": 0, "retries": 0}
        self._thread = threading.Thread(target=self._run, name="pictag-webhook", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout_s)

    def put(self, item: _Item) -> bool:
        with self._cond:
            dropped = len(self._queue) >= self.cfg.queue_size
            if dropped:
                self._queue.popleft()
                self.counts["dropped"] += 1
            self._queue.append(item)
            self._cond.notify_all()
        return not dropped

    def stats(self) -> WebhookStats:
        with self._cond:
            return WebhookStats(url=self.url, queued=len(self._queue), **self.counts)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                item = self._queue.popleft()
            record = self._deliver(item)
            if record is None:
                return  # stopped while retrying
            with self._cond:
                self.counts[record.status] += 1
            if record.status == "failed":
                log.warning(
                    "webhook url=%s event=%s failed after %d attempt(s): %s",
                    self.url,
                    record.event_type,
                    record.attempts,
                    record.last_error,
                )
            if self._sink is not None:
                try:
                    self._sink(record)
                except Exception as err:  # the log must never stop deliveries
                    log.error("webhook delivery log sink failed: %s", scrub(str(err), self._secrets))

    def _deliver(self, item: _Item) -> DeliveryRecord | None:
        attempt = 0
        while True:
            attempt += 1
            result = self._post(item)
            if result.ok or not result.retry or attempt >= self.cfg.max_attempts:
                return DeliveryRecord(
                    delivery_id=item.delivery_id,
                    url=self.url,
                    event_type=item.event_type,
                    event_ts=item.event_ts,
                    status="delivered" if result.ok else "failed",
                    attempts=attempt,
                    http_status=result.status,
                    last_error=result.error,
                    created_at=item.created_at,
                    finished_at=self._clock(),
                )
            delay = min(self.cfg.backoff_s * 2 ** (attempt - 1), self.cfg.backoff_max_s)
            if result.retry_after_s is not None:
                delay = min(max(delay, result.retry_after_s), self.cfg.backoff_max_s)
            delay *= self._rng.uniform(0.9, 1.0)  # jitter: retries of many events do not march in step
            with self._cond:
                self.counts["retries"] += 1
                if self._cond.wait_for(lambda: self._stopping, timeout=delay):
                    return None

    def _post(self, item: _Item) -> _Attempt:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"PicTag/{__version__}",
            "X-PicTag-Event": item.event_type,
            "X-PicTag-Delivery": item.delivery_id,
            SIGNATURE_HEADER: sign(self._secret, item.body),
        }
        if self._auth is not None:
            headers["Authorization"] = self._auth
        parts = urlsplit(self._target)
        conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = conn_cls(parts.hostname or "", parts.port, timeout=self.cfg.timeout_s)
        try:
            conn.request("POST", path, body=item.body, headers=headers)
            response = conn.getresponse()
            response.read(65536)
            status = int(response.status)
            if 200 <= status < 300:
                return _Attempt(ok=True, retry=False, status=status, error=None)
            retry_after = _retry_after(response.getheader("Retry-After"), self._clock())
            reason = f"HTTP {status} {response.reason}".strip()
            return _Attempt(False, status in RETRYABLE_STATUS, status, self._clean(reason), retry_after)
        except (OSError, http.client.HTTPException, ValueError) as err:
            why = getattr(err, "strerror", None) or str(err) or type(err).__name__
            return _Attempt(False, True, None, self._clean(f"{type(err).__name__}: {why}"))
        finally:
            conn.close()

    def _clean(self, text: str) -> str:
        return scrub(text, self._secrets)[:MAX_ERROR_CHARS]


def _split_userinfo(url: str) -> tuple[str, str | None]:
    """``https://u:p@h/x`` → (``https://h/x``, Basic auth header): userinfo is sent as HTTP Basic auth."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    token = base64.b64encode(f"{parts.username}:{parts.password or ''}".encode()).decode()
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), f"Basic {token}"


def _retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return None if when is None else max(when.timestamp() - now, 0.0)


class WebhookDispatcher:
    """Delivers events to every configured webhook that wants them, off the caller's thread."""

    def __init__(
        self,
        webhooks: Sequence[WebhookConfig],
        sink: DeliverySink | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._endpoints = [_Endpoint(cfg, sink, clock) for cfg in webhooks]
        self._started = False

    def start(self) -> None:
        """Start one delivery thread per endpoint."""
        if not self._started:
            for endpoint in self._endpoints:
                endpoint.start()
            self._started = True

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the threads; deliveries still queued or waiting for a retry are abandoned."""
        for endpoint in self._endpoints:
            endpoint.stop(timeout_s)

    def submit(self, event: Mapping[str, Any]) -> int:
        """Queue ``event`` for every endpoint subscribed to its type; return how many.

        A full endpoint queue drops its oldest delivery (counted in `stats`) to make room.
        """
        event_type = str(event.get("type", ""))
        targets = [e for e in self._endpoints if e.cfg.wants(event_type)]
        if not targets:
            return 0
        body = encode_body(event)
        ts = event.get("ts_unix")
        event_ts = float(ts) if isinstance(ts, (int, float)) else None
        now = self._clock()
        for endpoint in targets:
            endpoint.put(_Item(uuid.uuid4().hex, event_type, event_ts, body, now))
        return len(targets)

    def stats(self) -> list[WebhookStats]:
        """Counters per endpoint, in configuration order."""
        return [e.stats() for e in self._endpoints]
