"""``pictag eval reid-loso`` and ``pictag train reid-joint``: joint-mode re-id, leave-one-scene-out and final.

Argument parsing only (no torch here); the work is in ``pictag.models.loso`` and
``pictag.models.joint_export``, imported inside the handlers.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pictag.errors import PictagError

DEFAULT_WORK = "~/.cache/pictag/reid-joint"
#: The recipe of the shipped joint model (`pictag/reid/weights/MODEL_CARD.md`).
DEFAULT_LAYERS = "2"
DEFAULT_GRID = "16x8"
DEFAULT_TEACHERS = "0277"

EXAMPLES = """examples:
  pictag eval reid-loso --json loso.json --markdown loso.md
  pictag eval reid-loso --layers 6 --teacher 0277,0287 --views 6 --steps 3000 --label ensemble
  pictag eval reid-loso --max-frames 8 --steps 5 --unlabelled gif-store-aisle-detection   # a smoke run
"""


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _grid(text: str) -> tuple[int, int]:
    h, _, w = text.partition("x")
    try:
        return int(h), int(w)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW (e.g. 16x8), got {text!r}") from None


def _zoom(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    try:
        return float(low), float(high)
    except ValueError:
        raise PictagError(f"--zoom expects LOW,HIGH (e.g. 0.4,1.5), got {text!r}") from None


def add_recipe_args(p: argparse.ArgumentParser) -> None:
    """Options shared by ``eval reid-loso`` and ``train reid-joint``: what is trained, on what."""
    p.add_argument(
        "--layers", type=_ints, default=_ints(DEFAULT_LAYERS), help="YOLO layers the head pools (default %(default)s)."
    )
    p.add_argument(
        "--grid", default=DEFAULT_GRID, help="RoIAlign grid HxW, one for all layers or comma-separated per layer."
    )
    p.add_argument(
        "--cache-layers",
        type=_ints,
        help="Layers stored in the feature cache (default: --layers); a superset lets several recipes share one cache.",
    )
    p.add_argument(
        "--teacher", default=DEFAULT_TEACHERS, help="Teachers, comma-separated: 0277, 0287 (default %(default)s)."
    )
    p.add_argument(
        "--views", type=int, default=2, help="Views per frame used (0: untouched, 1: mirrored, 2..: augmented)."
    )
    p.add_argument("--cache-views", type=int, help="Views per frame stored in the cache (default: --views).")
    p.add_argument(
        "--zoom",
        default="0.8,1.5",
        help="Zoom range of augmented views, LOW,HIGH (< 1: people smaller, > 1: bigger; default %(default)s).",
    )
    p.add_argument("--unlabelled", default="all", help="Unlabelled sources: all, none, or comma-separated names.")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--unlabelled-batch", type=int, default=64, help="Distillation-only samples per step.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--adapter", type=int, default=0, help="Trainable residual 3x3 conv blocks per level (0: none).")
    p.add_argument(
        "--trunk",
        type=int,
        default=0,
        help="Channels of a trainable depthwise-separable conv stage (stride 2) per level before pooling (0: none).",
    )
    p.add_argument("--max-frames", type=int, help="Only the first N frames of every source (smoke runs).")
    p.add_argument("--work-dir", default=DEFAULT_WORK, help="Feature cache and per-fold results.")
    p.add_argument("--assets", help="Assets directory (else $PICTAG_ASSETS).")


def recipe_from_args(args: argparse.Namespace) -> tuple[Any, Any]:
    """``(JointRecipe, FeatureConfig)`` from the parsed options (imports the training extra)."""
    from pictag.models.joint_cache import UNLABELLED, FeatureConfig, ViewConfig
    from pictag.models.joint_train import JointRecipe

    grids = [_grid(g) for g in args.grid.split(",")]
    if len(grids) == 1:
        grids = grids * len(args.layers)
    if len(grids) != len(args.layers):
        raise PictagError(f"got {len(grids)} --grid values for {len(args.layers)} --layers: give one, or one per layer")
    grid_of = dict(zip(args.layers, grids, strict=True))
    cache_layers = args.cache_layers or args.layers
    missing = [k for k in args.layers if k not in cache_layers]
    if missing:
        raise PictagError(f"--layers {missing} not in --cache-layers {list(cache_layers)}")
    cache_grids = tuple(grid_of.get(k, grids[0]) for k in cache_layers)
    cache_views = args.cache_views or args.views
    if args.views > cache_views:
        raise PictagError(f"--views {args.views} > --cache-views {cache_views}")
    if args.unlabelled == "all":
        unlabelled = tuple(UNLABELLED)
    elif args.unlabelled == "none":
        unlabelled = ()
    else:
        unlabelled = tuple(args.unlabelled.split(","))
        unknown = [u for u in unlabelled if u not in UNLABELLED]
        if unknown:
            raise PictagError(f"unknown --unlabelled source(s) {unknown}; known: {', '.join(UNLABELLED)}")
    teachers = tuple(args.teacher.split(","))
    cfg = FeatureConfig(
        layers=tuple(cache_layers),
        grids=cache_grids,
        teachers=tuple(sorted(set(teachers) | {"0277", "0287"})),
        max_frames=args.max_frames,
        views=ViewConfig(views=cache_views, zoom=_zoom(args.zoom)),
    )
    recipe = JointRecipe(
        levels=tuple(cfg.feature_name(k, grid_of[k]) for k in args.layers),
        teachers=teachers,
        views=args.views,
        unlabelled=unlabelled,
        steps=args.steps,
        lr=args.lr,
        unlabelled_batch=args.unlabelled_batch,
        seed=args.seed,
        adapter=args.adapter,
        trunk=args.trunk,
    )
    return recipe, cfg


def register(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag eval reid-loso``."""
    p = group.add_parser(
        "reid-loso",
        help="Leave-one-scene-out evaluation of a joint-mode re-id recipe (needs pictag[train]).",
        description=(
            "For every labelled scene (PETS09-S2L1 'pets', TUD-Campus 'tud'): train a joint-mode head (RoIAlign "
            "on the detector's own feature maps + attention pooling) on the other labelled scenes plus all "
            "unlabelled footage (one-by-one video, the intel-previews clips, MOT17-mini), then score it on the "
            "held-out scene with the time-gap protocol of `pictag eval reid`, beside OMZ 0287 and 0288 on the "
            "same sets. The held-out scene never enters its fold's training set (checked). MOT17-mini is "
            "training data only: 4-8 consecutive frames per sequence make its query and gallery near-duplicates. "
            "Features and per-fold results are cached in --work-dir, so a stopped run resumes."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_recipe_args(p)
    p.add_argument("--scenes", default="pets,tud", help="Labelled scenes, one fold each (default %(default)s).")
    p.add_argument(
        "--eval-every",
        type=int,
        default=0,
        help="Also score the held-out scene every N steps (a diagnostic curve; never used to pick the recipe).",
    )
    p.add_argument("--label", default="", help="Name of this experiment in the JSON.")
    p.add_argument(
        "--diagnose",
        action="store_true",
        help="Also report per fold how closely the student imitates its teacher on each source and on the "
        "held-out scene, and the held-out mAP with the scene's mean embedding removed.",
    )
    p.add_argument("--json", dest="json_out", help="Write the fold results here.")
    p.add_argument("--markdown", help="Write the fold table (markdown) here.")
    p.set_defaults(func=_run_loso)


def _run_loso(args: argparse.Namespace) -> int:
    from pictag.cli.reid_cmds import _need, _print

    _need("torch")
    from pictag.models import commands, loso

    recipe, cfg = recipe_from_args(args)
    scenes = tuple(args.scenes.split(","))
    unknown = [s for s in scenes if s not in ("pets", "tud")]
    if unknown:
        raise PictagError(f"unknown --scenes {unknown}: labelled scenes are pets, tud")
    result = loso.run_loso(
        recipe,
        cfg,
        Path(args.work_dir).expanduser(),
        labelled=scenes,
        assets_dir=args.assets,
        eval_every=args.eval_every,
        label=args.label,
        diagnose=args.diagnose,
    )
    commands.write_json(result, args.json_out)
    table = loso.markdown_table(result)
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(table)
    _print(
        {k: v for k, v in result.items() if k != "folds"}
        | {"folds": [{k: f[k] for k in ("held_out", "joint", "map_vs_0287", "map_vs_0288")} for f in result["folds"]]}
    )
    print(table)
    return 0


def register_train(group: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pictag train reid-joint``."""
    p = group.add_parser(
        "reid-joint",
        help="Train the joint-mode re-id head on every labelled scene + unlabelled footage, export its IR.",
        description=(
            "Same recipe options as `pictag eval reid-loso`, trained on every labelled scene (no held-out "
            "scene: its figures on them are in-sample; the out-of-sample figures of the recipe are the "
            "leave-one-scene-out folds). Writes OUT/NAME.xml (+.bin: the joint IR the runtime loads), NAME.pt "
            "(checkpoint) and NAME.json (recipe, data). Set its threshold with "
            "`pictag calibrate --joint-model ... --write-threshold-to OUT/NAME.xml`. With --folds also exports "
            "each fold's head as OUT/NAME-without-SCENE.xml (for out-of-fold calibration and evaluation)."
        ),
    )
    add_recipe_args(p)
    p.add_argument("--scenes", default="pets,tud", help="Labelled scenes trained on (default %(default)s).")
    p.add_argument("--name", default="reid-joint", help="File name stem (default %(default)s).")
    p.add_argument("--out", default="reid-out", help="Output folder.")
    p.add_argument(
        "--folds", action="store_true", help="Also run (or reuse) the leave-one-scene-out folds and export their IRs."
    )
    p.set_defaults(func=_train_joint)


def _train_joint(args: argparse.Namespace) -> int:
    from pictag.cli.reid_cmds import _need, _print

    _need("torch")
    from pictag.models import loso

    recipe, cfg = recipe_from_args(args)
    scenes = tuple(args.scenes.split(","))
    work = Path(args.work_dir).expanduser()
    out = Path(args.out)
    result = loso.train_final(recipe, cfg, work, out, name=args.name, labelled=scenes, assets_dir=args.assets)
    if args.folds:
        folds = loso.run_loso(recipe, cfg, work, labelled=scenes, assets_dir=args.assets)
        result["folds"] = {
            f["held_out"]: str(loso.export_fold(f, out / f"{args.name}-without-{f['held_out']}.xml", cfg.size))
            for f in folds["folds"]
        }
    _print(result)
    return 0
