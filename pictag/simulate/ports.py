"""Free loopback ports for the simulator, benchmarks and tests, chosen where nothing else looks.

Asking the kernel for port 0 hands out a port from the ephemeral range
(``/proc/sys/net/ipv4/ip_local_port_range``, 32768-60999 on Linux), the same range it
uses for the local end of every outgoing connection. The port is free when returned,
but a server binds it only later (Serve's proxy after Ray has started, an RTSP server
restarted after a kill), and a busy Ray node opens hundreds of connections in the
meantime: CI once lost a test to "Failed to bind to address 127.0.0.1:38127".

So ports are drawn at random between Ray's default worker-port range (10002-19999)
and the ephemeral range, where neither the kernel nor Ray hands ports out by itself.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

#: First port above Ray's default worker range (``--max-worker-port`` 19999).
FIRST_PORT = 20000
#: Used when the kernel's ephemeral range cannot be read (the Linux default's start).
DEFAULT_EPHEMERAL_START = 32768
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_TRIES = 200


def ephemeral_start() -> int:
    """The first port the kernel hands out for port 0 and outgoing connections."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_EPHEMERAL_START


def _bindable(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 now (TCP or UDP), outside the ranges handed out automatically.

    Falls back to a kernel-chosen port when the quiet range is unusable (an ephemeral
    range that starts below `FIRST_PORT`, or every try taken).
    """
    last = ephemeral_start() - 1
    if last > FIRST_PORT:
        for port in random.sample(range(FIRST_PORT, last + 1), k=min(_TRIES, last + 1 - FIRST_PORT)):
            if _bindable(port, kind):
                return port
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
