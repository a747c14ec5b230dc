"""A small real MJPEG-over-HTTP camera (multipart/x-mixed-replace) for HTTP source tests.

Paths: ``/stream.mjpg`` (open), ``/private.mjpg`` (Basic auth), ``/index.html``
(a web page, not a stream); anything else is 404.
"""

from __future__ import annotations

import base64
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

BOUNDARY = "pictagframe"


class MjpegCamera:
    """Serve moving JPEG frames at ``fps`` on 127.0.0.1 until `stop`."""

    def __init__(self, *, user: str, password: str, fps: float = 20.0) -> None:
        self._stop = threading.Event()
        self._jpegs = [self._frame(i) for i in range(20)]
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:
                if self.path == "/index.html":
                    self._reply(200, "text/html", b"<html>camera admin page</html>")
                elif self.path == "/stream.mjpg":
                    self._stream()
                elif self.path == "/private.mjpg":
                    if self.headers.get("Authorization") == expected:
                        self._stream()
                    else:
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                else:
                    self._reply(404, "text/plain", b"not found")

            def _reply(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.end_headers()
                i = 0
                try:
                    while not camera._stop.is_set():
                        jpeg = camera._jpegs[i % len(camera._jpegs)]
                        self.wfile.write(
                            f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
                            + jpeg
                            + b"\r\n"
                        )
                        i += 1
                        time.sleep(1.0 / fps)
                except OSError:
                    pass  # the client went away

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @staticmethod
    def _frame(i: int) -> bytes:
        image = np.zeros((240, 320, 3), np.uint8)
        cv2.circle(image, (20 + 14 * i, 120), 18, (0, 200, 255), -1)
        ok, buf = cv2.imencode(".jpg", image)
        assert ok
        return buf.tobytes()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
