"""Training a re-id head on cached backbone features (torch, 2 threads, fixed seed).

Each step draws a P x K batch of labelled views (P identities, K views each: ID
cross-entropy + batch-hard triplet + distillation) and a batch of unlabelled views
(distillation only). Views are pre-augmented crops whose frozen-backbone features were
computed once (`pictag.models.features`), so a step costs only the head.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812
from tqdm import tqdm

from pictag.models.losses import batch_hard_triplet, distillation

log = logging.getLogger(__name__)


InputFn = Callable[[npt.NDArray[np.int64], np.random.Generator], torch.Tensor]


@dataclass
class TrainData:
    """Training inputs.

    Attributes:
        inputs: view indices (and an rng) → model input batch: cached features of
            pre-augmented views (frozen backbone) or freshly augmented crops (fine-tuning).
        view_crop: ``(V,)`` crop index of each view.
        labels: ``(N,)`` identity class 0..n_ids-1 of each crop, -1 for unlabelled crops.
        teacher: ``(N, D)`` teacher embeddings of the (unaugmented) crops, or ``(V, D)`` of
            every view ("consistent" distillation: teacher and student see the same pixels).
    """

    inputs: InputFn
    view_crop: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]
    teacher: npt.NDArray[np.float32]

    @property
    def teacher_per_view(self) -> bool:
        return len(self.teacher) == len(self.view_crop) and len(self.view_crop) != len(self.labels)

    @property
    def n_ids(self) -> int:
        return int(self.labels.max()) + 1 if (self.labels >= 0).any() else 0


@dataclass
class TrainConfig:
    """Training settings (defaults are the ones the shipped head was trained with)."""

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
    seed: int = 0
    threads: int = 2
    eval_every: int = 0


@dataclass
class History:
    """What happened during training: losses and evaluations over time."""

    steps: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)


def _pk_batch(
    rng: np.random.Generator, label_views: dict[int, npt.NDArray[np.int64]], p: int, k: int
) -> npt.NDArray[np.int64]:
    ids = rng.choice(list(label_views), size=min(p, len(label_views)), replace=False)
    return np.concatenate([rng.choice(label_views[i], size=k, replace=len(label_views[i]) < k) for i in ids])


def feature_inputs(feats: npt.NDArray[np.generic]) -> InputFn:
    """Inputs from cached ``(V, C, h, w)`` features."""
    return lambda idx, rng: torch.from_numpy(feats[idx].astype(np.float32))


def train_head(
    head: nn.Module,
    data: TrainData,
    config: TrainConfig,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    progress: bool = True,
    param_groups: list[dict[str, object]] | None = None,
) -> History:
    """Train ``head`` in place; returns the loss/eval history.

    Args:
        head: the model to train: a head on cached features, or backbone + head on crops.
            Parameter groups with their own ``lr`` may be given through ``param_groups``.
        data: inputs, labels and teacher embeddings.
        config: steps, batch sizes, loss weights, seed.
        evaluate: called every ``config.eval_every`` steps (and at the end) with the head in
            eval mode; its dict is logged and stored in the history.
        progress: show a tqdm progress bar.
    """
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    view_label = data.labels[data.view_crop]
    labelled = np.flatnonzero(view_label >= 0)
    unlabelled = np.flatnonzero(view_label < 0)
    label_views = {int(i): labelled[view_label[labelled] == i] for i in np.unique(view_label[labelled])}
    dim = int(data.teacher.shape[1])
    classifier = nn.Linear(dim, max(data.n_ids, 1), bias=False) if data.n_ids else None
    groups = param_groups or [{"params": list(head.parameters()), "lr": config.lr}]
    if classifier is not None:
        groups = [*groups, {"params": list(classifier.parameters()), "lr": config.lr}]
    opt = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    max_lr = [float(g["lr"]) for g in opt.param_groups]  # type: ignore[arg-type]
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=config.steps, pct_start=0.1)
    teacher = torch.from_numpy(data.teacher.astype(np.float32))
    history = History()
    start = time.perf_counter()
    samples = 0
    bar = tqdm(range(config.steps), desc="train reid", disable=not progress, mininterval=1.0)
    for step in bar:
        head.train()
        parts = []
        if label_views:
            parts.append(_pk_batch(rng, label_views, config.p_ids, config.k_views))
        if unlabelled.size and config.unlabelled_batch:
            parts.append(rng.choice(unlabelled, size=min(config.unlabelled_batch, unlabelled.size), replace=False))
        idx = np.concatenate(parts)
        n_lab = len(parts[0]) if label_views else 0
        emb = head(data.inputs(idx, rng))
        crop = data.view_crop[idx]
        target = teacher[idx] if data.teacher_per_view else teacher[crop]
        loss = config.w_distill * distillation(emb, target, config.relational)
        if n_lab and classifier is not None:
            y = torch.from_numpy(data.labels[crop[:n_lab]])
            loss = loss + config.w_ce * F.cross_entropy(classifier(emb[:n_lab]), y, label_smoothing=0.1)
            loss = loss + config.w_triplet * batch_hard_triplet(emb[:n_lab], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        samples += len(idx)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
        last = step == config.steps - 1
        if evaluate is not None and ((config.eval_every and (step + 1) % config.eval_every == 0) or last):
            head.eval()
            with torch.no_grad():
                result = evaluate(head)
            history.steps.append(step + 1)
            history.seconds.append(time.perf_counter() - start)
            history.samples.append(samples)
            history.loss.append(float(loss.item()))
            history.evals.append(result)
            log.info("step %d loss %.4f %s", step + 1, loss.item(), result)
    head.eval()
    return history


@torch.no_grad()
def embed_features(head: nn.Module, feats: npt.NDArray[np.generic], batch: int = 512) -> npt.NDArray[np.float32]:
    """L2-normalised embeddings of cached features with a torch head (eval mode)."""
    head.eval()
    out = [
        F.normalize(head(torch.from_numpy(feats[i : i + batch].astype(np.float32))), dim=1).numpy()
        for i in range(0, len(feats), batch)
    ]
    return np.concatenate(out) if out else np.zeros((0, 256), np.float32)
