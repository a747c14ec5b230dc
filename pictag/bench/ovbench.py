"""OpenVINO-level measurements: sync latency, async throughput and OpenVINO's own ``benchmark_app``.

The *ceiling* of a model on this machine is what OpenVINO itself gets out of it
with nothing else in the way: inference only (inputs filled once), the THROUGHPUT
hint (one CPU stream per request it finds optimal), an ``AsyncInferQueue`` kept
full. `async_ceiling` measures exactly that in-process; `run_benchmark_app` runs
the ``benchmark_app`` tool shipped with the ``openvino`` wheel on the same IR (it is
saved to a temporary file first when the model was reshaped in memory) so our own
ceiling can be checked against the vendor's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy.typing as npt
import openvino as ov

from pictag.bench.stats import percentiles

_THROUGHPUT_RE = re.compile(r"Throughput:\s*([0-9.]+)\s*FPS")
_MEDIAN_RE = re.compile(r"Median:\s*([0-9.]+)\s*ms")


@dataclass(frozen=True)
class Throughput:
    """Inferences per second of a saturated async queue."""

    fps: float
    requests: int
    streams: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "fps": round(self.fps, 1),
            "requests": self.requests,
            "streams": self.streams,
            "seconds": round(self.seconds, 2),
        }


def cpu_config(hint: str, precision: str | None, num_requests: int | None = None) -> dict[str, str]:
    """Compile properties for the CPU plugin: performance hint and explicit precision."""
    config = {"PERFORMANCE_HINT": hint}
    if precision is not None:
        config["INFERENCE_PRECISION_HINT"] = precision
    if num_requests is not None:
        config["PERFORMANCE_HINT_NUM_REQUESTS"] = str(num_requests)
    return config


def sync_latency_ms(
    compiled: ov.CompiledModel, inputs: npt.NDArray[Any], runs: int, warmup: int = 3
) -> dict[str, float | None]:
    """p50/p95 milliseconds of synchronous inference on one request (inference only)."""
    request = compiled.create_infer_request()
    for _ in range(warmup):
        request.infer({0: inputs}, share_inputs=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        request.infer({0: inputs}, share_inputs=True)
        times.append((time.perf_counter() - start) * 1000.0)
    return percentiles(times, (50, 95))


def async_ceiling(
    compiled: ov.CompiledModel, inputs: npt.NDArray[Any], seconds: float, requests: int = 0
) -> Throughput:
    """Inferences per second with an ``AsyncInferQueue`` kept full for ``seconds``.

    Args:
        compiled: a model compiled with the THROUGHPUT hint (its streams run in parallel).
        inputs: one input tensor, reused for every request (inference only).
        seconds: measuring time after one warm-up round.
        requests: queue size; 0 takes the plugin's ``OPTIMAL_NUMBER_OF_INFER_REQUESTS``.
    """
    n = requests or int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    queue = ov.AsyncInferQueue(compiled, n)
    for _ in range(n):
        queue.start_async({0: inputs}, share_inputs=True)
    queue.wait_all()
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        queue.start_async({0: inputs}, share_inputs=True)  # blocks until a request is free
        done += 1
    queue.wait_all()
    elapsed = time.perf_counter() - start
    streams = int(compiled.get_property("NUM_STREAMS"))
    return Throughput(fps=done / elapsed, requests=n, streams=streams, seconds=elapsed)


def benchmark_app_path() -> str | None:
    """The ``benchmark_app`` console script of the running interpreter's environment, if any."""
    beside = Path(sys.executable).with_name("benchmark_app")
    if beside.is_file():
        return str(beside)
    return shutil.which("benchmark_app")


def parse_benchmark_app(output: str) -> dict[str, float | None]:
    """Throughput (FPS) and median latency (ms) from ``benchmark_app``'s report."""
    fps = _THROUGHPUT_RE.search(output)
    median = _MEDIAN_RE.search(output)
    return {
        "fps": float(fps.group(1)) if fps else None,
        "median_ms": float(median.group(1)) if median else None,
    }


def run_benchmark_app(
    model: ov.Model | str | Path,
    seconds: float,
    precision: str | None = None,
    hint: str = "throughput",
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Run OpenVINO's ``benchmark_app`` on an IR (or an in-memory model saved to a temp IR).

    Returns:
        ``{"fps", "median_ms", "command"}``; ``{"error": ...}`` when the tool is missing or fails
        (the rest of a benchmark goes on without the vendor's figure).
    """
    tool = benchmark_app_path()
    if tool is None:
        return {"error": "benchmark_app not found (it ships with the openvino wheel)"}
    with tempfile.TemporaryDirectory(prefix="pictag-bench-ir-") as tmp:
        if isinstance(model, ov.Model):
            xml = Path(tmp) / "model.xml"
            ov.save_model(model, str(xml), compress_to_fp16=False)
        else:
            xml = Path(model)
        cmd = [tool, "-m", str(xml), "-d", "CPU", "-hint", hint, "-t", f"{seconds:g}"]
        if precision is not None:
            cmd += ["-infer_precision", precision]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"benchmark_app timed out after {timeout:.0f} s"}
    parsed = parse_benchmark_app(result.stdout)
    if result.returncode != 0 or parsed["fps"] is None:
        tail = " / ".join((result.stdout + result.stderr).strip().splitlines()[-2:])
        return {"error": f"benchmark_app failed (exit {result.returncode}): {tail}"}
    shown = " ".join(cmd).replace(str(xml), xml.name)
    return {**parsed, "command": shown}
