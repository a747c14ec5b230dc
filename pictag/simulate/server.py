"""`RtspSimulator`: real RTSP cameras on this machine, for tests and for trying PicTag.

Processes: one ffmpeg feeder per clip mount (``-re -stream_loop -1 ... -c copy -f
rtp``, to a local UDP port) and one GStreamer RTSP server (`rtsp_server_gi.py`
under the system Python, which relays the RTP). Killing, freezing or restarting
the server leaves the feeders alone, like a camera whose RTSP service hangs or
reboots while its sensor keeps running.

Children are tied to the thread that started them (``setpriv --pdeathsig``) and
the server also exits when its stdin closes, so a crashed parent leaves nothing
behind. Start the simulator from a long-lived thread (the main thread).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from pictag.simulate.clips import SimulatorError
from pictag.simulate.ports import free_port

SYSTEM_PYTHON = "/usr/bin/python3"
DEBIAN_PACKAGES = (
    "ffmpeg gstreamer1.0-rtsp libgstrtspserver-1.0-0 gir1.2-gst-rtsp-server-1.0 "
    "gir1.2-gstreamer-1.0 python3-gi gstreamer1.0-plugins-base gstreamer1.0-plugins-good "
    "gstreamer1.0-plugins-bad"
)
_STOP_GRACE_S = 3.0


@dataclass(frozen=True)
class Mount:
    """One stream path on the simulated server.

    Attributes:
        path: Mount path, e.g. ``/cam1``.
        clip: H.264 clip to loop (see `prepare_clip`); fed through an ffmpeg relay.
        launch: Instead of a clip, a gst-rtsp-server launch line (``( ... name=pay0 )``).
        user: Require this user name (then every mount of the server needs one).
        password: Password for ``user``.
    """

    path: str
    clip: Path | None = None
    launch: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or len(self.path) < 2:  # noqa: PLR2004
            raise SimulatorError(f"mount path {self.path!r} must look like /cam1")
        if (self.clip is None) == (self.launch is None):
            raise SimulatorError(f"mount {self.path}: give exactly one of clip= and launch=")


def missing_requirements() -> str | None:
    """None when the simulator can run here, else one line saying what to install."""
    if shutil.which("ffmpeg") is None:
        return f"ffmpeg is not installed; apt-get install {DEBIAN_PACKAGES}"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing; the GStreamer RTSP server needs the system Python"
    probe = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        "from gi.repository import Gst, GstRtspServer"
    )
    result = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30, check=False)
    if result.returncode != 0:
        return f"GStreamer RTSP server bindings are missing; apt-get install {DEBIAN_PACKAGES}"
    return None


class RtspSimulator:
    """An RTSP server with one or more looping mounts that can be killed, frozen and restarted.

    Args:
        mounts: The stream paths to serve.
        port: RTSP port; 0 picks a free one (kept across `restart`).
        host: Address to listen on (loopback by default).
        digest: Use Digest instead of Basic authentication on protected mounts.
    """

    def __init__(self, mounts: list[Mount], *, port: int = 0, host: str = "127.0.0.1", digest: bool = False) -> None:
        if not mounts:
            raise SimulatorError("the simulator needs at least one mount")
        if len({m.path for m in mounts}) != len(mounts):
            raise SimulatorError("mount paths must be unique")
        protected = [bool(m.user) for m in mounts]
        if any(protected) and not all(protected):
            raise SimulatorError("either every mount has a user or none has (use two simulators)")
        self._mounts = list(mounts)
        self._host = host
        self._port = port or free_port()
        self._digest = digest
        self._udp_ports = {m.path: free_port(socket.SOCK_DGRAM) for m in mounts if m.clip}
        self._logs = Path(tempfile.mkdtemp(prefix="pictag-rtsp-"))
        self._feeders: list[subprocess.Popen[bytes]] = []
        self._server: subprocess.Popen[bytes] | None = None
        self._frozen = False

    # ------------------------------------------------------------------ facts
    @property
    def port(self) -> int:
        """The RTSP port."""
        return self._port

    @property
    def server_pid(self) -> int | None:
        """PID of the GStreamer server process while it runs."""
        return self._server.pid if self._server and self._server.poll() is None else None

    def url(self, path: str | None = None, *, user: str | None = None, password: str | None = None) -> str:
        """``rtsp://[user:password@]host:port/path``; credentials (URL-encoded) only if given."""
        mount = path or self._mounts[0].path
        auth = ""
        if user is not None:
            auth = quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "") + "@"
        return f"rtsp://{auth}{self._host}:{self._port}{mount}"

    # -------------------------------------------------------------- lifecycle
    def start(self, timeout: float = 15.0) -> None:
        """Start the feeders and the server; returns once the server listens.

        Raises:
            SimulatorError: A process failed to start (its log tail is in the message).
        """
        if not self._feeders:
            for mount in self._mounts:
                if mount.clip is not None:
                    self._feeders.append(self._start_feeder(mount.clip, self._udp_ports[mount.path]))
        self.start_server(timeout)

    def start_server(self, timeout: float = 15.0) -> None:
        """(Re)start only the GStreamer server on the same port."""
        if self.server_pid is not None:
            raise SimulatorError("the RTSP server is already running")
        config = {
            "host": self._host,
            "port": self._port,
            "digest": self._digest,
            "mounts": [
                {
                    "path": m.path,
                    "udp_port": self._udp_ports.get(m.path),
                    "launch": m.launch,
                    "user": m.user,
                    "password": m.password,
                }
                for m in self._mounts
            ],
        }
        script = resources.files("pictag.simulate").joinpath("rtsp_server_gi.py")
        log = (self._logs / "server.log").open("ab")
        self._server = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [*_pdeathsig(), SYSTEM_PYTHON, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=_gst_env(),
        )
        log.close()
        assert self._server.stdin is not None and self._server.stdout is not None
        self._server.stdin.write(json.dumps(config).encode() + b"\n")
        self._server.stdin.flush()  # stdin stays open: the server exits when it closes
        self._frozen = False
        line = _read_line(self._server, timeout)
        if not line.startswith("READY"):
            self._terminate(self._server)
            self._server = None
            raise SimulatorError(f"RTSP server did not start: {line or 'no answer'}; {self._log_tail('server.log')}")

    def kill(self) -> None:
        """SIGKILL the server (a camera losing power); feeders keep running."""
        if self._server is not None:
            self._server.kill()
            self._server.wait(timeout=10)
            self._close_pipes(self._server)
            self._server = None
            self._frozen = False

    def freeze(self) -> None:
        """SIGSTOP the server: connections stay open, no data flows (a hung camera)."""
        if self._server is None:
            raise SimulatorError("the RTSP server is not running")
        os.kill(self._server.pid, signal.SIGSTOP)
        self._frozen = True

    def resume(self) -> None:
        """SIGCONT a frozen server."""
        if self._server is not None and self._frozen:
            os.kill(self._server.pid, signal.SIGCONT)
            self._frozen = False

    def restart(self, timeout: float = 15.0) -> None:
        """Kill the server if it runs and start it again on the same port (a camera reboot)."""
        self.kill()
        self.start_server(timeout)

    def stop(self) -> None:
        """Stop every process; safe to call more than once."""
        self.resume()
        if self._server is not None:
            self._terminate(self._server)
            self._server = None
        for feeder in self._feeders:
            self._terminate(feeder)
        self._feeders = []
        shutil.rmtree(self._logs, ignore_errors=True)

    def feeders_running(self) -> bool:
        """True while every ffmpeg feeder is alive."""
        return bool(self._feeders) and all(p.poll() is None for p in self._feeders)

    def __enter__(self) -> RtspSimulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- helpers
    def _start_feeder(self, clip: Path, udp_port: int) -> subprocess.Popen[bytes]:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise SimulatorError(f"ffmpeg is not installed; apt-get install {DEBIAN_PACKAGES}")
        log = (self._logs / f"feeder-{udp_port}.log").open("ab")
        cmd = [
            *_pdeathsig(), ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-stream_loop", "-1", "-i", str(clip), "-map", "0:v:0", "-c", "copy",
            "-f", "rtp", f"rtp://127.0.0.1:{udp_port}?pkt_size=1316",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603
        log.close()
        return proc

    @staticmethod
    def _terminate(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        RtspSimulator._close_pipes(proc)

    @staticmethod
    def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass

    def _log_tail(self, name: str) -> str:
        try:
            lines = (self._logs / name).read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return " / ".join(lines[-3:]) or "empty log"


def _pdeathsig() -> list[str]:
    """Prefix that kills the child when the starting thread dies (util-linux setpriv)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _gst_env() -> dict[str, str]:
    """The system Python must not see the venv's site-packages or PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.setdefault("GST_DEBUG", "0")
    return env


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    """First stdout line of ``proc`` within ``timeout`` seconds ('' on timeout or exit)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            return proc.stdout.readline().decode(errors="replace").strip()
        if proc.poll() is not None:
            return ""
    return ""
