"""Leave-one-scene-out evaluation of a joint-mode re-id recipe (`pictag eval reid-loso`).

For every labelled scene (the folds: PETS09-S2L1, TUD-Campus) a head is trained on the
*other* labelled scenes plus all unlabelled footage, and evaluated on the held-out scene with
the time-gap protocol of `pictag eval reid` (view 0 of the scene's cached samples: the same
boxes, in the same order, through the runtime's RoIAlign). The held-out scene never enters
its fold's training set, not even unlabelled (checked before training, recorded in the
result). OMZ 0287 and 0288 are scored on the same query/gallery sets, in crop mode.

MOT17-mini is not a fold: its 7 sequences are 4-8 consecutive frames each (0.1-0.5 s), so a
time-gap split puts query and gallery crops of one person a few frames apart — nearly
identical images, a test of near-duplicate matching rather than re-identification. It is
unlabelled training data in every fold.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pictag import assets
from pictag.errors import PictagError
from pictag.models import evaluate as ev
from pictag.models.joint_cache import LABELLED, FeatureConfig, SourceSamples, build_all
from pictag.models.joint_train import JointRecipe, build_train_set, eval_data, score, train_joint_head

log = logging.getLogger(__name__)

#: Crop-mode references scored on every held-out scene.
REFERENCES = {"0287": "omz-0287", "0288": "omz-0288"}
#: The issue's goal: joint-mode mAP as a fraction of 0287's, on every held-out scene.
GOAL = 0.9


class FoldLeak(PictagError):
    """A fold's training set contains samples of its held-out scene."""


@dataclass(frozen=True)
class Fold:
    """One leave-one-scene-out fold."""

    held_out: str
    train_sources: tuple[str, ...]


def make_folds(labelled: Sequence[str], unlabelled: Sequence[str]) -> list[Fold]:
    """One fold per labelled scene: train on every other labelled scene plus all unlabelled sources."""
    if len(labelled) < 2:
        raise PictagError(f"leave-one-scene-out needs at least 2 labelled scenes, got {list(labelled)}")
    return [Fold(h, (*(s for s in labelled if s != h), *unlabelled)) for h in labelled]


def recipe_key(recipe: JointRecipe, cfg: FeatureConfig, held_out: str) -> str:
    """Short hash naming a fold's cached result."""
    text = json.dumps({"r": recipe.as_dict(), "c": asdict(cfg), "h": held_out}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def omz_references(
    scene: str, work: Path, assets_dir: str | None = None, max_frames: int | None = None
) -> dict[str, dict[str, Any]]:
    """0287 and 0288 (f32 hint, FP16 IRs) on a scene's time-gap sets (first ``max_frames`` only), cached."""
    from pictag.models.crops import crops_from_video, time_gap_split
    from pictag.reid.model_files import resolve_model_file
    from pictag.reid.openvino_embedder import OpenVINOCropEmbedder

    path = work / f"omz_{scene}_{max_frames or 'all'}.json"
    if path.exists():
        cached: dict[str, dict[str, Any]] = json.loads(path.read_text())
        return cached
    source = LABELLED[scene]
    assert source.gt is not None
    crops = crops_from_video(assets.resolve(source.video, assets_dir), assets.resolve(source.gt, assets_dir))
    if max_frames is not None:
        crops = crops.subset(crops.frames < max_frames)
    evalset = ev.EvalSet(crops, *time_gap_split(crops.ids, crops.frames))
    out = {}
    for short, name in REFERENCES.items():
        embedder = OpenVINOCropEmbedder(resolve_model_file(ev.KNOWN_MODELS[name], "f32", assets_dir))
        out[short], _ = ev.evaluate_model(name, embedder.embed_crops, evalset)
    work.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    return out


def check_no_leak(fold: Fold, names: Sequence[str], source_of_sample: np.ndarray) -> None:
    """Raise `FoldLeak` when the held-out scene is among a fold's training sources or samples."""
    if fold.held_out in names:
        raise FoldLeak(f"fold={fold.held_out} reason=leak: the held-out scene is a training source")
    used = {names[i] for i in np.unique(source_of_sample)}
    if fold.held_out in used:
        raise FoldLeak(f"fold={fold.held_out} reason=leak: held-out samples in the training set")


def run_fold(
    fold: Fold,
    samples: dict[str, SourceSamples],
    recipe: JointRecipe,
    cfg: FeatureConfig,
    work: Path,
    *,
    eval_every: int = 0,
) -> dict[str, Any]:
    """Train on the fold's sources, score on its held-out scene; cached by recipe hash in ``work``."""
    import torch

    key = recipe_key(recipe, cfg, fold.held_out)
    cached = work / "folds" / f"{fold.held_out}-{key}.json"
    if cached.exists():
        result: dict[str, Any] = json.loads(cached.read_text())
        return result
    train = build_train_set(samples, fold.train_sources, recipe)
    check_no_leak(fold, train.names, train.source)
    held = eval_data(samples[fold.held_out], recipe.levels)
    start = time.perf_counter()
    head, history = train_joint_head(
        train, recipe, evaluate=(lambda h: score(h, held)) if eval_every else None, eval_every=eval_every
    )
    seconds = time.perf_counter() - start
    scores = score(head, held)
    result = {
        "held_out": fold.held_out,
        "train_sources": list(fold.train_sources),
        "train_samples": train.counts(),
        "train_identities": train.n_ids,
        "distill_only_samples": int((train.labels < 0).sum()),
        "train_seconds": round(seconds, 1),
        "joint": scores,
        "history": {"steps": history.steps, "loss": history.loss, "evals": history.evals},
        "checkpoint": str(cached.with_suffix(".pt")),
    }
    cached.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"recipe": recipe.as_dict(), "features": asdict(cfg), "levels": head.levels, "state_dict": head.state_dict()},
        cached.with_suffix(".pt"),
    )
    cached.write_text(json.dumps(result, indent=2))
    return result


def load_fold_head(result: dict[str, Any]) -> Any:
    """A fold's trained `MultiLevelHead` from its cached checkpoint (eval mode)."""
    import torch

    from pictag.models.heads import MultiLevelHead

    ckpt = torch.load(result["checkpoint"], map_location="cpu")
    recipe = ckpt["recipe"]
    head = MultiLevelHead(
        [(c, tuple(hw)) for c, hw in ckpt["levels"]],
        recipe["dim"],
        recipe["heads"],
        recipe.get("adapter", 0),
        recipe.get("trunk", 0),
    )
    head.load_state_dict(ckpt["state_dict"])
    head.eval()
    return head


def diagnose_fold(result: dict[str, Any], samples: dict[str, SourceSamples], recipe: JointRecipe) -> dict[str, Any]:
    """Does the student imitate its teacher where it was trained, and on the held-out scene?

    Mean cosine between the student's and the first teacher's embedding of the untouched boxes
    (view 0, up to 3000 per source) of every source, and the held-out mAP after removing the
    scene's mean embedding (a constant per-scene offset would be cured by that).
    """
    from pictag.models.joint_train import embed
    from pictag.models.metrics import retrieval_scores

    head = load_fold_head(result)
    agreement = {}
    for name in [result["held_out"], *result["train_sources"]]:
        s = samples[name]
        v0 = np.flatnonzero(s.views == 0)[:3000]
        if v0.size == 0:
            continue
        e = embed(head, [s.feats[lv][v0] for lv in recipe.levels])
        t = np.asarray(s.teachers[recipe.teachers[0]][v0], np.float32)
        t /= np.linalg.norm(t, axis=1, keepdims=True)
        agreement[name] = round(float((e * t).sum(1).mean()), 4) if len(recipe.teachers) == 1 else None
    held = eval_data(samples[result["held_out"]], recipe.levels)
    e = embed(head, held.feats)
    c = e - e.mean(0)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    centred = retrieval_scores(c[held.query], held.ids[held.query], c[held.gallery], held.ids[held.gallery])
    return {"student_teacher_cosine": agreement, "centred_map": round(centred.map, 4)}


def run_loso(
    recipe: JointRecipe,
    cfg: FeatureConfig,
    work: Path,
    *,
    labelled: Sequence[str] = tuple(LABELLED),
    assets_dir: str | None = None,
    eval_every: int = 0,
    label: str = "",
    diagnose: bool = False,
) -> dict[str, Any]:
    """Every fold of ``labelled`` with ``recipe``; the JSON contract of `pictag eval reid-loso`."""
    folds = make_folds(labelled, recipe.unlabelled)
    samples = build_all([*labelled, *recipe.unlabelled], cfg, work / "joint", assets_dir)
    rows = []
    for fold in folds:
        log.info("fold %s: training on %s", fold.held_out, ", ".join(fold.train_sources))
        result = run_fold(fold, samples, recipe, cfg, work, eval_every=eval_every)
        refs = omz_references(fold.held_out, work, assets_dir, cfg.max_frames)
        if any(r["queries"] != result["joint"]["queries"] for r in refs.values()):
            raise PictagError(
                f"fold={fold.held_out} reason=eval_mismatch: references and joint model saw different queries"
            )
        result["references"] = refs
        if diagnose:
            result["diagnosis"] = diagnose_fold(result, samples, recipe)
        for short, ref in refs.items():
            result[f"map_vs_{short}"] = round(result["joint"]["map"] / ref["map"], 4)
            result[f"rank1_vs_{short}"] = round(result["joint"]["rank1"] / ref["rank1"], 4)
        rows.append(result)
        log.info(
            "fold %s: rank1 %.3f mAP %.3f (%.0f %% of 0287)",
            fold.held_out,
            result["joint"]["rank1"],
            result["joint"]["map"],
            100 * result["map_vs_0287"],
        )
    return {
        "label": label,
        "protocol": (
            "leave-one-scene-out: train on the other labelled scenes + all unlabelled footage, "
            "evaluate on the held-out scene with the time-gap protocol of `pictag eval reid`"
        ),
        "recipe": recipe.as_dict(),
        "features": asdict(cfg),
        "goal_map_vs_0287": GOAL,
        "goal_met_every_fold": all(r["map_vs_0287"] >= GOAL for r in rows),
        "worst_map_vs_0287": min(r["map_vs_0287"] for r in rows),
        "folds": rows,
    }


def markdown_table(result: dict[str, Any]) -> str:
    """Every fold beside 0287 and 0288: rank-1, mAP, mAP as % of 0287's."""
    lines = [
        "| held-out scene | trained on (samples) | joint rank-1 | joint mAP | 0287 rank-1 / mAP "
        "| 0288 rank-1 / mAP | joint mAP % of 0287 |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in result["folds"]:
        j, r7, r8 = f["joint"], f["references"]["0287"], f["references"]["0288"]
        labelled = [s for s in f["train_sources"] if s in LABELLED]
        total = sum(f["train_samples"].values())
        others = len(f["train_sources"]) - len(labelled)
        lines.append(
            f"| {f['held_out']} | {', '.join(labelled)} + {others} unlabelled ({total}) "
            f"| {100 * j['rank1']:.1f} | {100 * j['map']:.1f} | {100 * r7['rank1']:.1f} / {100 * r7['map']:.1f} "
            f"| {100 * r8['rank1']:.1f} / {100 * r8['map']:.1f} | **{100 * f['map_vs_0287']:.0f} %** |"
        )
    return "\n".join(lines) + "\n"


def train_final(
    recipe: JointRecipe,
    cfg: FeatureConfig,
    work: Path,
    out: Path,
    *,
    name: str = "reid-joint",
    labelled: Sequence[str] = tuple(LABELLED),
    assets_dir: str | None = None,
) -> dict[str, Any]:
    """Train on every labelled scene + all unlabelled footage, export ``out/NAME.xml`` and the checkpoint.

    Its accuracy on the labelled scenes is in-sample; the recipe's out-of-sample figures are the
    leave-one-scene-out folds (`run_loso`).
    """
    import torch

    from pictag.models.joint_export import export_joint_ir

    samples = build_all([*labelled, *recipe.unlabelled], cfg, work / "joint", assets_dir)
    train = build_train_set(samples, (*labelled, *recipe.unlabelled), recipe)
    start = time.perf_counter()
    head, history = train_joint_head(train, recipe)
    seconds = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    xml = export_joint_ir(head, recipe.levels, out / f"{name}.xml", size=cfg.size)
    meta = {
        "recipe": recipe.as_dict(),
        "features": asdict(cfg),
        "levels": head.levels,
        "train_samples": train.counts(),
        "train_identities": train.n_ids,
        "train_seconds": round(seconds, 1),
        "final_loss": history.loss[-1] if history.loss else None,
    }
    torch.save({"meta": meta, "state_dict": head.state_dict()}, out / f"{name}.pt")
    (out / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return {"ir": str(xml), "checkpoint": str(out / f"{name}.pt"), **meta}


def export_fold(result: dict[str, Any], path: Path, size: int = 640) -> Path:
    """A fold's trained head (its cached checkpoint) as a joint IR: out-of-fold evaluation and calibration."""
    from pictag.models.joint_export import export_joint_ir

    head = load_fold_head(result)
    import torch

    recipe = torch.load(result["checkpoint"], map_location="cpu")["recipe"]
    return export_joint_ir(head, recipe["levels"], path, size=size)


def summary_table(results: Sequence[dict[str, Any]]) -> str:
    """One row per experiment (a `run_loso` result): its recipe in short and every fold's mAP vs 0287."""
    scenes = sorted({f["held_out"] for r in results for f in r["folds"]})
    head = " | ".join(f"{s}: rank-1 / mAP (% of 0287)" for s in scenes)
    lines = [
        f"| experiment | layers@grid | views | teachers | unlabelled | steps | {head} | worst |",
        "|---" * (7 + len(scenes)) + "|",
    ]
    for r in results:
        rec, folds = r["recipe"], {f["held_out"]: f for f in r["folds"]}
        cells = []
        for s in scenes:
            f = folds.get(s)
            cells.append(
                f"{100 * f['joint']['rank1']:.1f} / {100 * f['joint']['map']:.1f} ({100 * f['map_vs_0287']:.0f} %)"
                if f
                else "—"
            )
        extra = f", adapter {rec['adapter']}" if rec.get("adapter") else ""
        extra += f", trunk {rec['trunk']}" if rec.get("trunk") else ""
        zoom = r["features"]["views"]["zoom"]
        lines.append(
            f"| {r['label']} | {', '.join(rec['levels'])} | {rec['views']} (zoom {zoom[0]}-{zoom[1]}) "
            f"| {'+'.join(rec['teachers'])} | {len(rec['unlabelled'])} sources | {rec['steps']}{extra} "
            f"| {' | '.join(cells)} | {100 * r['worst_map_vs_0287']:.0f} % |"
        )
    return "\n".join(lines) + "\n"
