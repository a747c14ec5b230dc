"""`pictag eval count`: count people crossing lines in a video, scored against ground truth if given."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from pictag.datasets.mot import DEFAULT_FRAME_OFFSET

EXAMPLES = """examples:
  pictag eval count --video $PICTAG_ASSETS/videos/vtest.avi \\
      --gt $PICTAG_ASSETS/mot/PETS09-S2L1/gt/gt.txt --frame-offset 1 \\
      --line 256,0,256,576 --line 512,0,512,576 --line 0,288,768,288 --json pets-count.json
  pictag eval count --video shop.mp4 --line 100,400,500,400 --json counts.json

A line X1,Y1,X2,Y2 runs from A=(X1,Y1) to B=(X2,Y2) in frame pixels. Seen on the image from A
looking towards B, crossing from left to right is 'in', right to left 'out' (docs/footfall.md).
"""


def register(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag eval count``."""
    parser = group.add_parser(
        "count",
        help="Count line crossings in a video (in/out per line), with per-crossing F1 against MOT ground truth.",
        description=(
            "Run the real detector and tracker over a video in this process and count the crossings "
            "of each --line with the live footfall rule. With --gt, the ground-truth tracks go through "
            "the same rule; a counted crossing matches a true one of the same line and direction within "
            "1 s, giving per-crossing precision, recall and F1."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--video", required=True, help="Video file.")
    parser.add_argument("--gt", help="MOTChallenge gt.txt of the video (optional).")
    parser.add_argument(
        "--frame-offset",
        type=int,
        default=DEFAULT_FRAME_OFFSET,
        help="Video frame k is ground-truth frame k + N (default %(default)s: MOT counts from 1).",
    )
    parser.add_argument(
        "--line", action="append", required=True, metavar="X1,Y1,X2,Y2", help="A counting line; repeat for more."
    )
    parser.add_argument("--json", metavar="OUT", help='Write {"lines": [...], ...} here.')
    parser.add_argument("-c", "--config", help="PicTag YAML: its detector, tracking and site sections are used.")
    parser.add_argument("--assets", help="Assets directory (else $PICTAG_ASSETS, then ~/.cache/pictag).")
    parser.add_argument(
        "--crossing-frames", type=int, help="Hysteresis N (frames on the new side); default: site.crossing_frames."
    )
    parser.add_argument(
        "--edge-clearance",
        type=float,
        help="Clearance past the line, fraction of box height (0 disables); default: site.edge_clearance.",
    )
    parser.add_argument("--max-frames", type=int, help="Only the first N frames (a quick check).")
    parser.set_defaults(func=_run)


def print_table(report: dict[str, Any], out: TextIO | None = None) -> None:
    """One row per line: counts, truth, precision/recall/F1."""
    out = out or sys.stdout
    seq = report["sequence"]
    print(
        f"{seq['name']}: {seq['frames']} frames at {seq['frame_rate']:g} fps, "
        f"crossing_frames={report['crossing_frames']} edge_clearance={report['edge_clearance']:g}",
        file=out,
    )
    print(
        f"{'line':5s} {'points':24s} {'in':>4s} {'out':>4s} {'true in':>7s} {'true out':>8s} "
        f"{'prec':>6s} {'recall':>6s} {'F1':>6s}",
        file=out,
    )
    for row in report["lines"]:
        pts = ",".join(f"{v:g}" for v in row["line"])
        cells = f"{row['id']:5s} {pts:24s} {row['in']:4d} {row['out']:4d}"
        if row["truth"] is not None:
            c = row["crossings"]
            cells += (
                f" {row['truth']['in']:7d} {row['truth']['out']:8d} {100 * c['precision']:6.1f} "
                f"{100 * c['recall']:6.1f} {100 * c['f1']:6.1f}"
            )
        print(cells, file=out)


def _run(args: argparse.Namespace) -> int:
    from pictag.config import PictagConfig, load_config
    from pictag.detection import build_detector
    from pictag.eval import count, track
    from pictag.eval.frames import read_mot_rows
    from pictag.footfall.engine import FootfallSettings

    config = load_config(args.config) if args.config else PictagConfig()
    lines = count.line_configs([count.parse_line(text) for text in args.line])
    frames_n = args.crossing_frames if args.crossing_frames is not None else config.site.crossing_frames
    if frames_n < 1:
        print("pictag eval count: --crossing-frames must be at least 1", file=sys.stderr)
        return 2
    inputs = count.resolve_count_inputs(args.video, args.gt, args.frame_offset, args.max_frames)
    detector = build_detector(config.detector, args.assets or config.assets_dir)
    seq = track.detect_video(
        inputs.video,
        detector,
        frame_offset=inputs.frame_offset,
        frame_rate=inputs.frame_rate,
        max_frames=inputs.max_frames,
    )
    site = config.site.model_copy(update={"crossing_frames": frames_n})
    if args.edge_clearance is not None:
        if not 0.0 <= args.edge_clearance <= 1.0:
            print("pictag eval count: --edge-clearance must be within 0..1", file=sys.stderr)
            return 2
        site = site.model_copy(update={"edge_clearance": args.edge_clearance})
    settings = FootfallSettings.from_config(site)
    predicted, truth = count.count_sequence(
        seq, lines, settings, config.tracking, read_mot_rows(inputs.gt) if inputs.gt else None
    )
    scores = count.score_lines(lines, predicted, truth)
    model = str(getattr(detector, "model_path", config.detector.model))
    report = {
        "lines": [s.to_json() for s in scores],
        "total": count.totals(scores),
        "sequence": {
            "name": inputs.name,
            "video": str(inputs.video),
            "gt": str(inputs.gt) if inputs.gt else None,
            "frame_offset": inputs.frame_offset,
            "frame_rate": inputs.frame_rate,
            "frames": len(seq),
        },
        "crossing_frames": frames_n,
        "edge_clearance": settings.edge_clearance,
        "match_window_s": count.MATCH_WINDOW_S,
        "detector": track.detector_summary(config.detector, model),
        "tracking": config.tracking.model_dump(),
    }
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0
