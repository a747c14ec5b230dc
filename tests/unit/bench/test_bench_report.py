"""The JSON contract, ratios, goals and markdown of a `pictag bench` report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pictag.bench.machine import cpu_flags, cpu_model, machine_line
from pictag.bench.ovbench import parse_benchmark_app
from pictag.bench.procs import role_of, session_in_cmdline
from pictag.bench.report import (
    check_contract,
    compare,
    detector_table,
    document,
    goals,
    markdown,
    reid_table,
)

MACHINE = {
    "cpu_model": "AMD EPYC",
    "cpu_flags": ["avx2"],
    "logical_cores": 2,
    "physical_cores": 2,
    "ram_gib": 23.5,
    "load_average": [1.0, 1.0, 1.0],
    "versions": {"openvino": "2026.4.1", "ray": "2.60.0"},
}


def _entry(
    cameras: int,
    scenario: str,
    fps: float,
    p95: float,
    *,
    pss: float = 1500.0,
    processed: float = 1.0,
) -> dict[str, Any]:
    return {
        "cameras": cameras,
        "scenario": scenario,
        "fps_processed": fps,
        "processed_fraction": processed,
        "skip_rate": round(1 - processed, 4),
        "latency_ms": {"p50": p95 / 2, "p95": p95, "p99": p95 * 1.2},
        "cpu_percent": 150.0,
        "rss_mb": pss * 1.8,
        "pss_mb": pss,
        "stages_ms": {"decode": 2.0, "detect": 30.0, "track": 1.0},
    }


def _doc() -> dict[str, Any]:
    runs = [_entry(4, "live", 39.0, 250.0, processed=0.97), _entry(4, "max", 45.0, 400.0)]
    base = [
        _entry(4, "live", 30.0, 500.0, pss=300.0, processed=0.75),
        _entry(4, "max", 30.0, 90.0, pss=300.0),
    ]
    return document(
        MACHINE,
        {"cameras": [4]},
        runs,
        base,
        {
            "fps": 60.0,
            "model": "m",
            "precision": "int8",
            "input_size": 640,
            "requests": 2,
            "streams": 2,
        },
    )


def test_every_entry_keeps_the_contract_and_the_document_is_json() -> None:
    doc = _doc()
    for entry in doc["runs"] + doc["baseline"]:
        assert check_contract(entry) == []
    assert set(doc) >= {"runs", "baseline", "machine", "comparison", "goals", "ceiling"}
    assert json.loads(json.dumps(doc)) == doc


def test_contract_check_names_what_is_missing() -> None:
    entry = _entry(1, "live", 10.0, 100.0)
    del entry["pss_mb"]
    entry["latency_ms"].pop("p99")
    assert check_contract(entry) == ["pss_mb", "latency_ms.p99"]


def test_comparison_pairs_runs_with_the_baseline_of_the_same_count_and_scenario() -> None:
    rows = {(c["cameras"], c["scenario"]): c for c in _doc()["comparison"]}
    assert rows[(4, "max")]["throughput_ratio"] == 1.5
    assert rows[(4, "max")]["latency_p95_ratio"] == pytest.approx(4.44, abs=0.01)
    assert rows[(4, "max")]["runtime_vs_ceiling"] == 0.75
    assert rows[(4, "live")]["pss_ratio"] == 5.0
    lonely = compare([_entry(2, "live", 20.0, 100.0)], [], None)
    assert lonely == [{"cameras": 2, "scenario": "live"}]


def test_goals_are_judged_against_the_issue_targets() -> None:
    by_name = {g["goal"]: g for g in _doc()["goals"]}
    assert by_name["4 cameras live: share of frames processed"]["met"] is True
    assert by_name["4 cameras live: latency p95 (ms)"]["met"] is True
    assert by_name["4 cameras live: total PSS (MiB)"]["met"] is True
    assert by_name["4 cameras saturated: throughput vs baseline"]["met"] is True
    assert by_name["4 cameras saturated: throughput vs detector async ceiling"]["met"] is True
    slow = goals([_entry(4, "live", 30.0, 900.0, pss=3000.0, processed=0.6)], [])
    assert [g["met"] for g in slow][:3] == [False, False, False]
    assert [g["met"] for g in slow][3:] == [None, None]  # nothing saturated was measured


def test_markdown_has_the_machine_and_one_row_per_run() -> None:
    text = markdown(_doc())
    assert text.startswith("Machine: AMD EPYC")
    runs_section = text.split("### Runs")[1].split("###")[0]
    assert runs_section.count("| 4 | live |") == 2 and runs_section.count("| 4 | max |") == 2
    assert "| 1.50 |" in text  # the saturated throughput ratio
    assert "Detector async ceiling" in text and "60.0 frames/s" in text


def test_component_tables_render_rows_and_errors() -> None:
    ok = {
        "model": "yolo",
        "precision": "int8",
        "input_size": 640,
        "detect_ms": {"p50": 20.0, "p95": 25.0},
        "preprocess_ms": 1.5,
        "infer_ms": 15.0,
        "postprocess_ms": 0.8,
        "submit_fps": 55.0,
        "ceiling": {"fps": 70.0},
        "benchmark_app": {"fps": 69.0},
    }
    text = detector_table([ok, {"model": "x", "precision": "f32", "input_size": 320, "error": "no model"}])
    assert "| yolo | int8 | 640 | 20.0 |" in text and "no model" in text
    reid = {
        "model": "intel/person-reidentification-retail-0287",
        "precision": "int8",
        "file": "FP16-INT8/a.xml",
        "ms_per_crop": {"1": 2.0, "8": 1.5, "16": 1.4},
        "sync_infer_ms": 1.9,
        "best_crops_per_s": 714.3,
        "ceiling": {"fps": 900.0},
        "benchmark_app": {"error": "missing"},
    }
    assert "| person-reidentification-retail-0287 | int8 |" in reid_table([reid])


@pytest.mark.parametrize(
    ("name", "cmdline", "role"),
    [
        ("ray::DetectorActor.process", "ray::DetectorActor.process", "detector"),
        ("ray::CaptureActor", "ray::CaptureActor", "capture"),
        ("ray::IDLE", "ray::IDLE", "idle_worker"),
        ("ray::ServeReplica:pictag:Api", "ray::ServeReplica:pictag:Api", "serve"),
        ("ray::ProxyActor", "ray::ProxyActor", "serve"),
        ("ray::SomethingNew", "ray::SomethingNew", "other_actor"),
        (
            "raylet",
            "/venv/lib/ray/core/src/ray/raylet/raylet --raylet_socket_name=/tmp/x",
            "raylet",
        ),
        ("gcs_server", "/venv/ray/core/src/ray/gcs/gcs_server --log_dir=/tmp/x", "gcs"),
        (
            "python",
            "/venv/bin/python -u /venv/ray/_private/log_monitor.py --session-dir=/tmp/x",
            "ray_system",
        ),
        ("ray::DashboardAgent", "ray::DashboardAgent", "ray_system"),
        ("python", "python something_else.py", "other"),
    ],
)
def test_role_of_each_ray_process(name: str, cmdline: str, role: str) -> None:
    assert role_of(name, cmdline) == role


def test_machine_description_from_cpuinfo() -> None:
    cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 9B14\nflags\t\t: fpu avx2 avx512f avx512_bf16\n"
    assert cpu_model(cpuinfo) == "AMD EPYC 9B14"
    assert cpu_flags(cpuinfo) == ["avx2", "avx512f", "avx512_bf16"]
    assert cpu_model("") != ""
    assert "2 logical / 2 physical cores" in machine_line(MACHINE) and "openvino 2026.4.1" in machine_line(MACHINE)


def test_benchmark_app_report_is_parsed() -> None:
    out = "[ INFO ] Latency:\n[ INFO ]    Median:        56.26 ms\n[ INFO ] Throughput:   25.30 FPS\n"
    assert parse_benchmark_app(out) == {"fps": 25.3, "median_ms": 56.26}
    assert parse_benchmark_app("garbage") == {"fps": None, "median_ms": None}


@pytest.mark.parametrize(
    ("cmdline", "session"),
    [
        (
            "/venv/ray/raylet --raylet_socket_name=/tmp/ptb-1/"
            "session_2026-11-24_08-17-34_172234_19941/sockets/raylet --store_socket_name=x",
            "/tmp/ptb-1/session_2026-11-24_08-17-34_172234_19941",
        ),
        (
            "gcs_server --log_dir=/tmp/pictag-ray/session_2026-01-02_03-04-05_6_7/logs --x=a",
            "/tmp/pictag-ray/session_2026-01-02_03-04-05_6_7",
        ),
        (
            "python --session-dir=/tmp/r/session_2026-01-02_03-04-05_6_7",
            "/tmp/r/session_2026-01-02_03-04-05_6_7",
        ),
        ("ray::DetectorActor", None),
    ],
)
def test_session_directory_is_read_from_a_command_line(cmdline: str, session: str | None) -> None:
    assert session_in_cmdline(cmdline) == session
