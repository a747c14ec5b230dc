"""`pictag bench`: the runtime's throughput, latency and memory against a baseline; microbenchmarks.

``pictag bench`` runs the whole actor runtime on N looping copies of a video and the
single-process baseline loop on the same video, per camera count, and prints
markdown tables (JSON with ``--json``). ``pictag bench detector|reid|tracker|footfall|joint``
measure one component against OpenVINO's own ceiling. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_REID_MODELS = (
    "intel/person-reidentification-retail-0287",
    "intel/person-reidentification-retail-0288",
    "intel/person-reidentification-retail-0277",
    "osnet/osnet_x0_25_msmt17.onnx",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench`` and its sub-commands (``detector``, ``reid``, ``tracker``, ``footfall``, ``joint``, ``demo``)."""
    parser = sub.add_parser(
        "bench",
        help="Measure frames/s, latency, CPU and memory against a single-process baseline.",
        description=(
            "Run the PicTag runtime (all Ray actors) on N looping copies of a video and, in the "
            "same invocation, a plain single-process loop with the same models on the same video; "
            "print per camera count frames/s, skipped frames, capture-to-event latency, CPU and "
            "RSS/PSS of "
            "every Ray process, per-stage times and the ratios. Scenarios: 'live' (cameras deliver "
            "--fps frames/s each) and 'max' (as fast as the system takes frames)."
        ),
    )
    parser.add_argument(
        "--cameras",
        type=int,
        nargs="+",
        default=[1, 2, 4],
        metavar="N",
        help="Camera counts to measure (default 1 2 4).",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="Measured window per run (default 20).")
    parser.add_argument("--warmup", type=float, default=5.0, help="Warm-up before each window (default 5).")
    parser.add_argument(
        "--fps",
        type=float,
        default=10.0,
        help="Analysis frames/s per camera, live scenario (default 10).",
    )
    parser.add_argument("--source", default="videos/vtest.avi", help="Video file or asset name (default vtest.avi).")
    parser.add_argument(
        "--rtsp",
        action="store_true",
        help="Serve the cameras through the RTSP simulator (live scenario).",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=("live", "max"),
        help="Scenario(s) to run (repeatable; default both).",
    )
    parser.add_argument("--no-reid", action="store_true", help="Turn re-identification off in both systems.")
    parser.add_argument("--no-serve", action="store_true", help="Do not start the Ray Serve app (less memory).")
    parser.add_argument("--no-baseline", action="store_true", help="Skip the baseline loop.")
    parser.add_argument("--baseline-only", action="store_true", help="Run only the baseline loop.")
    parser.add_argument(
        "--ceiling-seconds",
        type=float,
        default=5.0,
        help="Measure the detector's async ceiling for this long (0: skip; default 5).",
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        help="YAML config whose detector/tracking/reid settings to use.",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="Write the JSON results here.")
    parser.add_argument("--markdown", type=Path, metavar="OUT", help="Also write the markdown tables here.")
    parser.set_defaults(func=_suite)
    group = parser.add_subparsers(dest="bench_command", metavar="COMPONENT")
    _register_detector(group)
    _register_reid(group)
    _register_tracker(group)
    _register_footfall(group)
    _register_joint(group)
    _register_demo(group)
    _register_soak(group)


def _register_detector(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    det = group.add_parser(
        "detector",
        help="Detector latency and async throughput vs OpenVINO's ceiling.",
        description="Per model, precision and input size: sync latency (letterbox, inference, "
        "decode+NMS), frames/s through the async submit() path, and the inference-only ceiling "
        "(AsyncInferQueue at the THROUGHPUT hint, and OpenVINO's benchmark_app).",
    )
    det.add_argument("--model", action="append", help="Detector model (repeatable; default the config default).")
    det.add_argument(
        "--precision",
        action="append",
        choices=("f32", "bf16", "int8"),
        help="Precision(s) (repeatable; default int8 bf16).",
    )
    det.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[320, 416, 640],
        help="Input sizes (default 320 416 640).",
    )
    det.add_argument("--seconds", type=float, default=4.0, help="Seconds per throughput measurement (default 4).")
    det.add_argument("--source", default="videos/vtest.avi", help="Video for the frames (default vtest.avi).")
    det.add_argument("--no-benchmark-app", action="store_true", help="Skip OpenVINO's benchmark_app.")
    det.add_argument("--json", type=Path, metavar="OUT", help="Write the JSON results here.")
    det.set_defaults(func=_detector)


def _register_reid(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reid = group.add_parser(
        "reid",
        help="Re-id ms per crop at batch 1/8/16, FP32 vs INT8, vs OpenVINO's ceiling.",
        description="Per re-id model and precision: milliseconds per crop of the crop embedder "
        "at several batch sizes, and the model's inference-only ceiling in crops/s.",
    )
    reid.add_argument(
        "--model",
        action="append",
        help=f"Re-id model (repeatable; default {', '.join(DEFAULT_REID_MODELS)}).",
    )
    reid.add_argument(
        "--precision",
        action="append",
        choices=("f32", "bf16", "int8"),
        help="Precision(s) (repeatable; default f32 int8; missing IRs are skipped).",
    )
    reid.add_argument(
        "--batches",
        type=int,
        nargs="+",
        default=[1, 8, 16],
        help="Crops per call (default 1 8 16).",
    )
    reid.add_argument("--seconds", type=float, default=4.0, help="Seconds per ceiling measurement (default 4).")
    reid.add_argument("--source", default="videos/vtest.avi", help="Video for the crops (default vtest.avi).")
    reid.add_argument("--no-benchmark-app", action="store_true", help="Skip OpenVINO's benchmark_app.")
    reid.add_argument("--json", type=Path, metavar="OUT", help="Write the JSON results here.")
    reid.set_defaults(func=_reid)


def _register_tracker(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trk = group.add_parser(
        "tracker",
        help="ByteTracker cost per frame for N people (synthetic shop scene).",
        description="Time ByteTracker.update on pictag.tracking.bench's synthetic scene.",
    )
    trk.add_argument(
        "--people",
        type=int,
        nargs="+",
        default=[1, 5, 20, 50],
        help="Crowd sizes (default 1 5 20 50).",
    )
    trk.add_argument("--frames", type=int, default=600, help="Frames per crowd size (default 600).")
    trk.add_argument("--json", type=Path, metavar="OUT", help="Write the JSON results here.")
    trk.set_defaults(func=_tracker)


def _register_footfall(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ff = group.add_parser(
        "footfall",
        help="Footfall engine cost per frame for N people, next to the tracker's (synthetic shop scene).",
        description="Time FootfallEngine.observe (2 lines, 3 zones) and ByteTracker.update on "
        "pictag.tracking.bench's synthetic scene in one run; the ratio is steadier than either time.",
    )
    ff.add_argument("--people", type=int, nargs="+", default=[1, 10, 30], help="Crowd sizes (default 1 10 30).")
    ff.add_argument("--frames", type=int, default=1000, help="Frames per crowd size (default 1000).")
    ff.add_argument("--json", type=Path, metavar="OUT", help="Write the JSON results here.")
    ff.set_defaults(func=_footfall)


def _register_joint(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    joint = group.add_parser(
        "joint",
        help="What joint-mode re-id adds per frame (extra detector output + RoIAlign + head).",
        description="Times, interleaved on real frames: the detector with and without its extra "
        "feature-map output, the joint IR (OpenVINO RoIAlign + head), the numpy RoIAlign + "
        "static-batch head path, and crop mode for the same persons. Goal: <= 1 ms per frame "
        "for 10 persons.",
    )
    joint.add_argument("--persons", type=int, default=10, help="Person boxes per frame (default 10).")
    joint.add_argument("--rounds", type=int, default=20, help="Timed passes over the frames (default 20).")
    joint.add_argument("--frames", type=int, default=4, help="Frames taken from the video (default 4).")
    joint.add_argument(
        "--model",
        action="append",
        help="Joint-mode IR (default the shipped pictag-lite-joint); repeat to time several interleaved "
        "on the same frames (one table row each).",
    )
    joint.add_argument("--source", default="videos/vtest.avi", help="Video for the frames (default vtest.avi).")
    joint.add_argument("--json", type=Path, metavar="OUT", help="Write the JSON results here.")
    joint.set_defaults(func=_joint)


def _register_demo(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = group.add_parser(
        "demo",
        help="Time `pictag demo` to its first event, its frames/s, memory and clean Ctrl-C.",
        description="Run `pictag demo` as a user does; measure the time to the first track.started "
        "(stored and on /ws/events), frames/s and latency of the demo camera, RSS/PSS of every "
        "process, then send Ctrl-C and check that nothing is left behind. Needs `websockets`.",
    )
    demo.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one).")
    demo.add_argument("--seconds", type=float, default=20.0, help="Measured window (default 20).")
    demo.add_argument("--json", type=Path, metavar="OUT", help="Write the JSON results here.")
    demo.set_defaults(func=_demo)


def _register_soak(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    soak = group.add_parser(
        "soak",
        help="Memory (PSS), file descriptors and threads of the runtime over a long run.",
        description="Run N cameras for --minutes as `pictag up` does and sample every process of the Ray "
        "session: PSS, fds, threads, frames processed. With --kill-every, one camera's RTSP server is "
        "killed and restarted on that period. Reports the growth after --settle seconds (budget: "
        "50 MiB of PSS; each end is the median of two minutes of readings).",
    )
    soak.add_argument("--cameras", type=int, default=8, help="Cameras (default 8).")
    soak.add_argument("--minutes", type=float, default=30.0, help="Length of the run (default 30).")
    soak.add_argument("--fps", type=float, default=5.0, help="Analysis frames/s per camera (default 5).")
    soak.add_argument("--sample", type=float, default=30.0, help="Seconds between samples (default 30).")
    soak.add_argument("--settle", type=float, default=300.0, help="Growth is measured from here (default 300 s).")
    soak.add_argument(
        "--kill-every", type=float, default=0.0, help="Kill and restart one camera's RTSP server this often (s)."
    )
    soak.add_argument("--source", default="videos/vtest.avi", help="Video file or asset name.")
    soak.add_argument("-c", "--config", type=Path, help="YAML config whose settings to use.")
    soak.add_argument("--json", type=Path, metavar="OUT", help="Write the samples and summary here.")
    soak.set_defaults(func=_soak)


def _soak(args: argparse.Namespace) -> int:
    from pictag.actors.bench_soak import SoakParams, run_soak, write

    params = SoakParams(
        cameras=args.cameras,
        minutes=args.minutes,
        fps=args.fps,
        sample_s=args.sample,
        settle_s=args.settle,
        kill_every_s=args.kill_every,
        source=args.source,
        config=_base_config(args.config),
    )
    result = run_soak(params, _progress)
    write(result, args.json)
    print(json.dumps(result["summary"], indent=2))
    return 0 if result["summary"].get("pss_within_budget") else 1


def _base_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from pictag.config import load_config

    data = load_config(path).model_dump(mode="json")
    return {k: data[k] for k in ("detector", "tracking", "reid", "runtime", "assets_dir") if k in data}


def _write(path: Path | None, doc: Any, quiet: bool = False) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
        if not quiet:
            print(f"wrote {path}", file=sys.stderr)


def _suite(args: argparse.Namespace) -> int:
    from pictag.actors.bench_suite import SCENARIOS, SuiteParams, cameras_arg, run_suite
    from pictag.bench.report import markdown

    config = _base_config(args.config)
    config.pop("runtime", None)
    params = SuiteParams(
        cameras=cameras_arg(args.cameras),
        scenarios=tuple(args.scenario or SCENARIOS),
        seconds=args.seconds,
        warmup_s=args.warmup,
        fps=args.fps,
        source=args.source,
        rtsp=args.rtsp,
        reid=not args.no_reid,
        serve=not args.no_serve,
        baseline=not args.no_baseline,
        runtime=not args.baseline_only,
        ceiling_s=args.ceiling_seconds,
        config=config,
    )
    doc = run_suite(params, checkpoint=(lambda d: _write(args.json, d, quiet=True)) if args.json else None)
    text = markdown(doc)
    print(text)
    _write(args.json, doc)
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


def _frames(source: str, count: int) -> list[Any]:
    from pictag import assets
    from pictag.bench.micro import sample_frames

    path = Path(source) if Path(source).is_file() else assets.resolve(source)
    return sample_frames(path, count)


def _detector(args: argparse.Namespace) -> int:
    from pictag.bench.machine import machine_info, machine_line
    from pictag.bench.micro import bench_detector
    from pictag.bench.report import detector_table
    from pictag.config.detector import DetectorConfig
    from pictag.errors import PictagError

    frames = _frames(args.source, 24)
    rows = []
    for model in args.model or [DetectorConfig().model]:
        for precision in args.precision or ["int8", "bf16"]:
            for size in args.sizes:
                print(f"detector {model} {precision} {size}px ...", file=sys.stderr, flush=True)
                try:
                    rows.append(
                        bench_detector(
                            model,
                            precision,
                            size,
                            frames,
                            seconds=args.seconds,
                            with_benchmark_app=not args.no_benchmark_app,
                        )
                    )
                except PictagError as err:
                    rows.append(
                        {
                            "model": model,
                            "precision": precision,
                            "input_size": size,
                            "error": str(err),
                        }
                    )
    machine = machine_info()
    print(f"Machine: {machine_line(machine)}\n\n{detector_table(rows)}")
    _write(args.json, {"machine": machine, "detector": rows})
    return 0


def _reid(args: argparse.Namespace) -> int:
    from pictag.bench.machine import machine_info, machine_line
    from pictag.bench.micro import bench_reid, model_available, person_boxes
    from pictag.bench.report import reid_table
    from pictag.config.detector import DetectorConfig
    from pictag.errors import PictagError

    frame = _frames(args.source, 1)[0]
    boxes = person_boxes(frame, DetectorConfig())
    rows = []
    for model in args.model or list(DEFAULT_REID_MODELS):
        for precision in args.precision or ["f32", "int8"]:
            path = model_available(model, precision)
            if path is None or (precision == "int8" and path == model_available(model, "f32")):
                print(f"re-id {model} {precision}: no such IR, skipped", file=sys.stderr)
                continue
            print(f"re-id {model} {precision} ...", file=sys.stderr, flush=True)
            try:
                rows.append(
                    bench_reid(
                        model,
                        precision,
                        frame,
                        boxes,
                        batches=args.batches,
                        seconds=args.seconds,
                        with_benchmark_app=not args.no_benchmark_app,
                    )
                )
            except PictagError as err:
                rows.append({"model": model, "precision": precision, "error": str(err)})
    machine = machine_info()
    print(f"Machine: {machine_line(machine)}\n\n{reid_table(rows)}")
    _write(args.json, {"machine": machine, "reid": rows})
    return 0


def _joint(args: argparse.Namespace) -> int:
    from pictag.bench.joint import bench_joint
    from pictag.bench.machine import machine_info, machine_line
    from pictag.bench.report import joint_table

    if args.persons < 1 or args.rounds < 1 or args.frames < 1:
        print("pictag bench joint: --persons, --rounds and --frames must be at least 1", file=sys.stderr)
        return 2
    result = bench_joint(
        _frames(args.source, args.frames),
        persons=args.persons,
        rounds=args.rounds,
        joint_model=args.model or ["pictag-lite-joint"],
    )
    machine = machine_info()
    print(f"Machine: {machine_line(machine)}\n\n{joint_table(result)}")
    _write(args.json, {"machine": machine, "joint": result})
    return 0


def _tracker(args: argparse.Namespace) -> int:
    from pictag.bench.machine import machine_info, machine_line
    from pictag.bench.micro import bench_tracker
    from pictag.bench.report import tracker_table

    rows = bench_tracker(args.people, args.frames)
    machine = machine_info()
    print(f"Machine: {machine_line(machine)}\n\n{tracker_table(rows)}")
    _write(args.json, {"machine": machine, "tracker": rows})
    return 0


def _footfall(args: argparse.Namespace) -> int:
    from pictag.bench.machine import machine_info, machine_line
    from pictag.footfall.bench import benchmark, table

    rows = [benchmark(n, args.frames) for n in args.people]
    machine = machine_info()
    print(f"Machine: {machine_line(machine)}\n\n{table(rows)}")
    _write(args.json, {"machine": machine, "footfall": [r.to_json() for r in rows]})
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pictag.bench.demo import measure_demo
    from pictag.bench.machine import machine_info, machine_line
    from pictag.simulate.ports import free_port

    result = measure_demo(args.port or free_port(), args.seconds, _progress)
    machine = machine_info()
    print(f"Machine: {machine_line(machine)}\n")
    print(json.dumps(result, indent=2))
    _write(args.json, {"machine": machine, "demo": result})
    return 0 if result.get("leftover_processes") == 0 else 1


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
