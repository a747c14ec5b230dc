"""Benchmarks: the actor runtime against a single-process baseline, and component microbenchmarks.

Entry points (``pictag bench ...`` wraps them):

* `run_suite(SuiteParams(...))` — runtime and baseline per camera count → JSON document
  (`pictag.bench.report` documents the contract and renders markdown);
* `run_baseline(BaselineParams(...))` — the plain loop alone (usually in a child process);
* `bench_detector`, `bench_reid`, `bench_tracker` — component costs vs OpenVINO's ceiling.

Heavy modules (OpenVINO, the runtime) are imported only by the functions that need them.
"""

from pictag.bench.stats import CameraCounters, percentiles, ratio, window_samples

__all__ = ["CameraCounters", "percentiles", "ratio", "window_samples"]
