"""A real private mosquitto broker for tests, and a recording MQTT subscriber.

`MosquittoBroker` runs ``mosquitto -c CONF`` on a free loopback port with its own
config (anonymous or a password file, persistence on or off); ``kill`` (SIGKILL),
``stop`` (SIGTERM: a clean shutdown that saves persistence) and ``start`` again on the
same port model an outage or a restart. `Recorder` is a paho client that records
every message and lets a test wait on conditions with a timeout.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tests.helpers import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail the test naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class MosquittoBroker:
    """One private mosquitto process (restartable on the same port)."""

    def __init__(
        self,
        folder: Path,
        *,
        persistence: bool = False,
        users: dict[str, str] | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        self.log = folder / "mosquitto.log"
        # `user`: mosquitto started as root drops to user "mosquitto", who cannot write the test's folder
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"persistence {'true' if persistence else 'false'}",
            f"user {getpass.getuser()}",
        ]
        if persistence:
            lines.append(f"persistence_location {folder}/")
        if users:
            pw = folder / "passwd"
            for i, (user, password) in enumerate(users.items()):
                cmd = ["mosquitto_passwd", "-b", *(["-c"] if i == 0 else []), str(pw), user, password]
                subprocess.run(cmd, check=True, capture_output=True)
            os.chmod(pw, 0o600)
            lines += ["allow_anonymous false", f"password_file {pw}"]
        else:
            lines.append("allow_anonymous true")
        lines += list(extra)
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> MosquittoBroker:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=out, stderr=out)
        wait_until(self._accepts, 10.0, f"mosquitto listening on {self.port}")
        return self

    def _accepts(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def _end(self, sig: int) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: an outage; without persistence every retained message is gone."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: a clean shutdown (persistence, when on, is saved)."""
        self._end(signal.SIGTERM)


@dataclass
class Recorder:
    """A subscriber that records ``(topic, payload, retain)`` for every message."""

    port: int
    topics: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    client_id: str = ""
    clean_session: bool = True
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=self.clean_session
        )
        if self.username:
            self.client.username_pw_set(self.username, self.password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.reconnect_delay_set(1, 1)

    def _on_connect(self, client: paho.Client, *args: Any) -> None:
        client.subscribe([(t, 1) for t in self.topics])

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def start(self) -> Recorder:
        self.client.connect("127.0.0.1", self.port, keepalive=10)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise AssertionError("subscriber got no SUBACK")
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def latest(self) -> dict[str, bytes]:
        """Last payload per topic."""
        with self._lock:
            return {t: p for t, p, _ in self.messages}

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.messages if t == topic]

    def wait_for(self, topic: str, payload: bytes | None = None, timeout: float = 10.0) -> bytes:
        """Wait until ``topic`` got a message (equal to ``payload`` when given); return the last one."""

        def seen() -> bool:
            got = self.latest().get(topic)
            return got is not None and (payload is None or got == payload)

        wait_until(seen, timeout, f"{topic} = {payload!r}")
        return self.latest()[topic]
