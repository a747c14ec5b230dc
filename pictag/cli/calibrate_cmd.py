"""`pictag calibrate`: the re-id match threshold from labelled videos, written into the config."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from pictag.datasets.mot import DEFAULT_FRAME_OFFSET, SeqInfo, read_seqinfo
from pictag.errors import PictagError

EXAMPLES = """examples:
  pictag calibrate --video videos/vtest.avi --gt mot/PETS09-S2L1/gt/gt.txt \\
      --video videos/TUD-Campus.mp4 --gt mot/TUD-Campus/gt/gt.txt \\
      --plot calibration.png --config pictag.yaml
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag calibrate``."""
    p = sub.add_parser(
        "calibrate",
        help="Derive the re-identification match threshold from labelled videos.",
        description=(
            "Embeds the good ground-truth person crops of each video with the re-id model, "
            "simulates tracks (segments of consecutive crops), measures the similarity of a new "
            "track's appearance to the prototypes of the same / a different person, and picks the "
            "threshold "
            "by a stated rule (default: best F1 over all pairs, see --rule). "
            "With --config, writes it as reid.threshold into that YAML file (the rest is kept); with "
            "--sidecar, next to the model file as <model>.threshold.json, where reid.threshold: auto "
            "finds it (the model's own threshold, for every config that uses the model)."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--video", action="append", required=True, help="Video file or asset name (repeatable).")
    p.add_argument(
        "--gt",
        action="append",
        required=True,
        help="MOTChallenge gt.txt for each --video, in order.",
    )
    p.add_argument(
        "--persons",
        action="append",
        help="JSON {gt_id: person} per --video for ground truth that gives re-entering people new "
        "ids (default: built-in for PETS09-S2L1, else none).",
    )
    p.add_argument(
        "--frame-offset",
        type=int,
        default=DEFAULT_FRAME_OFFSET,
        help="Video frame k is ground-truth frame k + N (default %(default)s).",
    )
    p.add_argument("--model", help="Re-id model (asset name or path); default: the config's reid.model.")
    p.add_argument(
        "--precision",
        choices=("f32", "bf16", "int8"),
        help="Re-id model precision (default: the config's reid.precision); int8 loads the INT8 IR.",
    )
    p.add_argument(
        "--joint-model",
        action="append",
        metavar="XML",
        help="Calibrate a joint-mode IR (detector feature maps + boxes) instead of a crop model: the "
        "config's detector runs on every frame and the boxes are pooled from its maps. Give one for "
        "all videos, or one per --video (out-of-fold: each video embedded by a model that never "
        "saw it).",
    )
    p.add_argument(
        "--write-threshold-to",
        metavar="XML",
        help="Write the chosen threshold into this joint-mode IR's rt_info (pictag_threshold, "
        "pictag_threshold_source): the threshold that belongs to the model.",
    )
    p.add_argument(
        "-c",
        "--config",
        help="PicTag YAML: read its reid section, and write the threshold into it.",
    )
    p.add_argument("--no-write", action="store_true", help="With --config: only read it, do not write.")
    p.add_argument(
        "--sidecar",
        action="store_true",
        help="Write the threshold next to the model file (<model file>.threshold.json) for reid.threshold: auto.",
    )
    p.add_argument(
        "--rule",
        choices=("f1", "eer", "fmr"),
        default="f1",
        help="f1: best F1 of 'same person' over all pairs, which are mostly different-person pairs "
        "as in a gallery search (default); eer: false-match rate = false-non-match rate; "
        "fmr: lowest threshold with false-match rate <= --target-fmr.",
    )
    p.add_argument(
        "--target-fmr",
        type=float,
        default=0.01,
        help="False-match rate for --rule fmr (default 0.01).",
    )
    p.add_argument("--step", type=int, default=1, help="Use every N-th frame (default 1).")
    p.add_argument("--max-frames", type=int, help="Only the first N frames of each video.")
    p.add_argument("--segment", type=int, default=8, help="Crops per simulated track (default 8).")
    p.add_argument(
        "--min-gap",
        type=float,
        default=4.0,
        help="Seconds between two segments of one person for a same-person pair (default 4).",
    )
    p.add_argument("--plot", metavar="PNG", help="Write both histograms and the threshold here.")
    p.add_argument("--json", metavar="OUT", help="Write the numbers as JSON here.")
    p.add_argument("--assets", help="Assets directory (else $PICTAG_ASSETS, then ~/.cache/pictag).")
    p.set_defaults(func=_run)


def print_report(report: dict[str, Any], out: TextIO | None = None) -> None:
    """Human-readable summary of a calibration."""
    out = out or sys.stdout
    s = report["settings"]
    print(
        f"{s['crops']} crops of {s['persons']} persons, {s['segments']} simulated tracks "
        f"({s['segment_crops']} crops each; query = mean of {s['query_crops']}, "
        f"{s['prototypes']} prototypes)",
        file=out,
    )
    for level in ("track_level", "crop_level"):
        d = report[level]
        print(
            f"{level:12s} same {d['same_mean']:.3f} ± {d['same_std']:.3f} (n={d['same_pairs']})  "
            f"different {d['different_mean']:.3f} ± {d['different_std']:.3f} "
            f"(n={d['different_pairs']})  "
            f"gap {d['mean_gap']:.3f}  overlap {d['overlap']:.3f}",
            file=out,
        )
    rows = [report["chosen"], *report["alternatives"].values()]
    print(
        f"{'rule':5s} {'threshold':>9s} {'FMR':>7s} {'FNMR':>7s} {'prec':>7s} {'recall':>7s} {'F1':>7s}",
        file=out,
    )
    for r in rows:
        mark = "*" if r["rule"] == report["rule"] else " "
        print(
            f"{r['rule']:4s}{mark} {r['threshold']:9.4f} {r['false_match_rate']:7.4f} "
            f"{r['false_non_match_rate']:7.4f} {r['precision']:7.4f} {r['recall']:7.4f} "
            f"{r['f1']:7.4f}",
            file=out,
        )


def _seqinfo(gt: Path) -> SeqInfo | None:
    """The seqinfo.ini of a MOT sequence (``<seq>/gt/gt.txt`` → ``<seq>/seqinfo.ini``), if any."""
    path = gt.parent.parent / "seqinfo.ini"
    return read_seqinfo(path) if path.is_file() else None


def _embedders(args: argparse.Namespace, config: Any, reid: Any, assets_dir: str | None) -> list[Any]:
    """The embedder(s): the config's crop model, or joint-mode IR(s) on the config's detector maps."""
    from pictag.reid import build_embedder

    if not args.joint_model:
        return [build_embedder(reid, assets_dir, config.detector)]
    if len(args.joint_model) not in (1, len(args.video)):
        raise PictagError(
            f"got {len(args.joint_model)} --joint-model for {len(args.video)} --video: give one, or one per video"
        )
    # The runtime's own joint path (detector maps + numpy RoIAlign + head): calibrated as it runs.
    return [
        build_embedder(reid.model_copy(update={"type": "joint", "model": path}), assets_dir, config.detector)
        for path in args.joint_model
    ]


def _run(args: argparse.Namespace) -> int:
    from pictag import assets
    from pictag.config import PictagConfig, load_config
    from pictag.identity import calibration
    from pictag.identity.config_file import write_threshold
    from pictag.identity.persons import known_persons, load_persons

    if len(args.video) != len(args.gt):
        raise PictagError(f"got {len(args.video)} --video but {len(args.gt)} --gt: give one gt.txt per video")
    config = load_config(args.config) if args.config and Path(args.config).exists() else PictagConfig()
    assets_dir = args.assets or config.assets_dir
    reid = config.reid.model_copy(update={"model": args.model}) if args.model else config.reid
    if args.precision:
        reid = reid.model_copy(update={"precision": args.precision})
    embedders = _embedders(args, config, reid, assets_dir)
    if args.persons and len(args.persons) != len(args.video):
        raise PictagError(f"got {len(args.persons)} --persons for {len(args.video)} --video: give one per video")
    parts = []
    for k, (video, gt) in enumerate(zip(args.video, args.gt, strict=True)):
        gt_path = assets.resolve(gt, assets_dir)
        info = _seqinfo(gt_path)
        persons = load_persons(args.persons[k]) if args.persons else known_persons(info.name if info else None)
        parts.append(
            calibration.collect_crops(
                assets.resolve(video, assets_dir),
                gt_path,
                embedders[k] if len(embedders) > 1 else embedders[0],
                min_height=reid.min_box_height,
                max_overlap=reid.max_crop_overlap,
                frame_offset=args.frame_offset,
                frame_rate=info.frame_rate if info else None,
                step=args.step,
                max_frames=args.max_frames,
                persons=persons,
                person_offset=k * 1_000_000,
            )
        )
    cal = calibration.calibrate(
        calibration.LabelledCrops.concat(parts),
        rule=args.rule,
        target_fmr=args.target_fmr,
        segment=args.segment,
        query_crops=config.identity.min_crops,
        prototypes=reid.prototypes,
        min_gap_s=args.min_gap,
    )
    report = cal.to_json()
    report["settings"]["model"] = ", ".join(args.joint_model) if args.joint_model else reid.model_name
    report["settings"]["type"] = "joint" if args.joint_model else reid.type
    report["settings"]["precision"] = "f32 (joint head)" if args.joint_model else reid.precision
    report["settings"]["videos"] = [str(v) for v in args.video]
    print_report(report)
    if args.plot:
        calibration.plot(
            cal,
            args.plot,
            title=f"{report['settings']['model']}: threshold {cal.choice.threshold:.3f} ({args.rule})",
        )
        print(f"plot: {args.plot}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.sidecar:
        from pictag.reid.model_files import resolve_model_file
        from pictag.reid.threshold import write_sidecar

        precision = "f32" if reid.type == "joint" else reid.precision
        model_file = resolve_model_file(reid.model_name, precision, assets_dir)
        source = f"pictag calibrate --rule {args.rule} on " + ", ".join(str(v) for v in args.video)
        path = write_sidecar(model_file, cal.choice.threshold, source, {"rule": args.rule, "model": reid.model_name})
        print(f"threshold {round(cal.choice.threshold, 4)} written to {path}")
    if args.write_threshold_to:
        from pictag.models.joint_export import write_threshold as write_ir_threshold

        source = (
            f"pictag calibrate --rule {args.rule} on {', '.join(Path(v).name for v in args.video)} "
            f"({report['settings']['crops']} crops, {report['settings']['persons']} persons) "
            f"with {', '.join(Path(m).name for m in (args.joint_model or [reid.model_name]))}"
        )
        write_ir_threshold(args.write_threshold_to, round(cal.choice.threshold, 4), source)
        print(f"pictag_threshold: {round(cal.choice.threshold, 4)} written to {args.write_threshold_to}")
    if args.config and not args.no_write:
        path = write_threshold(args.config, round(cal.choice.threshold, 4))
        print(f"reid.threshold: {round(cal.choice.threshold, 4)} written to {path}")
    return 0
