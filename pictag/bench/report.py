"""Benchmark results as one JSON document and as markdown tables.

JSON contract (``pictag bench --json OUT``)::

    {"machine": {...}, "params": {...}, "ceiling": {...} | null,
     "runs": [RUN, ...], "baseline": [RUN, ...], "comparison": [...], "goals": [...]}

where every RUN has at least ``cameras``, ``scenario``, ``fps_processed``, ``skip_rate``,
``latency_ms`` ``{p50, p95, p99}``, ``cpu_percent``, ``pss_mb`` and ``stages_ms``
(``{stage: ms per frame}``); ``runs`` are the actor runtime, ``baseline`` the
single-process loop, one entry per camera count and scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pictag.bench.stats import ratio

#: Keys every run entry carries (the JSON contract).
CONTRACT_KEYS = (
    "cameras",
    "fps_processed",
    "skip_rate",
    "latency_ms",
    "cpu_percent",
    "pss_mb",
    "stages_ms",
)
STAGE_ORDER = ("decode", "queue", "detect", "track", "embed", "identity", "store")

#: Issue-9 goals on the 2-core machine.
GOAL_CAMERAS = 4
GOAL_PROCESSED = 0.95
GOAL_P95_MS = 300.0
GOAL_PSS_MB = 2.5 * 1024
GOAL_SPEEDUP = 1.5
GOAL_CEILING_SHARE = 0.70


def check_contract(entry: dict[str, Any]) -> list[str]:
    """Names of contract keys missing from a run entry (empty when it is complete)."""
    missing = [k for k in CONTRACT_KEYS if k not in entry]
    lat = entry.get("latency_ms")
    if isinstance(lat, dict):
        missing += [f"latency_ms.{q}" for q in ("p50", "p95", "p99") if q not in lat]
    return missing


def _key(entry: dict[str, Any]) -> tuple[int, str]:
    return int(entry["cameras"]), str(entry.get("scenario", "live"))


def compare(
    runs: Sequence[dict[str, Any]],
    baseline: Sequence[dict[str, Any]],
    ceiling: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Ours / baseline per camera count and scenario (throughput >1 and latency <1 are better)."""
    base = {_key(b): b for b in baseline}
    out = []
    for run in runs:
        b = base.get(_key(run))
        row: dict[str, Any] = {"cameras": run["cameras"], "scenario": run.get("scenario")}
        if b is not None:
            row["throughput_ratio"] = ratio(run.get("fps_processed"), b.get("fps_processed"))
            for q in ("p50", "p95"):
                row[f"latency_{q}_ratio"] = ratio(
                    (run.get("latency_ms") or {}).get(q), (b.get("latency_ms") or {}).get(q)
                )
            row["cpu_ratio"] = ratio(run.get("cpu_percent"), b.get("cpu_percent"))
            row["cpu_per_frame_ratio"] = ratio(run.get("cpu_ms_per_frame_total"), b.get("cpu_ms_per_frame_total"))
            row["pss_ratio"] = ratio(run.get("pss_mb"), b.get("pss_mb"))
        if ceiling and ceiling.get("fps"):
            row["runtime_vs_ceiling"] = ratio(run.get("fps_processed"), ceiling["fps"])
            if b is not None:
                row["baseline_vs_ceiling"] = ratio(b.get("fps_processed"), ceiling["fps"])
        out.append(row)
    return out


def goals(runs: Sequence[dict[str, Any]], comparison: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's goals with the measured value and whether it was met (None: not measured)."""
    live = next((r for r in runs if _key(r) == (GOAL_CAMERAS, "live")), None)
    cmp_max = next((c for c in comparison if (c["cameras"], c["scenario"]) == (GOAL_CAMERAS, "max")), None)
    if cmp_max is None:  # fall back to the largest saturated run
        cmp_max = max(
            (c for c in comparison if c["scenario"] == "max"),
            key=lambda c: c["cameras"],
            default=None,
        )
    out = []

    def add(name: str, value: float | None, target: float, higher_is_better: bool) -> None:
        met = None if value is None else (value >= target if higher_is_better else value <= target)
        out.append({"goal": name, "value": value, "target": target, "met": met})

    add(
        f"{GOAL_CAMERAS} cameras live: share of frames processed",
        live.get("processed_fraction") if live else None,
        GOAL_PROCESSED,
        True,
    )
    add(
        f"{GOAL_CAMERAS} cameras live: latency p95 (ms)",
        (live.get("latency_ms") or {}).get("p95") if live else None,
        GOAL_P95_MS,
        False,
    )
    add(
        f"{GOAL_CAMERAS} cameras live: total PSS (MiB)",
        live.get("pss_mb") if live else None,
        GOAL_PSS_MB,
        False,
    )
    label = f"{cmp_max['cameras']} cameras" if cmp_max else "saturated"
    add(
        f"{label} saturated: throughput vs baseline",
        cmp_max.get("throughput_ratio") if cmp_max else None,
        GOAL_SPEEDUP,
        True,
    )
    add(
        f"{label} saturated: throughput vs detector async ceiling",
        cmp_max.get("runtime_vs_ceiling") if cmp_max else None,
        GOAL_CEILING_SHARE,
        True,
    )
    return out


def document(
    machine: dict[str, Any],
    params: dict[str, Any],
    runs: list[dict[str, Any]],
    baseline: list[dict[str, Any]],
    ceiling: dict[str, Any] | None,
) -> dict[str, Any]:
    """The JSON document of a `pictag bench` invocation."""
    comparison = compare(runs, baseline, ceiling)
    return {
        "machine": machine,
        "params": params,
        "ceiling": ceiling,
        "runs": runs,
        "baseline": baseline,
        "comparison": comparison,
        "goals": goals(runs, comparison),
    }


def _fmt(value: Any, digits: int = 1, pct: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if pct:
        return f"{100 * float(value):.{digits}f} %"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def runs_table(runs: Sequence[dict[str, Any]], baseline: Sequence[dict[str, Any]]) -> str:
    """One row per (cameras, scenario, system): throughput, skips, latency, CPU, memory."""
    rows = []
    for system, entries in (("PicTag (Ray actors)", runs), ("baseline loop", baseline)):
        for e in entries:
            lat = e.get("latency_ms") or {}
            rows.append(
                [
                    str(e["cameras"]),
                    str(e.get("scenario")),
                    system,
                    _fmt(e.get("fps_processed")),
                    _fmt(e.get("processed_fraction"), pct=True),
                    _fmt(e.get("skip_rate"), pct=True),
                    _fmt(lat.get("p50"), 0),
                    _fmt(lat.get("p95"), 0),
                    _fmt(lat.get("p99"), 0),
                    _fmt(e.get("cpu_percent"), 0),
                    _fmt(e.get("cpu_ms_per_frame_total"), 1),
                    _fmt(e.get("rss_mb"), 0),
                    _fmt(e.get("pss_mb"), 0),
                    _fmt(e.get("others_cpu_percent"), 0),
                ]
            )
    rows.sort(key=lambda r: (int(r[0]), r[1], r[2]))
    return _table(
        [
            "cams",
            "scenario",
            "system",
            "frames/s",
            "processed",
            "skipped",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "CPU %",
            "CPU ms/frame",
            "RSS MiB",
            "PSS MiB",
            "others' CPU %",
        ],
        rows,
    )


def stages_table(runs: Sequence[dict[str, Any]], baseline: Sequence[dict[str, Any]]) -> str:
    """Milliseconds per frame in each stage (``stages_basis`` in the JSON says how each was got)."""
    rows = []
    for system, entries in (("PicTag", runs), ("baseline", baseline)):
        for e in entries:
            st = e.get("stages_ms") or {}
            rows.append(
                [
                    str(e["cameras"]),
                    str(e.get("scenario")),
                    system,
                    *(_fmt(st.get(s), 2) for s in STAGE_ORDER),
                    _fmt((e.get("transit_ms") or {}).get("p50"), 1),
                ]
            )
    rows.sort(key=lambda r: (int(r[0]), r[1], r[2]))
    return _table(["cams", "scenario", "system", *STAGE_ORDER, "transit p50"], rows)


def comparison_table(comparison: Sequence[dict[str, Any]]) -> str:
    """Ours / baseline ratios (and share of the detector's async ceiling)."""
    rows = [
        [
            str(c["cameras"]),
            str(c["scenario"]),
            _fmt(c.get("throughput_ratio"), 2),
            _fmt(c.get("latency_p50_ratio"), 2),
            _fmt(c.get("latency_p95_ratio"), 2),
            _fmt(c.get("cpu_ratio"), 2),
            _fmt(c.get("cpu_per_frame_ratio"), 2),
            _fmt(c.get("pss_ratio"), 2),
            _fmt(c.get("runtime_vs_ceiling"), 2),
            _fmt(c.get("baseline_vs_ceiling"), 2),
        ]
        for c in comparison
    ]
    return _table(
        [
            "cams",
            "scenario",
            "throughput ×",
            "p50 latency ×",
            "p95 latency ×",
            "CPU ×",
            "CPU/frame ×",
            "PSS ×",
            "ours / ceiling",
            "baseline / ceiling",
        ],
        rows,
    )


def goals_table(items: Sequence[dict[str, Any]]) -> str:
    """The goals, the measured values and whether each was met."""
    rows = [[g["goal"], _fmt(g["value"], 2), _fmt(g["target"], 2), _fmt(g["met"])] for g in items]
    return _table(["goal", "measured", "target", "met"], rows)


def markdown(doc: dict[str, Any]) -> str:
    """The whole report as markdown (machine line, tables, goals)."""
    from pictag.bench.machine import machine_line

    parts = [f"Machine: {machine_line(doc['machine'])}"]
    ceiling = doc.get("ceiling")
    end = doc.get("ceiling_end")
    if ceiling:
        parts.append(
            f"Detector async ceiling ({ceiling.get('model')}, {ceiling.get('precision')}, "
            f"{ceiling.get('input_size')} px, inference only, THROUGHPUT hint, "
            f"{ceiling.get('requests')} requests / {ceiling.get('streams')} streams): "
            f"{_fmt(ceiling.get('fps'))} frames/s"
            + (f" at the start, {_fmt(end.get('fps'))} at the end" if end else "")
        )
    parts += [
        "### Runs",
        runs_table(doc["runs"], doc["baseline"]),
        "### Per-stage time (ms per frame)",
        stages_table(doc["runs"], doc["baseline"]),
        "### PicTag / baseline",
        comparison_table(doc["comparison"]),
        "### Goals",
        goals_table(doc["goals"]),
    ]
    return "\n\n".join(parts) + "\n"


def detector_table(rows: Sequence[dict[str, Any]]) -> str:
    """`pictag bench detector` results."""
    out = []
    for r in rows:
        if "error" in r:
            out.append(
                [
                    r.get("model", "?"),
                    r.get("precision", "?"),
                    str(r.get("input_size", "?")),
                    r["error"],
                    *[""] * 7,
                ]
            )
            continue
        ba = r.get("benchmark_app") or {}
        out.append(
            [
                r["model"],
                r["precision"],
                str(r["input_size"]),
                _fmt(r["detect_ms"]["p50"]),
                _fmt(r["detect_ms"]["p95"]),
                _fmt(r["preprocess_ms"], 2),
                _fmt(r["infer_ms"]),
                _fmt(r["postprocess_ms"], 2),
                _fmt(r["submit_fps"]),
                _fmt(r["ceiling"]["fps"]),
                _fmt(ba.get("fps")) if "error" not in ba else "error",
            ]
        )
    return _table(
        [
            "model",
            "precision",
            "size",
            "detect p50 ms",
            "detect p95 ms",
            "letterbox ms",
            "infer ms",
            "decode+NMS ms",
            "submit() frames/s",
            "ceiling frames/s",
            "benchmark_app frames/s",
        ],
        out,
    )


def reid_table(rows: Sequence[dict[str, Any]]) -> str:
    """`pictag bench reid` results."""
    out = []
    for r in rows:
        if "error" in r:
            out.append([r.get("model", "?"), r.get("precision", "?"), r["error"], *[""] * 7])
            continue
        pc = r["ms_per_crop"]
        ba = r.get("benchmark_app") or {}
        out.append(
            [
                r["model"].split("/")[-1],
                r["precision"],
                r.get("file", ""),
                _fmt(pc.get("1"), 2),
                _fmt(pc.get("8"), 2),
                _fmt(pc.get("16"), 2),
                _fmt(r.get("sync_infer_ms"), 2),
                _fmt(r.get("best_crops_per_s"), 0),
                _fmt(r["ceiling"]["fps"], 0),
                _fmt(ba.get("fps"), 0) if "error" not in ba else "error",
            ]
        )
    return _table(
        [
            "model",
            "precision",
            "IR",
            "ms/crop b1",
            "ms/crop b8",
            "ms/crop b16",
            "raw sync infer ms",
            "best crops/s",
            "ceiling crops/s",
            "benchmark_app crops/s",
        ],
        out,
    )


def joint_table(r: dict[str, Any]) -> str:
    """`pictag bench joint` result: milliseconds per frame, both paths, crop mode beside."""
    rows = [
        ["detector alone", _fmt(r["detector_ms"], 2)],
        [
            "extra feature-map output (NCHW / channels last), paired median",
            f"{_fmt(r['extra_output_ms'], 2)} / {_fmt(r['extra_hwc_output_ms'], 2)}",
        ],
        [f"joint IR: OpenVINO RoIAlign + head, {r['persons']} boxes", _fmt(r["roi_head_ms"], 2)],
        [f"numpy RoIAlign, {r['persons']} boxes", _fmt(r["roi_align_numpy_ms"], 2)],
        ["head, static batch", _fmt(r["head_ms"], 2)],
        [
            "**joint mode adds (graph path / numpy path)**",
            f"{_fmt(r['joint_added_graph_ms'], 2)} / {_fmt(r['joint_added_numpy_ms'], 2)}",
        ],
        ["goal", f"≤ {_fmt(r['goal_ms'], 1)} ({'met' if r['goal_met'] else 'not met'})"],
        ["paths agree (min cosine)", _fmt(r["numpy_path_min_cosine"], 6)],
    ]
    rows += [[f"crop mode, {model}, {r['persons']} persons", _fmt(ms, 2)] for model, ms in r["crop_mode_ms"].items()]
    table = _table(["per frame", "ms"], rows)
    candidates = r.get("candidates", {})
    if len(candidates) > 1:
        table += "\n\n" + _table(
            ["joint IR", "layers", "extra output (hwc)", "numpy RoIAlign", "head", "joint adds", "vs detector"],
            [
                [
                    name,
                    ",".join(str(k) for k in c["layers"]),
                    _fmt(c["extra_hwc_output_ms"], 2),
                    _fmt(c["roi_align_numpy_ms"], 2),
                    _fmt(c["head_ms"], 2),
                    _fmt(c["joint_added_numpy_ms"], 2),
                    _fmt(c["joint_added_numpy_ms"] / c["detector_ms"], 3),
                ]
                for name, c in candidates.items()
            ],
        )
    return table


def tracker_table(rows: Sequence[dict[str, Any]]) -> str:
    """`pictag bench tracker` results."""
    return _table(
        ["people", "ms/frame mean", "p50", "p95", "tracks in last frame"],
        [
            [
                str(r["people"]),
                _fmt(r["ms_mean"], 3),
                _fmt(r["ms_p50"], 3),
                _fmt(r["ms_p95"], 3),
                str(r["tracks_last_frame"]),
            ]
            for r in rows
        ],
    )
