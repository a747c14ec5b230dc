"""One measured run of the real PicTag runtime (all Ray actors) on N cameras.

Start the runtime exactly as `pictag up` does, wait until every camera's frames
reach the end of the pipeline, warm up, then measure over a window: counters are
read at its start and end, latency samples are cut to the window, CPU time is read
per process (by role) at both ends and memory (RSS/PSS) is sampled during it.

It drives Ray, so it lives with the actors, not in the domain package (``pictag/`` never
imports Ray); the measuring and reporting pieces it uses (`pictag.bench.procs`, ``stats``,
``report``) are plain Python.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from pictag.bench import procs
from pictag.bench.stats import (
    CameraCounters,
    cpu_percent,
    percentiles,
    rate,
    total_counters,
    window_samples,
)
from pictag.config import PictagConfig, parse_config
from pictag.errors import PictagError

if TYPE_CHECKING:  # the runtime (and Ray) is imported only when a benchmark runs
    from pictag.actors.handles import IdentityHandle
    from pictag.actors.runtime import Runtime

Progress = Callable[[str], None]
#: How long to wait for every camera's first processed frame (model compile on a busy machine).
FIRST_FRAME_TIMEOUT_S = 240.0
PROGRESS_EVERY_S = 2.0
MEMORY_EVERY_S = 5.0
MAX_ANALYSIS_FPS = 60.0


def _get(ref: Any, timeout: float = 30.0) -> Any:
    """Wait for an ObjectRef's value (Ray's concurrent.futures bridge; see the module docstring)."""
    return ref.future().result(timeout=timeout)


@dataclass(frozen=True)
class RuntimeParams:
    """One runtime run: camera URLs, pacing and what to measure.

    Attributes:
        urls: one source URL per camera (file paths or rtsp:// URLs).
        scenario: ``live`` (files paced at their frame rate like live cameras) or ``max`` (files
            decoded on demand, as fast as the sampler takes them).
        fps: analysis frames per second per camera: what each camera offers to the pipeline.
        warmup_s: seconds between the first processed frame of every camera and the window.
        seconds: length of the measured window.
        config: the rest of the configuration (detector, tracking, reid, ...) as a dict.
        serve: start the Ray Serve app too (the product always runs it).
    """

    urls: tuple[str, ...]
    scenario: str
    fps: float
    warmup_s: float
    seconds: float
    config: dict[str, Any] = field(default_factory=dict)
    serve: bool = True


def build_config(params: RuntimeParams, workdir: Path, port: int) -> PictagConfig:
    """The runtime configuration of a run: N cameras, a private DuckDB file and Ray temp dir."""
    live = params.scenario == "live"
    cameras = [
        {
            "id": f"cam{i + 1}",
            "url": url,
            "loop": True,
            "realtime": live,
            "analysis_fps": min(params.fps, MAX_ANALYSIS_FPS),
        }
        for i, url in enumerate(params.urls)
    ]
    data = {**params.config}
    data["cameras"] = cameras
    data["storage"] = {**data.get("storage", {}), "path": str(workdir / "bench.duckdb")}
    data["server"] = {**data.get("server", {}), "port": port}
    # A short private temp dir: Ray's socket paths must stay under 108 bytes, and a session
    # of our own keeps other Ray runtimes on the machine out of the process figures.
    data["runtime"] = {**data.get("runtime", {}), "temp_dir": f"/tmp/ptb-{os.getpid()}"}
    return parse_config(data, "bench")


def identity_window_state(identity: IdentityHandle) -> dict[str, Any]:
    """Per-camera running counts and rolling samples of latency and stage times (identity stage)."""
    state: dict[str, Any] = _get(identity.__ray_call__.remote(_identity_samples), timeout=30)
    return state


def _identity_samples(actor: Any) -> dict[str, Any]:
    """Runs inside the identity actor (``__ray_call__``): its rolling buffers, with their totals."""
    out = {}
    for cam, c in actor._counters.items():
        out[cam] = {
            "latency": (c.latency_ms.count, c.latency_ms.samples()),
            "stages": {k: (v.count, v.samples()) for k, v in c.stage_ms.items()},
        }
    return out


def window_latency(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Latency and stage-time samples recorded between two `identity_window_state` readings.

    Returns per camera ``{"latency": [...], "stages": {name: [...]}}``; the stage samples of a
    frame sit at the same index as its latency (the identity stage records them together).
    """
    out: dict[str, Any] = {}
    for cam, end in after.items():
        start = before.get(cam, {"latency": (0, []), "stages": {}})
        count_end, samples = end["latency"]
        lat = window_samples(samples, start["latency"][0], count_end)
        stages = {}
        for name, (n_end, vals) in end["stages"].items():
            n_start = start["stages"].get(name, (0, []))[0]
            stages[name] = window_samples(vals, n_start, n_end)
        out[cam] = {"latency": lat, "stages": stages}
    return out


def transit_ms(latency: list[float], stages: dict[str, list[float]]) -> list[float]:
    """Per-frame time not spent in a timed stage (actor hops, the embedder, mailboxes).

    Latency minus queue, detect and track time of the same frame; empty when the
    buffers are not aligned (different lengths).
    """
    parts = [stages.get(k, []) for k in ("queue_ms", "detect_ms", "track_ms")]
    if not latency or any(len(p) != len(latency) for p in parts):
        return []
    return [lat - sum(p[i] for p in parts) for i, lat in enumerate(latency)]


class _Watch:
    """Processes of the runtime, re-discovered as actors come and go."""

    def __init__(self, session: Path) -> None:
        self.session = session
        self.roles: dict[int, str] = {}

    def processes(self) -> list[psutil.Process]:
        found = procs.find_runtime_processes(self.session)
        for p in found:
            if p.pid not in self.roles or self.roles[p.pid] in ("idle_worker", "other"):
                try:
                    self.roles[p.pid] = procs.role_of(p.name(), " ".join(p.cmdline()))
                except (psutil.Error, OSError):
                    continue
        return found


def _cameras(runtime: Runtime) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in _get(runtime.controller.list_cameras.remote())}


def _wait_processing(runtime: Runtime, n: int, progress: Progress) -> None:
    deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_S
    last = 0.0
    while time.monotonic() < deadline:
        cams = _cameras(runtime)
        ready = sum(1 for c in cams.values() if c["counters"]["processed"] > 0)
        if ready >= n:
            return
        if time.monotonic() - last > 5:
            progress(f"  waiting for frames: {ready}/{n} cameras processing")
            last = time.monotonic()
        time.sleep(0.5)
    raise PictagError(
        f"runtime did not process frames of all {n} cameras within {FIRST_FRAME_TIMEOUT_S:.0f} s "
        "(is the machine overloaded? try fewer cameras)"
    )


def _extra_stage_ms(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Per-camera ``*_ms`` figures any stage actor reports beyond the identity's (e.g. embed_ms)."""
    out: dict[str, dict[str, Any]] = {}
    try:
        stages = _get(runtime.controller.stages.remote())
    except Exception:
        return out
    for actors in stages.values():
        for role, actor in actors.items():
            if role.startswith("detector"):
                continue  # already in the identity's aligned per-frame samples
            try:
                stats = _get(actor.stats.remote(), timeout=10)
            except Exception:
                continue
            for cam, values in (stats.get("cameras") or {}).items():
                for key, value in values.items():
                    if key.endswith("_ms"):
                        out.setdefault(cam, {})[key] = value
    return out


def run_runtime(params: RuntimeParams, progress: Progress) -> dict[str, Any]:
    """Start the runtime on ``params.urls``, measure one window, stop it; return the figures."""
    from pictag.actors.diagnostics import object_store_used_bytes
    from pictag.actors.runtime import start_runtime
    from pictag.simulate.ports import free_port

    n = len(params.urls)
    with tempfile.TemporaryDirectory(prefix="pictag-bench-") as tmp:
        config = build_config(params, Path(tmp), free_port())
        t0 = time.monotonic()
        runtime = start_runtime(config, with_serve=params.serve)
        session = procs.session_dir(config.runtime.temp_dir or "")
        try:
            started_s = time.monotonic() - t0
            progress(f"  runtime up in {started_s:.1f} s; waiting for each camera's first frame")
            _wait_processing(runtime, n, progress)
            first_frames_s = time.monotonic() - t0
            time.sleep(params.warmup_s)
            result = _measure(runtime, params, session, progress, object_store_used_bytes)
            result.update({"startup_s": round(started_s, 1), "first_frames_s": round(first_frames_s, 1)})
        finally:
            runtime.stop()
        # Only a runtime that started Ray is expected to leave nothing behind.
        result["leftover_processes"] = _leftovers(session) if runtime.owns_ray else None
    return result


def _leftovers(session: Path | None, timeout: float = 15.0) -> int:
    """Processes of the session still alive after stop (0 means a clean shutdown)."""
    if session is None:
        return 0
    deadline = time.monotonic() + timeout
    alive = procs.find_runtime_processes(session)
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = procs.find_runtime_processes(session)
    return len(alive)


@dataclass
class Window:
    """Everything read at the two ends of a measured window (and sampled during it)."""

    seconds: float = 0.0
    cameras_before: dict[str, Any] = field(default_factory=dict)
    cameras_after: dict[str, Any] = field(default_factory=dict)
    samples_before: dict[str, Any] | None = None
    samples_after: dict[str, Any] | None = None
    extra_ms: dict[str, dict[str, Any]] = field(default_factory=dict)
    cpu_by_role: dict[str, float] = field(default_factory=dict)
    driver_cpu_s: float = 0.0
    machine_busy_percent: float = 0.0
    memory: procs.MemoryTotals = field(default_factory=procs.MemoryTotals)
    memory_peak: procs.MemoryTotals = field(default_factory=procs.MemoryTotals)
    store_peak_bytes: int = 0
    driver_rss_mb: float = 0.0
    driver_pss_mb: float = 0.0


def _measure(
    runtime: Runtime,
    params: RuntimeParams,
    session: Path | None,
    progress: Progress,
    store_bytes: Callable[[], int],
) -> dict[str, Any]:
    if session is None:
        raise PictagError("cannot find the Ray session directory of the benchmark runtime")
    watch = _Watch(session)
    me = psutil.Process()
    w = Window(cameras_before=_cameras(runtime))
    w.samples_before = _safe(lambda: identity_window_state(runtime.identity))
    cpu0 = procs.cpu_snapshot(watch.processes(), watch.roles)
    driver0 = sum(me.cpu_times()[:2])
    machine = procs.MachineCpu()
    start = time.monotonic()
    next_mem, next_progress = start, start + PROGRESS_EVERY_S
    while (now := time.monotonic()) < start + params.seconds:
        if now >= next_mem:
            mem = procs.memory_totals(watch.processes(), watch.roles)
            w.memory_peak = mem if mem.pss_mb > w.memory_peak.pss_mb else w.memory_peak
            w.store_peak_bytes = max(w.store_peak_bytes, store_bytes())
            next_mem = now + MEMORY_EVERY_S
        if now >= next_progress:
            line = _progress_line(w.cameras_before, _cameras(runtime), now - start, params.seconds)
            progress(line)
            next_progress = now + PROGRESS_EVERY_S
        time.sleep(min(0.2, max(0.0, start + params.seconds - time.monotonic())))
    w.seconds = time.monotonic() - start
    w.cpu_by_role = procs.cpu_by_role(cpu0, procs.cpu_snapshot(watch.processes(), watch.roles))
    w.driver_cpu_s = sum(me.cpu_times()[:2]) - driver0
    w.machine_busy_percent = machine.busy_percent()
    w.cameras_after = _cameras(runtime)
    w.samples_after = _safe(lambda: identity_window_state(runtime.identity))
    w.extra_ms = _extra_stage_ms(runtime)
    w.memory = procs.memory_totals(watch.processes(), watch.roles)
    driver_mem = me.memory_full_info()
    w.driver_rss_mb = driver_mem.rss / procs.MIB
    w.driver_pss_mb = getattr(driver_mem, "pss", driver_mem.rss) / procs.MIB
    return summarise(params, w)


def _safe(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception:
        return None


def _progress_line(before: dict[str, Any], now: dict[str, Any], elapsed: float, total: float) -> str:
    deltas = [
        CameraCounters.from_mapping(now[c]["counters"]) - CameraCounters.from_mapping(before[c]["counters"])
        for c in now
        if c in before
    ]
    t = total_counters(deltas)
    p95 = max((c["latency_ms"].get("p95") or 0.0) for c in now.values()) if now else 0.0
    return (
        f"  {elapsed:5.1f}/{total:.0f} s  processed {rate(t.processed, elapsed):6.1f} frames/s  "
        f"skip {t.skip_rate:6.1%}  latency p95 (rolling) {p95:7.1f} ms"
    )


def _window_latency(w: Window) -> tuple[dict[str, Any], dict[str, list[float]], list[float], str]:
    """Latency percentiles, stage samples and transit times of the window, and their source."""
    if w.samples_before is None or w.samples_after is None:
        # No identity internals: the public stats' rolling window (it may include warm-up).
        return _worst(w.cameras_after, "latency_ms", ("p50", "p95", "p99")), {}, [], "rolling"
    latency: list[float] = []
    stages: dict[str, list[float]] = {}
    transit: list[float] = []
    for cam in window_latency(w.samples_before, w.samples_after).values():
        latency += cam["latency"]
        for name, vals in cam["stages"].items():
            stages.setdefault(name, []).extend(vals)
        transit += transit_ms(cam["latency"], cam["stages"])
    return percentiles(latency), stages, transit, "window"


def summarise(params: RuntimeParams, w: Window) -> dict[str, Any]:
    """The run entry of the JSON document from one measured window."""
    n = len(params.urls)
    deltas = [
        CameraCounters.from_mapping(w.cameras_after[c]["counters"])
        - CameraCounters.from_mapping(w.cameras_before[c]["counters"])
        for c in w.cameras_after
        if c in w.cameras_before
    ]
    total = total_counters(deltas)
    lat, stage_samples, transit, source = _window_latency(w)
    processed = max(total.processed, 1)
    cpu_ms = {r: round(1000.0 * s / processed, 2) for r, s in sorted(w.cpu_by_role.items())}
    cpu_ms["driver"] = round(1000.0 * w.driver_cpu_s / processed, 2)
    ray_cpu = sum(w.cpu_by_role.values())
    with_driver = cpu_percent(ray_cpu + w.driver_cpu_s, w.seconds)
    stages = _stage_table(stage_samples, w.cpu_by_role, w.extra_ms, total, processed)
    fps = rate(total.processed, w.seconds)
    return {
        "cameras": n,
        "scenario": params.scenario,
        "fps_target": params.fps,
        "fps_processed": round(fps, 2),
        "fps_processed_per_camera": round(fps / n, 2),
        "fps_offered": round(rate(total.offered, w.seconds), 2),
        "processed_fraction": total.processed_fraction,
        "skip_rate": total.skip_rate,
        "latency_ms": lat,
        "latency_source": source,
        "transit_ms": percentiles(transit, (50, 95)),
        # Frame age when detection starts (capture timestamp → detector start), all cameras.
        "frame_age_ms": percentiles(stage_samples.get("queue_ms", []), (50, 95)),
        "cpu_percent": cpu_percent(ray_cpu, w.seconds),
        "cpu_percent_with_driver": with_driver,
        "cpu_ms_per_frame_total": round(1000.0 * (ray_cpu + w.driver_cpu_s) / processed, 2),
        "machine_busy_percent": w.machine_busy_percent,
        "others_cpu_percent": round(max(0.0, w.machine_busy_percent - with_driver), 1),
        "cpu_percent_by_role": {r: cpu_percent(s, w.seconds) for r, s in sorted(w.cpu_by_role.items())},
        "cpu_ms_per_frame": cpu_ms,
        "rss_mb": round(w.memory.rss_mb + w.driver_rss_mb, 1),
        "pss_mb": round(w.memory.pss_mb + w.driver_pss_mb, 1),
        "pss_peak_mb": round(max(w.memory.pss_mb, w.memory_peak.pss_mb) + w.driver_pss_mb, 1),
        "memory": {**w.memory.as_dict(), "driver_pss_mb": round(w.driver_pss_mb, 1)},
        "object_store_peak_mb": round(w.store_peak_bytes / procs.MIB, 1),
        "stages_ms": stages["ms"],
        "stages_basis": stages["basis"],
        "counters": {
            "offered": total.offered,
            "sent": total.sent,
            "skipped": total.skipped,
            "dropped": total.dropped,
            "processed": total.processed,
            "decoded": total.decoded,
        },
        "seconds": round(w.seconds, 2),
    }


def _worst(cams: dict[str, Any], key: str, qs: tuple[str, ...]) -> dict[str, float | None]:
    """Per quantile, the worst camera's value (when only per-camera percentiles exist)."""
    vals = [c.get(key) or {} for c in cams.values()]
    out: dict[str, float | None] = {}
    for q in qs:
        found = [float(v[q]) for v in vals if v.get(q) is not None]
        out[q] = max(found) if found else None
    return out


def _stage_table(
    samples: dict[str, list[float]],
    cpu_roles: dict[str, float],
    extra: dict[str, dict[str, Any]],
    total: CameraCounters,
    processed: int,
) -> dict[str, dict[str, Any]]:
    """Per-stage milliseconds per frame and how each was obtained.

    Timed stages (wall-clock p50 of the window): queue (capture → detector start), detect,
    track, and any ``*_ms`` another stage reports. Untimed stages fall back to their
    process's CPU time per frame: decode (the capture actors; includes ``ray.put``),
    embed, identity, store.
    """
    ms: dict[str, Any] = {}
    basis: dict[str, str] = {}
    cpu_per = {role: 1000.0 * s for role, s in cpu_roles.items()}
    decoded = max(total.decoded, 1)
    if "capture" in cpu_per:
        ms["decode"], basis["decode"] = (
            round(cpu_per["capture"] / decoded, 2),
            "cpu_per_decoded_frame",
        )
    for name in ("queue_ms", "detect_ms", "track_ms"):
        if samples.get(name):
            ms[name[:-3]], basis[name[:-3]] = percentiles(samples[name], (50,))["p50"], "wall_p50"
    reported = {k for cam in extra.values() for k in cam}
    if "embed_ms" in reported:
        vals = [cam["embed_ms"].get("p50") for cam in extra.values() if isinstance(cam.get("embed_ms"), dict)]
        vals = [v for v in vals if v is not None]
        if vals:
            ms["embed"], basis["embed"] = round(max(vals), 2), "wall_p50_reported"
    for stage, role in (("embed", "embedder"), ("identity", "identity"), ("store", "store")):
        if stage not in ms and role in cpu_per:
            ms[stage], basis[stage] = round(cpu_per[role] / processed, 2), "cpu_per_frame"
    return {"ms": ms, "basis": basis}
