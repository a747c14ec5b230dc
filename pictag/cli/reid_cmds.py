"""``pictag eval reid``, ``pictag train reid``, ``pictag models export|quantize``.

Argument parsing only: the work happens in ``pictag.models.commands``, imported inside the
handlers, so ``pictag --help`` works without the ``[train]`` extra (torch, ultralytics, nncf).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from pictag.errors import PictagError

DEFAULT_WORK = "~/.cache/pictag/reid-train"


class MissingExtra(PictagError):
    """A command needs the training extra."""


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _need(*modules: str) -> None:
    missing = [m for m in modules if not _available(m)]
    if missing:
        raise MissingExtra(
            f"this command needs {', '.join(missing)}: install pictag[train] (pip install 'pictag[train]')"
        )


def _print(result: dict[str, Any]) -> None:
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


# ---- pictag eval reid -------------------------------------------------------------------------


def register_eval(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag eval reid``."""
    p = group.add_parser(
        "reid",
        help="Rank-1/rank-5/mAP of re-id models on identity-labelled crops (time-gap protocol).",
        description=(
            "Builds query/gallery sets from the ground-truth boxes of each video (per identity, crops "
            ">= 60 px tall and >= 60%% inside the frame sorted by frame: first 40%% gallery, last 40%% "
            "query) and scores every model on the same sets."
        ),
    )
    p.add_argument("--video", action="append", required=True, help="Video file or asset name (repeatable).")
    p.add_argument(
        "--gt",
        action="append",
        required=True,
        help="MOTChallenge gt.txt for each --video, in order.",
    )
    p.add_argument("--frame-offset", type=int, default=1, help="gt frame number of video frame 0 (default 1).")
    p.add_argument(
        "--model",
        action="append",
        help=(
            "Model name (omz-0277, omz-0286, omz-0287, omz-0288, osnet-x0.25, pictag-lite, pictag-lite-joint), "
            "asset name or IR path, or LABEL=PATH (a LABEL ending in -joint is a joint-mode IR); "
            "repeatable. Default: all crop models."
        ),
    )
    p.add_argument(
        "--detector",
        default="yolo11n_int8_openvino_model",
        help="Detector IR for joint-mode models.",
    )
    p.add_argument("--json", dest="json_out", help="Write the results JSON here.")
    p.add_argument("--plot", help="Write a PNG of same/different-person cosine histograms here.")
    p.set_defaults(func=_eval_reid)


def _eval_reid(args: argparse.Namespace) -> int:
    if len(args.video) != len(args.gt):
        raise PictagError(f"got {len(args.video)} --video but {len(args.gt)} --gt: give one gt.txt per video")
    if args.plot:
        _need("matplotlib")
    from pictag import assets
    from pictag.models import commands, evaluate

    videos = [str(assets.resolve(v)) for v in args.video]
    gts = [str(assets.resolve(g)) for g in args.gt]
    models = args.model or list(evaluate.DEFAULT_MODELS)
    result = commands.eval_reid(videos, gts, models, args.frame_offset, args.plot, args.detector)
    commands.write_json(result, args.json_out)
    _print(result)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag train`` and ``pictag models``."""
    train = sub.add_parser("train", help="Train PicTag's own models (needs pictag[train]).")
    tgroup = train.add_subparsers(dest="train_command", metavar="WHAT", required=True)
    t = tgroup.add_parser(
        "reid",
        help="Train the re-id head on the detector's backbone and export it to OpenVINO IR.",
        description=(
            "Cuts the YOLO backbone prefix out of the detector IR, caches its features of labelled "
            "crops (one scene) and unlabelled detector crops (other footage), trains a head with ID "
            "cross-entropy + batch-hard triplet + distillation from OMZ 0277, exports FP32 and INT8 "
            "IRs (and a joint-mode head) and checks the export. Fixed seed: same command, same model."
        ),
    )
    t.add_argument("--scene", default="pets", choices=["pets", "tud"], help="Labelled training scene.")
    t.add_argument("--eval-scene", default="tud", help="Scene to evaluate on while training ('' for none).")
    t.add_argument("--layer", type=int, default=6, help="Last YOLO layer of the backbone prefix (4, 6, 8, 9).")
    t.add_argument("--head", default="attention", choices=["attention", "pooling", "linear"])
    t.add_argument("--steps", type=int, default=600)
    t.add_argument("--views", type=int, default=4, help="Augmented views per crop (cached features).")
    t.add_argument("--every", type=int, default=1, help="Systematic sampling: every k-th frame of each track.")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--no-joint", action="store_true", help="Skip the joint-mode head.")
    t.add_argument("--name", default="reid-lite", help="File name stem of the outputs.")
    t.add_argument("--out", default="reid-out", help="Output folder.")
    t.add_argument("--work-dir", default=DEFAULT_WORK, help="Cache of crops, features and teacher embeddings.")
    t.set_defaults(func=_train_reid)
    from pictag.cli.reid_loso_cmd import register_train as register_train_joint

    register_train_joint(tgroup)

    models = sub.add_parser("models", help="Export and quantise detector models (needs pictag[train]).")
    mgroup = models.add_subparsers(dest="models_command", metavar="WHAT", required=True)
    e = mgroup.add_parser(
        "export",
        help="Ultralytics YOLO checkpoint (.pt, or a model .yaml) → OpenVINO IR folder the runtime loads.",
    )
    e.add_argument("checkpoint", help="Ultralytics detection checkpoint, e.g. your fine-tuned best.pt.")
    e.add_argument("--out", help="Output folder (default: next to the checkpoint, *_openvino_model).")
    e.add_argument("--imgsz", type=int, default=640)
    e.set_defaults(func=_export)
    q = mgroup.add_parser("quantize", help="INT8 IR with NNCF, calibrated on frames of your own video.")
    q.add_argument("model", help="OpenVINO IR folder or .xml (FP32/FP16).")
    q.add_argument("--video", required=True, help="Your camera's footage for calibration.")
    q.add_argument("--out", required=True, help="Output folder for the INT8 IR.")
    q.add_argument("--frames", type=int, default=300, help="Calibration frames.")
    q.add_argument("--json", dest="json_out", help="Write the report JSON here.")
    q.set_defaults(func=_quantize)


def _train_reid(args: argparse.Namespace) -> int:
    _need("torch", "nncf")
    from pictag.models import commands

    result = commands.train_reid(
        args.scene,
        args.eval_scene or None,
        Path(args.out),
        Path(args.work_dir).expanduser(),
        layer=args.layer,
        head=args.head,
        steps=args.steps,
        views=args.views,
        every=args.every,
        seed=args.seed,
        joint=not args.no_joint,
        name=args.name,
    )
    _print({k: v for k, v in result.items() if k != "history"})
    return 0


def _export(args: argparse.Namespace) -> int:
    _need("torch", "ultralytics")
    from pictag.models import commands

    _print(commands.export_checkpoint(args.checkpoint, args.out, args.imgsz))
    return 0


def _quantize(args: argparse.Namespace) -> int:
    _need("nncf")
    from pictag.models import commands

    result = commands.quantize_detector(args.model, args.video, args.out, args.frames)
    commands.write_json(result, args.json_out)
    _print(result)
    return 0
