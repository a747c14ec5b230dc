"""`pictag eval identity`: identities of the whole chain (re-id on vs off) against ground truth."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from pictag.datasets.mot import DEFAULT_FRAME_OFFSET

EXAMPLES = """examples:
  pictag eval identity --video $PICTAG_ASSETS/videos/vtest.avi \\
      --gt $PICTAG_ASSETS/mot/PETS09-S2L1/gt/gt.txt --json identity.json
"""

_COLUMNS = (
    ("persons", "persons", "d"),
    ("identities", "idents", "d"),
    ("fragmented_persons", "frag", "d"),
    ("merged_identities", "merged", "d"),
    ("idf1", "IDF1", "%"),
    ("idp", "IDP", "%"),
    ("idr", "IDR", "%"),
    ("returns_recognised", "back", "d"),
    ("returns", "/ret", "d"),
    ("visits", "visits", "d"),
)


def register(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag eval identity``."""
    p = group.add_parser(
        "identity",
        help="Score identity assignment (re-id on vs off) of the full chain against ground truth.",
        description=(
            "Runs detector, tracker, crop embedder and identity gallery in this process over a "
            "video, twice per scenario (re-identification on, and off as the baseline), and scores "
            "the identities against ground truth per physical person: persons, identities, "
            "fragmented persons, merged identities, IDF1, and how many times a person who left and "
            "came back got the same identity. Scenarios: the sequence as one camera, and cut in "
            "two with a gap and "
            "played as two cameras."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--video", required=True, help="Video file (or asset name) of the sequence.")
    p.add_argument("--gt", required=True, help="MOTChallenge gt.txt.")
    p.add_argument("--seqinfo", help="seqinfo.ini (default: next to the gt/ folder).")
    p.add_argument(
        "--frame-offset",
        type=int,
        default=DEFAULT_FRAME_OFFSET,
        help="Video frame k is ground-truth frame k + N (default %(default)s).",
    )
    p.add_argument(
        "--persons",
        help="JSON {gt_id: person} for ground truth that gives re-entering people "
        "new ids (default: built-in for PETS09-S2L1).",
    )
    p.add_argument("--json", metavar="OUT", help='Write {"reid": {...}, "no_reid": {...}, ...} here.')
    p.add_argument("-c", "--config", help="PicTag YAML: detector, tracking, reid, identity sections.")
    p.add_argument("--threshold", type=float, help="Override reid.threshold.")
    p.add_argument("--assets", help="Assets directory (else $PICTAG_ASSETS, then ~/.cache/pictag).")
    p.add_argument("--max-frames", type=int, help="Only the first N frames.")
    p.add_argument("--cut", type=int, help="Frame where the two-camera scenario cuts (default: the middle).")
    p.add_argument(
        "--gap",
        type=float,
        default=900.0,
        help="Seconds between the two halves of the two-camera scenario (default %(default)s).",
    )
    p.add_argument(
        "--scenario",
        action="append",
        choices=("continuous", "two_cameras_gap"),
        help="Only these scenarios (repeatable; default both).",
    )
    p.set_defaults(func=_run)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return f"{'-':>7s}"
    return f"{100 * value:6.1f}%" if kind == "%" else f"{int(value):7d}"


def print_table(report: dict[str, Any], out: TextIO | None = None) -> None:
    """One line per scenario and mode."""
    out = out or sys.stdout
    seq = report["sequence"]
    print(
        f"{seq['video']}: {seq['frames']} frames, {seq['ground_truth_ids']} ground-truth ids = "
        f"{seq['persons']} persons; threshold {report['settings']['threshold']}",
        file=out,
    )
    print(f"{'scenario':18s} {'mode':8s} " + " ".join(f"{h:>7s}" for _, h, _ in _COLUMNS), file=out)
    for name, rows in report["scenarios"].items():
        for mode in ("reid", "no_reid"):
            row = rows[mode]
            print(
                f"{name:18s} {mode:8s} " + " ".join(_cell(row.get(k), kind) for k, _, kind in _COLUMNS),
                file=out,
            )


def _run(args: argparse.Namespace) -> int:
    from pictag import assets
    from pictag.config import PictagConfig, load_config
    from pictag.detection import build_detector
    from pictag.eval import identity, track
    from pictag.identity.persons import known_persons, load_persons
    from pictag.reid import build_embedder
    from pictag.reid.threshold import resolve_reid

    config = load_config(args.config) if args.config else PictagConfig()
    if args.threshold is not None:
        config = config.model_copy(update={"reid": config.reid.model_copy(update={"threshold": args.threshold})})
    assets_dir = args.assets or config.assets_dir
    reid, threshold = resolve_reid(config.reid, assets_dir)
    print(f"reid: {reid.type} {reid.model_name}, threshold {threshold.value:.4f} ({threshold.source})")
    config = config.model_copy(update={"reid": reid})
    inputs = track.resolve_inputs(
        assets.resolve(args.video, assets_dir),
        assets.resolve(args.gt, assets_dir),
        args.seqinfo,
        args.frame_offset,
        args.max_frames,
    )
    persons = (
        load_persons(args.persons) if args.persons else known_persons(inputs.seqinfo.name if inputs.seqinfo else None)
    )
    report = identity.evaluate(
        inputs,
        build_detector(config.detector, assets_dir),
        build_embedder(config.reid, assets_dir, config.detector),
        config,
        persons,
        cut=args.cut,
        gap_s=args.gap,
        only=args.scenario,
    ).to_json()
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0
