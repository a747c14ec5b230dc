"""A real HTTP receiver for webhook tests: answers from a script per path, records every request."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """``script[path]`` is a list of (status, delay_s) answers; the last one repeats."""

    script: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, delay = receiver._answer(self.path, self.headers, body)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _answer(self, path: str, headers: object, body: bytes) -> tuple[int, float]:
        with self._lock:
            self.requests.append(Received(path, {k: v for k, v in headers.items()}, body, time.monotonic()))  # type: ignore[attr-defined]
            n = self._calls.get(path, 0)
            self._calls[path] = n + 1
            answers = self.script.get(path.split("?", maxsplit=1)[0], [(200, 0.0)])
            return answers[min(n, len(answers) - 1)]

    def url(self, path: str, userinfo: str = "") -> str:
        return f"http://{userinfo}127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
