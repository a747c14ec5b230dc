"""CPU and memory of every process of a running Ray runtime, by role, read with psutil.

Ray's processes are found through the session directory of the runtime: the GCS,
raylet and Ray's helper processes carry it on their command line, and every worker
(every actor) is a descendant of the raylet. Matching on the session directory, not
on process names, keeps other Ray runtimes on the same machine (other users, test
sessions) out of the figures. Workers name themselves ``ray::ClassName`` (or
``ray::ClassName.method`` while a call runs), which gives each process its role.

Memory is reported as RSS (resident, shared pages counted in every process that
maps them: an over-count) and PSS (shared pages split between the processes that
share them: the sum is what the runtime really costs).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from pictag.bench.stats import cpu_percent

MIB = 1024 * 1024

#: Ray actor class name -> role in the reports.
ACTOR_ROLES = {
    "CaptureActor": "capture",
    "DetectorActor": "detector",
    "EmbedderActor": "embedder",
    "IdentityActor": "identity",
    "StoreActor": "store",
    "ControllerActor": "controller",
    "EventHub": "event_hub",
    "ServeController": "serve",
    "ProxyActor": "serve",
}
_WORKER_TITLE = re.compile(r"^ray::([A-Za-z_][\w:]*)")
_RAY_HELPERS = ("monitor.py", "dashboard.py", "log_monitor.py", "DashboardAgent", "RuntimeEnvAgent")


def _worker_role(title: str) -> str:
    """Role of a worker from the class in its ``ray::Class[.method]`` title."""
    cls = title.split(".", maxsplit=1)[0]
    if cls.startswith(("ServeReplica", "SERVE_")):
        return "serve"
    if cls == "IDLE":
        return "idle_worker"
    return ACTOR_ROLES.get(cls, "other_actor")


def role_of(name: str, cmdline: str) -> str:
    """The role of one process of a Ray runtime from its name and command line.

    >>> role_of("ray::DetectorActor.process", "ray::DetectorActor.process")
    'detector'
    """
    program = cmdline.split(" ", 1)[0]
    role = "other"
    if name == "gcs_server" or program.endswith("gcs_server"):
        role = "gcs"
    elif name == "raylet" or program.endswith("/raylet"):
        role = "raylet"
    elif any(h in cmdline for h in _RAY_HELPERS):
        role = "ray_system"
    elif title := (_WORKER_TITLE.match(cmdline) or _WORKER_TITLE.match(name)):
        role = _worker_role(title.group(1))
    return role


_SESSION_RE = re.compile(r"(/\S*?/session_\d{4}-\d{2}-\d{2}_[\d_-]+)(?=/|\s|$)")


def session_in_cmdline(cmdline: str) -> str | None:
    """The Ray session directory named on a command line (GCS and raylet name it), or None."""
    found = _SESSION_RE.search(cmdline)
    return found.group(1) if found else None


def session_dir(temp_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The session directory of the Ray runtime this process started.

    A local ``ray.init`` makes the GCS and the raylet children of the driver, and both
    name the session directory on their command line; that finds the runtime whether the
    benchmark or its caller (a test session) started it. Falls back to
    ``TEMP_DIR/session_latest``.
    """
    try:
        children = psutil.Process().children()
    except psutil.Error:
        children = []
    for child in children:
        found = session_in_cmdline(_cmdline(child))
        if found and Path(found).is_dir():
            return Path(found)
    if temp_dir is not None:
        latest = Path(temp_dir) / "session_latest"
        if latest.exists():
            return latest.resolve()
    return None


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except (psutil.Error, OSError):
        return ""


def find_runtime_processes(session: str | os.PathLike[str]) -> list[psutil.Process]:
    """Every live process of the Ray runtime whose session directory is ``session``.

    Roots are processes naming the session on their command line (GCS, raylet, Ray's
    helpers); the result adds all their descendants (workers, agents).
    """
    key = str(session)
    roots = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if key in " ".join(proc.info["cmdline"] or []):
                roots.append(proc)
        except (psutil.Error, OSError):
            continue
    found: dict[int, psutil.Process] = {}
    for root in roots:
        found[root.pid] = root
        try:
            for child in root.children(recursive=True):
                found[child.pid] = child
        except (psutil.Error, OSError):
            continue
    found.pop(os.getpid(), None)
    return sorted(found.values(), key=lambda p: p.pid)


@dataclass(frozen=True)
class ProcSample:
    """One process at one instant."""

    pid: int
    created: float
    role: str
    cpu_s: float


def cpu_snapshot(procs: Iterable[psutil.Process], roles: dict[int, str] | None = None) -> dict[int, ProcSample]:
    """User+system CPU seconds of each process, keyed by pid (vanished processes left out)."""
    out: dict[int, ProcSample] = {}
    for proc in procs:
        try:
            with proc.oneshot():
                times = proc.cpu_times()
                role = (roles or {}).get(proc.pid) or role_of(proc.name(), _cmdline(proc))
                out[proc.pid] = ProcSample(proc.pid, proc.create_time(), role, times.user + times.system)
        except (psutil.Error, OSError):
            continue
    return out


def cpu_by_role(start: dict[int, ProcSample], end: dict[int, ProcSample]) -> dict[str, float]:
    """CPU seconds spent between two snapshots, summed per role.

    A process that started inside the window counts with all its CPU time; one that
    ended inside it is lost (psutil cannot read a dead process), which the runtime's
    long-lived actors make rare.
    """
    spent: dict[str, float] = {}
    for pid, last in end.items():
        first = start.get(pid)
        base = first.cpu_s if first is not None and first.created == last.created else 0.0
        spent[last.role] = spent.get(last.role, 0.0) + max(0.0, last.cpu_s - base)
    return spent


@dataclass
class MemoryTotals:
    """RSS and PSS of a set of processes, in MiB, with the PSS split per role."""

    rss_mb: float = 0.0
    pss_mb: float = 0.0
    processes: int = 0
    pss_by_role: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (MiB rounded to 0.1)."""
        return {
            "rss_mb": round(self.rss_mb, 1),
            "pss_mb": round(self.pss_mb, 1),
            "processes": self.processes,
            "pss_by_role": {k: round(v, 1) for k, v in sorted(self.pss_by_role.items())},
        }


def memory_totals(procs: Iterable[psutil.Process], roles: dict[int, str] | None = None) -> MemoryTotals:
    """Sum RSS and PSS (``/proc/PID/smaps_rollup`` through psutil) over the processes."""
    out = MemoryTotals()
    for proc in procs:
        try:
            info = proc.memory_full_info()
            role = (roles or {}).get(proc.pid) or role_of(proc.name(), _cmdline(proc))
        except (psutil.Error, OSError):
            continue
        pss = getattr(info, "pss", info.rss) / MIB
        out.rss_mb += info.rss / MIB
        out.pss_mb += pss
        out.processes += 1
        out.pss_by_role[role] = out.pss_by_role.get(role, 0.0) + pss
    return out


class MachineCpu:
    """Busy share of the whole machine over a window: how much the neighbours used.

    On a shared machine the benchmark's figures move with other people's load; this is
    reported next to every run so a slow run can be told apart from a slow pipeline.
    """

    def __init__(self) -> None:
        self._start = psutil.cpu_times()
        self._t0 = time.monotonic()

    def busy_percent(self) -> float:
        """Busy CPU since construction, as a percentage of one core (nproc x 100 = all busy)."""
        end = psutil.cpu_times()
        idle = (end.idle + getattr(end, "iowait", 0.0)) - (self._start.idle + getattr(self._start, "iowait", 0.0))
        total = sum(end) - sum(self._start)
        cores = psutil.cpu_count() or 1
        if total <= 0:
            return 0.0
        return cpu_percent(
            (total - idle) / total * cores * (time.monotonic() - self._t0),
            time.monotonic() - self._t0,
        )
