"""`pictag bench`: the actor runtime and the baseline loop, per camera count, in one invocation.

For each camera count and scenario the runtime is started fresh, measured and
stopped, right after the baseline ran in a child process on the same video, the
same models and the same number of cameras; the ratios between the two come from
runs a minute apart under the same neighbours' load. The detector's async ceiling
is measured first, in a child process of its own.

Sources: the video is re-encoded once (cached) to H.264 at the analysis frame rate,
so in the live scenario a camera delivers exactly the frames to analyse, at their
pace, and the runtime and the baseline decode the same stream. ``--rtsp`` serves
the copies through the RTSP camera simulator instead (live scenario only).
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pictag import assets
from pictag.actors.bench_runtime import MAX_ANALYSIS_FPS, RuntimeParams, run_runtime
from pictag.bench.baseline import BaselineParams
from pictag.bench.machine import machine_info
from pictag.bench.report import document
from pictag.errors import PictagError

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
SCENARIOS = ("live", "max")
BASELINE_TIMEOUT_PAD_S = 300.0


@dataclass(frozen=True)
class SuiteParams:
    """What `pictag bench` runs."""

    cameras: tuple[int, ...] = (1, 2, 4)
    scenarios: tuple[str, ...] = SCENARIOS
    seconds: float = 20.0
    warmup_s: float = 5.0
    fps: float = 10.0
    source: str = "videos/vtest.avi"
    rtsp: bool = False
    reid: bool = True
    serve: bool = True
    baseline: bool = True
    runtime: bool = True
    ceiling_s: float = 5.0
    config: dict[str, Any] = field(default_factory=dict)


def prepare_source(source: str, fps: float, progress: Progress) -> tuple[Path, str]:
    """The clip both systems read: ``source`` re-encoded to H.264 at ``fps`` (cached by content).

    Returns the clip and a note for the report. Without ffmpeg the original file is used
    (then a camera offers the file's own frame rate in the live scenario).
    """
    from pictag.simulate.clips import SimulatorError, prepare_clip

    original = Path(source) if Path(source).is_file() else assets.resolve(source)
    try:
        clip = prepare_clip(original, fps=fps)
    except SimulatorError as err:
        progress(f"using {original.name} as is ({err})")
        return original, f"{original.name} (not re-encoded: {err})"
    return clip, f"{original.name} re-encoded to H.264 at {fps:g} frames/s ({clip.name})"


def _progress_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_baseline_child(params: BaselineParams, progress: Progress) -> dict[str, Any]:
    """Run the baseline loop in a fresh Python process (measured alone); returns its JSON result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(asdict(params), f)
        path = Path(f.name)
    try:
        timeout = params.warmup_s + params.seconds + params.ceiling_s + BASELINE_TIMEOUT_PAD_S
        proc = subprocess.run(
            [sys.executable, "-m", "pictag.bench.baseline", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        path.unlink(missing_ok=True)
    for line in proc.stderr.strip().splitlines()[-3:]:
        log.debug("baseline: %s", line)
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = " / ".join(proc.stderr.strip().splitlines()[-3:])
        raise PictagError(f"baseline run failed: cameras={params.cameras} exit={proc.returncode} reason={tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _rtsp_urls(clip: Path, count: int) -> tuple[Any, list[str]]:
    from pictag.simulate.server import Mount, RtspSimulator, missing_requirements

    problem = missing_requirements()
    if problem:
        raise PictagError(f"--rtsp needs the camera simulator: {problem}")
    sim = RtspSimulator([Mount(f"/cam{i + 1}", clip=clip) for i in range(count)])
    sim.start()
    return sim, [sim.url(f"/cam{i + 1}") for i in range(count)]


def _base_config(params: SuiteParams) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(json.dumps(params.config))  # deep copy, JSON-safe
    config.setdefault("reid", {})["enabled"] = params.reid
    return config


def saturating_fps(ceiling_fps: float | None, cameras: int, fps: float) -> float:
    """Frames/s each camera offers in the ``max`` scenario.

    In total 1.5x the detector's ceiling, and at least twice the live rate per camera (a
    ceiling measured while neighbours were busy must not leave the pipeline unsaturated),
    at most 60. Offering far more would only burn CPU on decoding frames that are then
    skipped (file sources are decoded on demand, one frame per frame offered).
    """
    if not ceiling_fps:
        return MAX_ANALYSIS_FPS
    wanted = max(2.0 * fps, math.ceil(1.5 * ceiling_fps / cameras))
    return float(min(MAX_ANALYSIS_FPS, wanted))


def _ceiling_fps(ceiling: dict[str, Any] | None) -> float | None:
    fps = (ceiling or {}).get("fps")
    return float(fps) if fps else None


def run_suite(
    params: SuiteParams,
    progress: Progress = _progress_stderr,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """The ceiling, then per (camera count, scenario) a baseline and a runtime run → JSON.

    A run that fails (Ray not starting on an overloaded machine, a model error) is
    recorded under ``errors`` and the suite goes on; ``checkpoint`` receives the document
    so far after every run, so an interrupted suite still leaves its numbers.
    """
    machine = machine_info()
    clip, clip_note = prepare_source(params.source, params.fps, progress)
    config = _base_config(params)
    run_params = {**asdict(params), "clip": clip_note}
    runs: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    ceiling = measure_ceiling(clip, config, params.ceiling_s, progress)

    def snapshot() -> dict[str, Any]:
        doc = document(machine, run_params, runs, baseline, ceiling)
        doc["errors"] = errors
        return doc

    for n in params.cameras:
        for scenario in params.scenarios:
            steps: list[tuple[str, list[dict[str, Any]], Callable[[], dict[str, Any]]]] = []
            if params.baseline:
                steps.append(
                    (
                        "baseline",
                        baseline,
                        partial(_baseline_entry, params, config, clip, n, scenario, progress=progress),
                    )
                )
            if params.runtime:
                fps = params.fps if scenario == "live" else saturating_fps(_ceiling_fps(ceiling), n, params.fps)
                steps.append(
                    (
                        "runtime",
                        runs,
                        partial(
                            _runtime_entry,
                            params,
                            config,
                            clip,
                            n,
                            scenario,
                            fps=fps,
                            progress=progress,
                        ),
                    )
                )
            for system, into, step in steps:
                try:
                    into.append(step())
                except Exception as err:  # one failed run must not lose the others
                    log.debug("run failed", exc_info=True)
                    progress(f"  !! {system} run failed: {type(err).__name__}: {err}")
                    errors.append(
                        {
                            "system": system,
                            "cameras": n,
                            "scenario": scenario,
                            "error": f"{type(err).__name__}: {err}"[:500],
                        }
                    )
                if checkpoint is not None:
                    checkpoint(snapshot())
    doc = snapshot()
    # Measured again at the end: how much the neighbours' load moved during the runs.
    doc["ceiling_end"] = measure_ceiling(clip, config, params.ceiling_s, progress)
    return doc


def _baseline_entry(
    params: SuiteParams,
    config: dict[str, Any],
    clip: Path,
    n: int,
    scenario: str,
    *,
    progress: Progress,
) -> dict[str, Any]:
    progress(f"[{n} camera(s), {scenario}] baseline loop")
    entry = run_baseline_child(
        BaselineParams(
            source=str(clip),
            cameras=n,
            fps=params.fps if scenario == "live" else 0.0,
            warmup_s=params.warmup_s,
            seconds=params.seconds,
            config=config,
        ),
        progress,
    )
    progress(_summary_line("baseline", entry))
    return entry


def measure_ceiling(clip: Path, config: dict[str, Any], seconds: float, progress: Progress) -> dict[str, Any] | None:
    """The detector's inference-only async throughput, in a child process (None if seconds is 0)."""
    if seconds <= 0:
        return None
    progress(f"detector async ceiling ({seconds:.0f} s, inference only)")
    params = BaselineParams(
        source=str(clip),
        cameras=1,
        fps=0.0,
        warmup_s=0.0,
        seconds=0.0,
        config=config,
        ceiling_s=seconds,
        loop=False,
    )
    ceiling: dict[str, Any] | None = run_baseline_child(params, progress).get("ceiling")
    progress(f"  => ceiling {ceiling and ceiling.get('fps')} frames/s")
    return ceiling


def _runtime_entry(
    params: SuiteParams,
    config: dict[str, Any],
    clip: Path,
    n: int,
    scenario: str,
    *,
    fps: float,
    progress: Progress,
) -> dict[str, Any]:
    use_rtsp = params.rtsp and scenario == "live"
    progress(
        f"[{n} camera(s), {scenario}] PicTag runtime, {fps:g} frames/s offered per camera"
        + (" over RTSP" if use_rtsp else "")
    )
    sim = None
    try:
        if use_rtsp:
            sim, urls = _rtsp_urls(clip, n)
        else:
            urls = [str(clip)] * n
        entry = run_runtime(
            RuntimeParams(
                urls=tuple(urls),
                scenario=scenario,
                fps=fps,
                warmup_s=params.warmup_s,
                seconds=params.seconds,
                config=config,
                serve=params.serve,
            ),
            progress,
        )
    finally:
        if sim is not None:
            sim.stop()
    entry["source"] = "rtsp" if use_rtsp else "file"
    progress(_summary_line("PicTag", entry))
    return entry


def _summary_line(system: str, e: dict[str, Any]) -> str:
    lat = e.get("latency_ms") or {}
    return (
        f"  => {system}: {e.get('fps_processed')} frames/s, "
        f"processed {100 * (e.get('processed_fraction') or 0):.1f} %, "
        f"latency p50/p95 {lat.get('p50')}/{lat.get('p95')} ms, CPU {e.get('cpu_percent')} %, "
        f"PSS {e.get('pss_mb')} MiB"
    )


def cameras_arg(values: Sequence[int]) -> tuple[int, ...]:
    """Camera counts in ascending order without duplicates."""
    out = tuple(sorted(set(values)))
    if not out or out[0] < 1:
        raise PictagError("--cameras takes counts of at least 1, e.g. --cameras 1 2 4")
    return out
