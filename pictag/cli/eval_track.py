"""`pictag eval track`: our tracker and a reference tracker on one video, with MOT metrics."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from pictag.datasets.mot import DEFAULT_FRAME_OFFSET

EXAMPLES = """examples:
  pictag eval track --video $PICTAG_ASSETS/videos/vtest.avi \\
      --gt $PICTAG_ASSETS/mot/PETS09-S2L1/gt/gt.txt --frame-offset 1
  pictag eval track --video $PICTAG_ASSETS/videos/TUD-Campus.mp4 \\
      --gt $PICTAG_ASSETS/mot/TUD-Campus/gt/gt.txt --json tud.json
"""


def register(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag eval track``."""
    parser = group.add_parser(
        "track",
        help="Score the tracker on a video with MOTChallenge ground truth (MOTA, IDF1, HOTA).",
        description=(
            "Run the real detector and tracker over a video in this process, then score ours and "
            "a reference tracker (Ultralytics BYTETracker, from the [train] extra) on the same "
            "detections against MOTChallenge ground truth: MOTA, IDF1, HOTA (DetA/AssA), ID "
            "switches, fragmentations, precision and recall."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--video", required=True, help="Video file of the sequence.")
    parser.add_argument("--gt", required=True, help="MOTChallenge gt.txt.")
    parser.add_argument(
        "--seqinfo",
        help="seqinfo.ini (frame rate, length); default: the one next to the gt/ folder, if any.",
    )
    parser.add_argument(
        "--frame-offset",
        type=int,
        default=DEFAULT_FRAME_OFFSET,
        help="Video frame k is ground-truth frame k + N (default %(default)s: MOT counts from 1).",
    )
    parser.add_argument("--json", metavar="OUT", help='Write {"ours": {...}, "reference": {...}} here.')
    parser.add_argument("-c", "--config", help="PicTag YAML: its detector and tracking sections are used.")
    parser.add_argument("--assets", help="Assets directory (else $PICTAG_ASSETS, then ~/.cache/pictag).")
    parser.add_argument("--max-frames", type=int, help="Only the first N frames (a quick check).")
    parser.add_argument("--no-reference", action="store_true", help="Skip the reference tracker.")
    parser.add_argument("--save-tracks", metavar="DIR", help="Write each tracker's output as MOT txt files.")
    parser.set_defaults(func=_run)


def _fmt(row: dict[str, Any]) -> str:
    if row.get("available") is False:
        return f"{'reference':32s} unavailable: {row['reason']}"
    cells = [f"{100 * row[k]:6.1f}" for k in ("mota", "idf1", "hota", "deta", "assa")]
    cells += [f"{row['id_switches']:5d}", f"{row['fragmentations']:5d}"]
    cells += [f"{100 * row[k]:6.1f}" for k in ("precision", "recall")]
    cells += [f"{row['fps']:6.1f}", f"{row['tracker_ms_per_frame']:8.3f}"]
    return f"{row['tracker'][:32]:32s} " + " ".join(cells)


def print_table(report: dict[str, Any], out: TextIO | None = None) -> None:
    """The side-by-side table of ours vs the reference (on stdout unless ``out`` is given)."""
    out = out or sys.stdout
    seq, det = report["sequence"], report["detector"]
    print(
        f"sequence {seq['name']}: {seq['frames']} frames at {seq['frame_rate']:g} fps; detector "
        f"{det['model']} {det['input_size']} px, {det['precision']}, conf >= {det['confidence']:g}",
        file=out,
    )
    head = ["MOTA", "IDF1", "HOTA", "DetA", "AssA", " IDsw", " Frag", "Prec", "Rec"]
    print(f"{'tracker':32s} " + " ".join(f"{h:>6s}" if h[0] != " " else h for h in head)
          + "    FPS ms/frame", file=out)  # fmt: skip
    for row in [report["ours"], report["reference"], *report.get("extra", {}).values()]:
        print(_fmt(row), file=out)


def _run(args: argparse.Namespace) -> int:
    from pictag.config import PictagConfig, load_config
    from pictag.detection import build_detector
    from pictag.eval import track

    config = load_config(args.config) if args.config else PictagConfig()
    assets_dir = args.assets or config.assets_dir
    inputs = track.resolve_inputs(args.video, args.gt, args.seqinfo, args.frame_offset, args.max_frames)
    detector = build_detector(config.detector, assets_dir)
    ours, ref, _, seq = track.evaluate(
        inputs,
        detector,
        config.tracking,
        reference=not args.no_reference,
        save_dir=Path(args.save_tracks) if args.save_tracks else None,
    )
    name = inputs.seqinfo.name if inputs.seqinfo else Path(inputs.video).stem
    report = track.TrackEvalReport(
        sequence={
            "name": name,
            "video": str(inputs.video),
            "gt": str(inputs.gt),
            "frame_offset": inputs.frame_offset,
            "frame_rate": inputs.frame_rate,
            "frames": len(seq),
            "decode_detect_ms_per_frame": 1000.0 * seq.detect_seconds / len(seq),
        },
        detector=track.detector_summary(config.detector, str(getattr(detector, "model_path", config.detector.model))),
        tracking=config.tracking.model_dump(),
        ours=ours,
        reference=ref,
    ).to_json()
    print_table(report)
    if ref.get("available") is False and not args.no_reference:
        print(f"reference tracker unavailable: {ref['reason']}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0
