"""`pictag eval reid`: every model on the same time-gap query/gallery sets.

Protocol (issue 10): per identity, crops of ground-truth boxes >= 60 px tall and >= 60 %
inside the frame, sorted by frame; first 40 % gallery, last 40 % query, middle 20 % dropped.
Several videos can be pooled (identities are kept apart per video).

``ms_per_crop`` is measured while embedding the evaluation crops in groups of 8 (a frame
with several people) through the runtime embedder, so it includes pixel conversion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pictag.models.crops import CropSet, crops_from_video, time_gap_split
from pictag.models.metrics import pair_similarities, retrieval_scores

log = logging.getLogger(__name__)

#: Models known by name (``--model NAME``); anything else is taken as an asset name or path.
KNOWN_MODELS: dict[str, str] = {
    "omz-0277": "intel/person-reidentification-retail-0277",
    "omz-0286": "intel/person-reidentification-retail-0286",
    "omz-0287": "intel/person-reidentification-retail-0287",
    "omz-0288": "intel/person-reidentification-retail-0288",
    "osnet-x0.25": "osnet/osnet_x0_25_msmt17.onnx",
    "pictag-lite": "pictag/reid-lite",
}
DEFAULT_MODELS = ("omz-0277", "omz-0287", "omz-0288", "osnet-x0.25", "pictag-lite")
GROUP = 8

EmbedFn = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class EvalSet:
    """Crops and the time-gap split over them."""

    crops: CropSet
    gallery: npt.NDArray[np.int64]
    query: npt.NDArray[np.int64]


def build_eval_set(videos: Sequence[str | Path], gts: Sequence[str | Path], frame_offset: int = 1) -> EvalSet:
    """Labelled crops of every (video, gt) pair and their time-gap split."""
    parts = [
        crops_from_video(v, g, frame_offset=frame_offset, seq_index=i, id_base=100_000 * i)
        for i, (v, g) in enumerate(zip(videos, gts, strict=True))
    ]
    crops = CropSet.concat(parts)
    gallery, query = time_gap_split(crops.ids, crops.frames)
    return EvalSet(crops, gallery, query)


def timed_embed(embed: EmbedFn, crops: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], float]:
    """Embeddings of ``crops`` in groups of `GROUP`, and the milliseconds per crop."""
    embed(crops[:GROUP])  # warm-up
    out = []
    start = time.perf_counter()
    for i in range(0, len(crops), GROUP):
        out.append(embed(crops[i : i + GROUP]))
    ms = (time.perf_counter() - start) * 1e3 / max(len(crops), 1)
    return np.concatenate(out), ms


def score_embeddings(emb: npt.NDArray[np.float32], evalset: EvalSet) -> dict[str, Any]:
    """Retrieval scores of precomputed embeddings of ``evalset.crops`` (all crops, in order)."""
    ids = evalset.crops.ids
    s = retrieval_scores(emb[evalset.query], ids[evalset.query], emb[evalset.gallery], ids[evalset.gallery])
    return s.as_dict()


def evaluate_model(name: str, embed: EmbedFn, evalset: EvalSet) -> tuple[dict[str, Any], npt.NDArray[np.float32]]:
    """Scores (+ ``ms_per_crop``) of one model, and its embeddings of every crop in the set."""
    used = np.union1d(evalset.gallery, evalset.query)
    emb_used, ms = timed_embed(embed, evalset.crops.crops[used])
    emb = np.zeros((len(evalset.crops), emb_used.shape[1]), np.float32)
    emb[used] = emb_used
    result = score_embeddings(emb, evalset)
    result["ms_per_crop"] = ms
    log.info("%s: rank1 %.3f map %.3f %.2f ms/crop", name, result["rank1"], result["map"], ms)
    return result, emb


def plot_histograms(embs: dict[str, npt.NDArray[np.float32]], evalset: EvalSet, path: str | Path) -> None:
    """PNG with one same-vs-different cosine histogram per model (matplotlib, eval extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(embs)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    ids = evalset.crops.ids
    bins = np.linspace(-0.5, 1.0, 61)
    for ax, (name, emb) in zip(axes.flat, embs.items(), strict=False):
        same, diff = pair_similarities(
            emb[evalset.query], ids[evalset.query], emb[evalset.gallery], ids[evalset.gallery]
        )
        ax.hist(diff, bins=bins, density=True, alpha=0.6, label="different person")
        ax.hist(same, bins=bins, density=True, alpha=0.6, label="same person")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("cosine similarity")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
