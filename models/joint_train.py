"""Training a joint-mode re-id head on cached detector features (`pictag.models.joint_cache`).

A recipe says which detector levels the head pools, which teachers it imitates, how many
views per frame and which sources it learns from. Each step draws a P x K batch of labelled
samples (ID cross-entropy + batch-hard triplet + distillation) and a batch of unlabelled ones
(distillation only: unlabelled footage, and labelled boxes whose clothes were hue-shifted).

Distillation from several teachers: the student's embedding is mapped to each teacher's
space by a training-only linear map for the cosine term, and its batch similarity matrix
is pulled to the mean of the teachers' (the relational term); the runtime keeps only the
student.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from pictag.identity.persons import known_persons, to_persons
from pictag.models.crops import time_gap_split
from pictag.models.heads import MultiLevelHead
from pictag.models.joint_cache import SourceSamples
from pictag.models.losses import batch_hard_triplet
from pictag.models.metrics import retrieval_scores

log = logging.getLogger(__name__)

#: MOT sequence names of the labelled sources (for `pictag.identity.persons.known_persons`).
SEQUENCE_NAMES = {"pets": "PETS09-S2L1", "tud": "TUD-Campus"}


@dataclass(frozen=True)
class JointRecipe:
    """Everything that decides a trained joint head (its hash names cached fold results).

    Attributes:
        levels: cached level names the head pools (``l<layer>_<h>x<w>``).
        teachers: teacher names (`pictag.models.joint_cache.TEACHERS`).
        views: views per frame used (the first ``views`` of the cache; 1 = untouched frames only).
        unlabelled: unlabelled sources used (names of `pictag.models.joint_cache.UNLABELLED`).
        steps, lr, weight_decay: optimisation (AdamW, one-cycle).
        p_ids, k_views, unlabelled_batch: batch composition.
        w_ce, w_triplet, w_distill, relational: loss weights.
        heads, dim: head shape.
        seed: torch/numpy seed.
        merge_reentries: one label per physical person where the ground truth gives a re-entering
            person a new id (PETS09-S2L1: 19 ids, 10 persons; `pictag.identity.persons`) — else
            the ID and triplet losses push a person's two tracks apart.
        adapter: trainable residual 3x3 conv blocks per level before pooling (0: none).
        trunk: channels of a trainable depthwise-separable conv stage per level (stride 2) before
            pooling (0: none; replaces the adapter).
    """

    levels: tuple[str, ...] = ("l6_16x8",)
    teachers: tuple[str, ...] = ("0277",)
    views: int = 4
    unlabelled: tuple[str, ...] = ()
    steps: int = 1500
    lr: float = 2e-3
    weight_decay: float = 5e-4
    p_ids: int = 8
    k_views: int = 4
    unlabelled_batch: int = 64
    w_ce: float = 1.0
    w_triplet: float = 1.0
    w_distill: float = 4.0
    relational: float = 1.0
    heads: int = 4
    dim: int = 256
    seed: int = 0
    merge_reentries: bool = True
    adapter: int = 0
    trunk: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-able settings."""
        return asdict(self)


@dataclass
class TrainSet:
    """Concatenated training samples of several sources (features in RAM, float16).

    Attributes:
        feats: one ``(n, C, h, w)`` array per level of the recipe.
        labels: ``(n,)`` dense identity 0..n_ids-1, -1 for distillation-only samples.
        teachers: one ``(n, 256)`` array per teacher.
        source: ``(n,)`` index into ``names``.
        names: the sources, in order.
    """

    feats: list[npt.NDArray[np.float16]]
    labels: npt.NDArray[np.int64]
    teachers: list[npt.NDArray[np.float32]]
    source: npt.NDArray[np.int64]
    names: list[str]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_ids(self) -> int:
        return int(self.labels.max()) + 1 if (self.labels >= 0).any() else 0

    def counts(self) -> dict[str, int]:
        """Samples per source."""
        return {n: int((self.source == i).sum()) for i, n in enumerate(self.names)}


def build_train_set(samples: dict[str, SourceSamples], names: Sequence[str], recipe: JointRecipe) -> TrainSet:
    """The training samples of ``names`` (views below ``recipe.views``), identities made dense.

    Identities are kept apart per source (a gt id means nothing across scenes).
    """
    feats: list[list[npt.NDArray[np.float16]]] = [[] for _ in recipe.levels]
    teach: list[list[npt.NDArray[np.float32]]] = [[] for _ in recipe.teachers]
    raw_ids, src = [], []
    for i, name in enumerate(names):
        s = samples[name]
        keep = np.flatnonzero(s.views < recipe.views)
        if keep.size == 0:  # a clip where the detector found nobody fit to embed
            continue
        for j, level in enumerate(recipe.levels):
            feats[j].append(np.asarray(s.feats[level][keep]))
        for j, t in enumerate(recipe.teachers):
            teach[j].append(np.asarray(s.teachers[t][keep], np.float32))
        ids = s.ids[keep]
        if recipe.merge_reentries and name in SEQUENCE_NAMES:
            persons = known_persons(SEQUENCE_NAMES[name])
            ids = np.where(ids >= 0, to_persons(np.maximum(ids, 0), persons), -1)
        raw_ids.append(np.where(ids >= 0, ids + 1_000_000 * i, -1))
        src.append(np.full(len(keep), i, np.int64))
    ids_all = np.concatenate(raw_ids)
    labels = np.full(len(ids_all), -1, np.int64)
    uniq = np.unique(ids_all[ids_all >= 0])
    labels[ids_all >= 0] = np.searchsorted(uniq, ids_all[ids_all >= 0])
    return TrainSet(
        [np.concatenate(f) for f in feats],
        labels,
        [np.concatenate(t) for t in teach],
        np.concatenate(src),
        list(names),
    )


@dataclass(frozen=True)
class EvalData:
    """The held-out scene's untouched frames: features, identities and the time-gap split."""

    feats: list[npt.NDArray[np.float16]]
    ids: npt.NDArray[np.int64]
    gallery: npt.NDArray[np.int64]
    query: npt.NDArray[np.int64]


def eval_data(samples: SourceSamples, levels: Sequence[str]) -> EvalData:
    """View 0 of a labelled scene: exactly the boxes and order of `pictag eval reid`'s set."""
    v0 = np.flatnonzero(samples.views == 0)
    ids, frames = samples.person[v0], samples.frames[v0]
    gallery, query = time_gap_split(ids, frames)
    return EvalData([np.asarray(samples.feats[lv][v0]) for lv in levels], ids, gallery, query)


@torch.no_grad()
def embed(head: nn.Module, feats: Sequence[npt.NDArray[np.generic]], batch: int = 512) -> npt.NDArray[np.float32]:
    """L2-normalised embeddings of cached features (eval mode)."""
    head.eval()
    out = []
    for i in range(0, len(feats[0]), batch):
        xs = [torch.from_numpy(np.asarray(f[i : i + batch], np.float32)) for f in feats]
        out.append(F.normalize(head(*xs), dim=1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 256), np.float32)


def score(head: nn.Module, data: EvalData) -> dict[str, Any]:
    """Time-gap retrieval scores (rank-1, rank-5, mAP, distributions) of ``head`` on ``data``."""
    e = embed(head, data.feats)
    s = retrieval_scores(e[data.query], data.ids[data.query], e[data.gallery], data.ids[data.gallery])
    return s.as_dict()


def level_shapes(train: TrainSet) -> list[tuple[int, tuple[int, int]]]:
    """``(channels, (h, w))`` of each level."""
    return [(int(f.shape[1]), (int(f.shape[2]), int(f.shape[3]))) for f in train.feats]


@dataclass
class History:
    """Loss and evaluations over training."""

    steps: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)


def _distill(emb: torch.Tensor, targets: list[torch.Tensor], maps: nn.ModuleList, relational: float) -> torch.Tensor:
    s = F.normalize(emb, dim=1)
    loss = emb.new_zeros(())
    grams = []
    for proj, target in zip(maps, targets, strict=True):
        t = F.normalize(target, dim=1)
        loss = loss + (1 - (F.normalize(proj(emb), dim=1) * t).sum(1)).mean() / len(targets)
        grams.append(t @ t.T)
    if relational:
        loss = loss + relational * F.mse_loss(s @ s.T, torch.stack(grams).mean(0))
    return loss


def train_joint_head(
    train: TrainSet,
    recipe: JointRecipe,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int = 0,
) -> tuple[MultiLevelHead, History]:
    """Train a `MultiLevelHead` on ``train`` with ``recipe`` (2 torch threads, fixed seed)."""
    torch.manual_seed(recipe.seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(recipe.seed)
    head = MultiLevelHead(level_shapes(train), recipe.dim, recipe.heads, recipe.adapter, recipe.trunk)
    labelled = np.flatnonzero(train.labels >= 0)
    unlabelled = np.flatnonzero(train.labels < 0)
    by_id = {int(i): labelled[train.labels[labelled] == i] for i in np.unique(train.labels[labelled])}
    # one teacher: the identity map (the original recipe); several: a learned map per teacher
    maps = nn.ModuleList(
        nn.Identity() if len(recipe.teachers) == 1 else nn.Linear(recipe.dim, 256, bias=False) for _ in recipe.teachers
    )
    classifier = nn.Linear(recipe.dim, max(train.n_ids, 1), bias=False)
    params = [*head.parameters(), *maps.parameters(), *classifier.parameters()]
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, total_steps=recipe.steps, pct_start=0.1)
    teachers = [torch.from_numpy(t) for t in train.teachers]
    history = History()
    start = time.perf_counter()
    for step in range(recipe.steps):
        head.train()
        parts = []
        if by_id:
            ids = rng.choice(list(by_id), size=min(recipe.p_ids, len(by_id)), replace=False)
            parts.append(
                np.concatenate(
                    [rng.choice(by_id[i], recipe.k_views, replace=len(by_id[i]) < recipe.k_views) for i in ids]
                )
            )
        n_lab = len(parts[0]) if parts else 0
        if unlabelled.size and recipe.unlabelled_batch:
            parts.append(rng.choice(unlabelled, min(recipe.unlabelled_batch, unlabelled.size), replace=False))
        idx = np.concatenate(parts)
        xs = [torch.from_numpy(f[idx].astype(np.float32)) for f in train.feats]
        emb = head(*xs)
        loss = recipe.w_distill * _distill(emb, [t[idx] for t in teachers], maps, recipe.relational)
        if n_lab and train.n_ids:
            y = torch.from_numpy(train.labels[idx[:n_lab]])
            loss = loss + recipe.w_ce * F.cross_entropy(classifier(emb[:n_lab]), y, label_smoothing=0.1)
            loss = loss + recipe.w_triplet * batch_hard_triplet(emb[:n_lab], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        last = step == recipe.steps - 1
        if (eval_every and (step + 1) % eval_every == 0) or last:
            history.steps.append(step + 1)
            history.seconds.append(time.perf_counter() - start)
            history.loss.append(float(loss.item()))
            if evaluate is not None:
                history.evals.append(evaluate(head))
                log.info("step %d loss %.4f %s", step + 1, loss.item(), history.evals[-1])
    head.eval()
    return head, history
