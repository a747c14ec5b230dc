"""`pictag bench soak`: memory, file descriptors and threads of the whole runtime over a long run.

N cameras run for ``minutes`` as `pictag up` runs them; every ``sample_s`` the proportional set
size (PSS: shared pages counted once), open file descriptors and threads of every process of the
Ray session are summed, with the frames processed so far and the object store's use. With
``kill_every_s`` one camera's RTSP server (a process of its own) is killed and started again on
that period, the way a camera reboots; its recovery time is recorded. The verdict the issues ask
for is the growth after a settling period: PSS, fds and threads at the end minus at ``settle_s``.
PSS is judged on the median of the readings within `LEVEL_WINDOW_S` at each end (two minutes
around ``settle_s``, the last two minutes); the single-reading difference is reported beside it.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from pictag.actors.bench_runtime import RuntimeParams, build_config
from pictag.bench import procs

if TYPE_CHECKING:  # Ray is imported only when the soak runs
    from pictag.actors.runtime import Runtime

Progress = Callable[[str], None]
#: The issues' budget: PSS growth after the first five minutes.
PSS_GROWTH_BUDGET_MB = 50.0
#: Each end of the verdict is the median of the readings in a window this wide: one reading
#: can land on a transient peak (rows DuckDB holds until its next checkpoint, a garbage
#: collection, a frame batch in flight) and move the growth by ten MiB either way.
LEVEL_WINDOW_S = 120.0


@dataclass(frozen=True)
class SoakParams:
    """One soak run."""

    cameras: int = 8
    minutes: float = 30.0
    fps: float = 5.0
    sample_s: float = 30.0
    settle_s: float = 300.0
    kill_every_s: float = 0.0
    source: str = "videos/vtest.avi"
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sample:
    """One reading of the whole runtime."""

    t_s: float
    pss_mb: float
    rss_mb: float
    fds: int
    threads: int
    processes: int
    processed: int
    live_cameras: int
    object_store_mb: float
    pss_by_role: dict[str, float]
    threads_by_role: dict[str, int] = field(default_factory=dict)


def _fds_threads(found: list[psutil.Process]) -> tuple[int, dict[str, int]]:
    """Open fds of all processes, and threads per role (a leak shows which process it is in)."""
    fds = 0
    threads: dict[str, int] = {}
    for proc in found:
        try:
            fds += proc.num_fds()
            role = procs.role_of(proc.name(), " ".join(proc.cmdline()))
            threads[role] = threads.get(role, 0) + proc.num_threads()
        except (psutil.Error, OSError):
            continue
    return fds, threads


def _sample(runtime: Runtime, session: Path, start: float, store_bytes: Callable[[], int]) -> Sample:
    found = procs.find_runtime_processes(session)
    memory = procs.memory_totals(found)
    fds, threads_by_role = _fds_threads(found)
    try:
        cams = runtime.controller.list_cameras.remote().future().result(timeout=30)
    except Exception:
        cams = []
    return Sample(
        t_s=round(time.monotonic() - start, 1),
        pss_mb=round(memory.pss_mb, 1),
        rss_mb=round(memory.rss_mb, 1),
        fds=fds,
        threads=sum(threads_by_role.values()),
        processes=memory.processes,
        processed=sum(c["counters"]["processed"] for c in cams),
        live_cameras=sum(1 for c in cams if c["status"] == "live"),
        object_store_mb=round(store_bytes() / 2**20, 1),
        pss_by_role={k: round(v, 1) for k, v in memory.pss_by_role.items()},
        threads_by_role=dict(sorted(threads_by_role.items())),
    )


def _at(samples: list[Sample], t_s: float) -> Sample:
    return min(samples, key=lambda s: abs(s.t_s - t_s))


def _window(samples: list[Sample], lo: float, hi: float) -> list[Sample]:
    """Readings with ``lo <= t_s <= hi``; the nearest one when none falls inside."""
    inside = [s for s in samples if lo <= s.t_s <= hi]
    return inside or [_at(samples, (lo + hi) / 2)]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _levels(window: list[Sample]) -> tuple[float, dict[str, float]]:
    """Median total PSS and median PSS per role of a window of readings."""
    roles = sorted({role for s in window for role in s.pss_by_role})
    by_role = {role: _median([s.pss_by_role.get(role, 0.0) for s in window]) for role in roles}
    return _median([s.pss_mb for s in window]), by_role


def summarise(samples: list[Sample], params: SoakParams, recoveries: list[float]) -> dict[str, Any]:
    """Growth after the settling period, and the verdict against the budget."""
    if not samples:
        return {}
    settled, last = _at(samples, params.settle_s), samples[-1]
    growth = round(last.pss_mb - settled.pss_mb, 1)
    half = LEVEL_WINDOW_S / 2
    start_level, start_roles = _levels(_window(samples, params.settle_s - half, params.settle_s + half))
    end_level, end_roles = _levels(_window(samples, last.t_s - LEVEL_WINDOW_S, last.t_s))
    median_growth = round(end_level - start_level, 1)
    by_role = {
        role: round(last.pss_by_role.get(role, 0.0) - settled.pss_by_role.get(role, 0.0), 1)
        for role in sorted(set(last.pss_by_role) | set(settled.pss_by_role))
    }
    return {
        "settled_at_s": settled.t_s,
        "pss_mb_settled": settled.pss_mb,
        "pss_mb_end": last.pss_mb,
        "pss_growth_after_settle_mb": growth,
        "pss_growth_by_role_mb": by_role,
        "pss_growth_median_mb": median_growth,
        "pss_growth_by_role_median_mb": {
            role: round(end_roles.get(role, 0.0) - start_roles.get(role, 0.0), 1)
            for role in sorted(set(start_roles) | set(end_roles))
        },
        "level_window_s": LEVEL_WINDOW_S,
        "pss_budget_mb": PSS_GROWTH_BUDGET_MB,
        "pss_within_budget": median_growth <= PSS_GROWTH_BUDGET_MB,
        "fds_growth_after_settle": last.fds - settled.fds,
        "threads_growth_after_settle": last.threads - settled.threads,
        "threads_growth_by_role": {
            role: last.threads_by_role.get(role, 0) - settled.threads_by_role.get(role, 0)
            for role in sorted(set(last.threads_by_role) | set(settled.threads_by_role))
        },
        "processed_fps": round((last.processed - settled.processed) / max(last.t_s - settled.t_s, 1.0), 2),
        "camera_recoveries_s": recoveries,
    }


def run_soak(params: SoakParams, progress: Progress) -> dict[str, Any]:
    """Run the soak; the samples (the curve) and the summary."""
    from pictag import assets
    from pictag.actors.diagnostics import object_store_used_bytes
    from pictag.actors.runtime import start_runtime
    from pictag.simulate.clips import prepare_clip
    from pictag.simulate.ports import free_port
    from pictag.simulate.server import Mount, RtspSimulator

    clip = prepare_clip(assets.resolve(params.source), fps=params.fps)
    servers: list[RtspSimulator] = []
    if params.kill_every_s > 0:  # the victim camera gets a server of its own
        servers = [
            RtspSimulator([Mount("/cam1", clip=clip)]),
            RtspSimulator([Mount(f"/cam{i + 1}", clip=clip) for i in range(1, params.cameras)]),
        ]
        for server in servers:
            server.start()
        urls = tuple([servers[0].url("/cam1")] + [servers[1].url(f"/cam{i + 1}") for i in range(1, params.cameras)])
    else:
        urls = tuple(str(clip) for _ in range(params.cameras))
    samples: list[Sample] = []
    recoveries: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pictag-soak-") as tmp:
            run = RuntimeParams(urls=urls, scenario="live", fps=params.fps, warmup_s=0, seconds=0, config=params.config)
            config = build_config(run, Path(tmp), free_port())
            runtime = start_runtime(config)
            session = procs.session_dir(config.runtime.temp_dir or "")
            assert session is not None
            try:
                watch = _Watch(runtime, session, object_store_used_bytes)
                samples, recoveries = _loop(watch, params, servers, progress)
            finally:
                runtime.stop()
    finally:
        for server in servers:
            server.stop()
    return {
        "params": asdict(params),
        "samples": [asdict(s) for s in samples],
        "summary": summarise(samples, params, recoveries),
    }


@dataclass(frozen=True)
class _Watch:
    """What the loop samples: the runtime's handles, its Ray session folder, the object-store gauge."""

    runtime: Runtime
    session: Path
    store_bytes: Callable[[], int]


def _loop(
    watch: _Watch, params: SoakParams, servers: list[Any], progress: Progress
) -> tuple[list[Sample], list[float]]:
    start = time.monotonic()
    end = start + params.minutes * 60.0
    next_sample = start
    next_kill = start + params.kill_every_s if params.kill_every_s > 0 else float("inf")
    samples: list[Sample] = []
    recoveries: list[float] = []
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_sample:
            sample = _sample(watch.runtime, watch.session, start, watch.store_bytes)
            samples.append(sample)
            progress(
                f"  {sample.t_s / 60:5.1f} min  PSS {sample.pss_mb:7.1f} MiB  fds {sample.fds:5d}  threads "
                f"{sample.threads:5d}  live {sample.live_cameras}/{params.cameras}  processed {sample.processed}"
            )
            next_sample += params.sample_s
        if now >= next_kill and servers:
            recoveries.append(_reboot_camera(watch.runtime, servers[0], progress))
            next_kill += params.kill_every_s
        time.sleep(1.0)
    return samples, recoveries


def _reboot_camera(runtime: Runtime, server: Any, progress: Progress) -> float:
    """Kill the victim camera's server, start it again after 10 s; seconds until the camera is live again."""
    server.kill()
    time.sleep(10.0)
    server.restart()
    restarted = time.monotonic()
    while time.monotonic() - restarted < 120:
        try:
            cams = runtime.controller.list_cameras.remote().future().result(timeout=30)
        except Exception:
            cams = []
        if any(c["id"] == "cam1" and c["status"] == "live" for c in cams):
            break
        time.sleep(0.5)
    took = round(time.monotonic() - restarted, 1)
    progress(f"  camera server restarted: cam1 live again after {took} s")
    return took


def write(result: dict[str, Any], path: Path | None) -> None:
    """JSON of the run (samples and summary)."""
    if path is not None:
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
