"""`pictag bench` on the real runtime, one camera for a few seconds: the JSON contract holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pictag.bench.report import check_contract
from pictag.cli.main import main

pytestmark = pytest.mark.timeout(400)


def test_bench_one_camera_writes_runs_and_baseline_with_the_contract_keys(
    ray_session: Any, asset: Any, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    code = main(
        [
            "bench",
            "--cameras",
            "1",
            "--seconds",
            "3",
            "--warmup",
            "1",
            "--scenario",
            "live",
            "--source",
            str(asset("vtest.avi")),
            "--no-serve",
            "--ceiling-seconds",
            "0",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert len(doc["runs"]) == 1 and len(doc["baseline"]) == 1
    for entry in doc["runs"] + doc["baseline"]:
        assert check_contract(entry) == [], entry
        assert entry["cameras"] == 1 and entry["scenario"] == "live"
        assert entry["fps_processed"] > 0 and entry["latency_ms"]["p50"] > 0
        assert entry["cpu_percent"] > 0 and entry["pss_mb"] > 50
        assert entry["stages_ms"]["detect"] > 0
    run = doc["runs"][0]
    assert run["cpu_percent_by_role"]["detector"] > 0  # Ray's processes were found and told apart
    assert run["memory"]["pss_by_role"]["detector"] > 0
    assert doc["ceiling"] is None  # skipped here to keep the test short (unit-tested on its own)
    assert doc["comparison"][0]["throughput_ratio"] is not None
