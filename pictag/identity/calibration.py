"""Match-threshold calibration from identity-labelled crops (MOT ground truth).

What is calibrated is the statistic the gallery actually decides on: the similarity of a
new track's appearance — the normalised mean of its first ``query_crops`` good crops — to an
identity's prototypes (the best of ``prototypes`` diverse crops of an earlier track). Tracks
are simulated by cutting each ground-truth person's crops into *segments* of ``segment``
consecutive sampled crops; a same-person pair is two segments of one person at least
``min_gap_s`` apart (so the query is not the gallery's own continuation), a different-person
pair is any two segments of two people. Crop-to-crop cosine distributions are measured too,
for reference.

Threshold rules (`choose_threshold`):

- ``f1`` (the default): maximises F1 of "same person" over all pairs. The pair mix matters
  and is the point: a new track is compared with *every* identity of the gallery, so
  different-person comparisons far outnumber the one same-person comparison, as they do in
  the calibration pairs (about 7:1 on PETS09 + TUD). On PETS09-S2L1 it gave 0.44 with a
  false-match rate of 0.5 % per pair; `pictag eval identity` was best between 0.42 and 0.5.
- ``eer``: where the false-match rate (different-person pairs at or above the threshold)
  equals the false-non-match rate (same-person pairs below it) — the two error-rate curves
  cross. Independent of the pair mix, but ~4 % false matches per pair is too many for a
  gallery of dozens of identities (0.35 on PETS09: more merged identities).
- ``fmr``: the lowest threshold whose false-match rate is at most ``target_fmr``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from pictag.datasets.mot import DEFAULT_FRAME_OFFSET, read_mot
from pictag.datasets.video import iter_frames, video_info
from pictag.errors import ConfigError, EvaluationError
from pictag.identity.persons import to_persons
from pictag.identity.prototypes import best_similarity, select_diverse
from pictag.reid.base import Embedder, l2_normalize
from pictag.reid.crops import inside_fraction, occluded_fraction

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
Rule = Literal["eer", "f1", "fmr"]
RULES: tuple[str, ...] = ("eer", "f1", "fmr")
#: Different-person crop pairs sampled for the crop-level reference distribution.
MAX_CROP_PAIRS = 200_000


@dataclass(frozen=True)
class LabelledCrops:
    """Embeddings of ground-truth person crops.

    Attributes:
        embeddings: ``(n, d)`` L2-normalised.
        person: ``(n,)`` person ids, unique across sequences.
        time_s: ``(n,)`` seconds from the start of the sequence.
    """

    embeddings: FloatArray
    person: IntArray
    time_s: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.person.shape[0])

    @staticmethod
    def concat(parts: Sequence[LabelledCrops]) -> LabelledCrops:
        """Crops of several sequences together (person ids must already be distinct)."""
        return LabelledCrops(
            np.concatenate([p.embeddings for p in parts]).astype(np.float32),
            np.concatenate([p.person for p in parts]).astype(np.int64),
            np.concatenate([p.time_s for p in parts]),
        )


def collect_crops(
    video: str | Path,
    gt: str | Path,
    embedder: Embedder,
    *,
    min_height: float = 60.0,
    max_overlap: float = 0.3,
    frame_offset: int = DEFAULT_FRAME_OFFSET,
    frame_rate: float | None = None,
    step: int = 1,
    max_frames: int | None = None,
    persons: Mapping[int, int] | None = None,
    person_offset: int = 0,
) -> LabelledCrops:
    """Embed every good ground-truth person crop of a video (the runtime's crop rules).

    A crop is good when the box is at least ``min_height`` tall, lies fully inside the frame
    and no other ground-truth box covers more than ``max_overlap`` of it. Ground-truth ids
    are mapped to physical persons with ``persons`` (`pictag.identity.persons`), then
    shifted by ``person_offset`` (keeps several sequences apart).

    Raises:
        EvaluationError: no good crop at all (wrong files or offset).
    """
    table = read_mot(gt, frame_offset=frame_offset)
    fps = frame_rate or video_info(video).fps or 25.0
    embs: list[FloatArray] = []
    person: list[IntArray] = []
    times: list[npt.NDArray[np.float64]] = []
    for index, frame in iter_frames(video, step=step, stop=max_frames):
        truth = table.at_video_frame(index)
        if len(truth) == 0:
            continue
        height, width = frame.shape[:2]
        ok = truth.heights >= min_height
        ok &= inside_fraction(truth.xyxy, width, height) >= 1.0
        ok &= occluded_fraction(truth.xyxy) <= max_overlap
        if not ok.any():
            continue
        embs.append(embedder.embed(frame, truth.xyxy[ok]))
        person.append(to_persons(truth.ids[ok], persons or {}) + person_offset)
        times.append(np.full(int(ok.sum()), index / fps))
    if not embs:
        raise EvaluationError(
            f"no usable ground-truth crop: video={video} gt={gt} (check --frame-offset and the files)"
        )
    return LabelledCrops(np.concatenate(embs), np.concatenate(person), np.concatenate(times))


@dataclass(frozen=True)
class Segments:
    """Simulated tracklets: query vectors and gallery prototypes per segment."""

    person: IntArray
    time_s: npt.NDArray[np.float64]
    queries: FloatArray
    prototypes: list[FloatArray]


def make_segments(crops: LabelledCrops, *, segment: int = 8, query_crops: int = 3, prototypes: int = 4) -> Segments:
    """Cut each person's crops (in time order) into segments of ``segment`` crops."""
    person, time_s, queries, protos = [], [], [], []
    for pid in np.unique(crops.person).tolist():
        idx = np.flatnonzero(crops.person == pid)
        idx = idx[np.argsort(crops.time_s[idx], kind="stable")]
        for start in range(0, idx.size - segment + 1, segment):
            chunk = crops.embeddings[idx[start : start + segment]]
            person.append(pid)
            time_s.append(float(crops.time_s[idx[start : start + segment]].mean()))
            queries.append(l2_normalize(chunk[:query_crops].mean(axis=0, keepdims=True))[0])
            protos.append(select_diverse(chunk, prototypes))
    dim = crops.embeddings.shape[1]
    return Segments(
        np.asarray(person, np.int64),
        np.asarray(time_s, np.float64),
        np.stack(queries).astype(np.float32) if queries else np.zeros((0, dim), np.float32),
        protos,
    )


def segment_scores(seg: Segments, *, min_gap_s: float = 4.0) -> tuple[FloatArray, FloatArray]:
    """Track-level scores: (same-person, different-person) query-to-prototypes similarities."""
    n = len(seg.prototypes)
    if n < 2:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    scores = np.stack([best_similarity(seg.queries, p) for p in seg.prototypes], axis=1)  # (query, gallery)
    same_person = seg.person[:, None] == seg.person[None, :]
    far = np.abs(seg.time_s[:, None] - seg.time_s[None, :]) >= min_gap_s
    return scores[same_person & far].astype(np.float32), scores[~same_person].astype(np.float32)


def crop_scores(crops: LabelledCrops, *, min_gap_s: float = 4.0, seed: int = 0) -> tuple[FloatArray, FloatArray]:
    """Crop-level cosines: same person at least ``min_gap_s`` apart, different people (sampled)."""
    rng = np.random.default_rng(seed)
    n = len(crops)
    if n < 2:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    i = rng.integers(0, n, size=MAX_CROP_PAIRS)
    j = rng.integers(0, n, size=MAX_CROP_PAIRS)
    cos = np.einsum("nd,nd->n", crops.embeddings[i], crops.embeddings[j])
    same = crops.person[i] == crops.person[j]
    far = np.abs(crops.time_s[i] - crops.time_s[j]) >= min_gap_s
    return cos[same & far].astype(np.float32), cos[~same].astype(np.float32)


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold and how it performs on the pairs it was chosen from."""

    rule: str
    threshold: float
    false_match_rate: float
    false_non_match_rate: float
    precision: float
    recall: float
    f1: float


def _rates(same: FloatArray, diff: FloatArray, t: npt.NDArray[np.float64]) -> tuple[Any, Any]:
    """(false-match rate, false-non-match rate) at each threshold in ``t`` (match: score >= t)."""
    s, d = np.sort(same), np.sort(diff)
    fnmr = np.searchsorted(s, t, side="left") / max(s.size, 1)
    fmr = 1.0 - np.searchsorted(d, t, side="left") / max(d.size, 1)
    return fmr, fnmr


def _candidates(same: FloatArray, diff: FloatArray) -> npt.NDArray[np.float64]:
    """Midpoints between consecutive distinct scores (every distinct decision), plus the ends."""
    v = np.unique(np.concatenate([same, diff]).astype(np.float64))
    mids = (v[:-1] + v[1:]) / 2.0
    return np.concatenate([[v[0] - 1e-6], mids, [v[-1] + 1e-6]])


def evaluate_threshold(rule: str, same: FloatArray, diff: FloatArray, t: float) -> ThresholdChoice:
    """Error rates, precision, recall and F1 of one threshold."""
    fmr, fnmr = (float(x[0]) for x in _rates(same, diff, np.array([t])))
    tp = (1.0 - fnmr) * same.size
    fp = fmr * diff.size
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = 1.0 - fnmr
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return ThresholdChoice(rule, float(t), fmr, fnmr, precision, recall, f1)


def choose_threshold(
    same: npt.ArrayLike, diff: npt.ArrayLike, rule: str = "f1", target_fmr: float = 0.01
) -> ThresholdChoice:
    """The threshold of ``rule`` (see the module docstring) for two score samples.

    Raises:
        EvaluationError: a sample is empty.
        ConfigError: unknown rule.
    """
    s = np.asarray(same, dtype=np.float64).reshape(-1)
    d = np.asarray(diff, dtype=np.float64).reshape(-1)
    if s.size == 0 or d.size == 0:
        raise EvaluationError(
            f"need same- and different-person pairs, got same={s.size} different={d.size}: use longer or more sequences"
        )
    t = _candidates(s.astype(np.float32), d.astype(np.float32))
    fmr, fnmr = _rates(s.astype(np.float32), d.astype(np.float32), t)
    if rule == "eer":
        gap = fmr - fnmr  # decreasing in t
        k = int(np.argmax(gap <= 0)) if (gap <= 0).any() else t.size - 1
        if k > 0 and gap[k] < 0 < gap[k - 1]:  # interpolate the crossing between two candidates
            w = gap[k - 1] / (gap[k - 1] - gap[k])
            best = float(t[k - 1] + w * (t[k] - t[k - 1]))
        else:
            best = float(t[k])
    elif rule == "f1":
        tp = (1.0 - fnmr) * s.size
        f1 = 2 * tp / np.maximum(2 * tp + fmr * d.size + fnmr * s.size, 1e-12)
        best = float(t[int(np.argmax(f1))])
    elif rule == "fmr":
        ok = np.flatnonzero(fmr <= target_fmr)
        best = float(t[ok[0]]) if ok.size else float(t[-1])
    else:
        raise ConfigError(f"unknown threshold rule {rule!r} (known: {', '.join(RULES)})")
    return evaluate_threshold(rule, s.astype(np.float32), d.astype(np.float32), best)


def overlap_coefficient(same: FloatArray, diff: FloatArray, bins: int = 100) -> float:
    """Shared area of the two normalised histograms (0: separable, 1: identical)."""
    lo = float(min(same.min(), diff.min()))
    hi = float(max(same.max(), diff.max()))
    edges = np.linspace(lo, hi, bins + 1)
    hs, _ = np.histogram(same, edges)
    hd, _ = np.histogram(diff, edges)
    return float(np.minimum(hs / max(hs.sum(), 1), hd / max(hd.sum(), 1)).sum())


def summary(same: FloatArray, diff: FloatArray) -> dict[str, Any]:
    """Means, spreads, gap and overlap of a pair of distributions."""
    return {
        "same_pairs": int(same.size),
        "different_pairs": int(diff.size),
        "same_mean": float(same.mean()),
        "same_std": float(same.std()),
        "different_mean": float(diff.mean()),
        "different_std": float(diff.std()),
        "mean_gap": float(same.mean() - diff.mean()),
        "overlap": overlap_coefficient(same, diff),
    }


@dataclass(frozen=True)
class Calibration:
    """Everything `pictag calibrate` reports."""

    track_same: FloatArray
    track_diff: FloatArray
    crop_same: FloatArray
    crop_diff: FloatArray
    choice: ThresholdChoice
    alternatives: dict[str, ThresholdChoice]
    settings: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Numbers only (no score arrays)."""
        return {
            "threshold": round(self.choice.threshold, 4),
            "rule": self.choice.rule,
            "chosen": asdict(self.choice),
            "alternatives": {k: asdict(v) for k, v in self.alternatives.items()},
            "track_level": summary(self.track_same, self.track_diff),
            "crop_level": summary(self.crop_same, self.crop_diff),
            "settings": self.settings,
        }


def calibrate(
    crops: LabelledCrops,
    *,
    rule: str = "f1",
    target_fmr: float = 0.01,
    segment: int = 8,
    query_crops: int = 3,
    prototypes: int = 4,
    min_gap_s: float = 4.0,
) -> Calibration:
    """Distributions and the threshold from labelled crops (see the module docstring)."""
    seg = make_segments(crops, segment=segment, query_crops=query_crops, prototypes=prototypes)
    track_same, track_diff = segment_scores(seg, min_gap_s=min_gap_s)
    crop_same, crop_diff = crop_scores(crops, min_gap_s=min_gap_s)
    choice = choose_threshold(track_same, track_diff, rule, target_fmr)
    alternatives = {r: choose_threshold(track_same, track_diff, r, target_fmr) for r in RULES if r != rule}
    settings = {
        "crops": len(crops),
        "persons": int(np.unique(crops.person).size),
        "segments": len(seg.prototypes),
        "segment_crops": segment,
        "query_crops": query_crops,
        "prototypes": prototypes,
        "min_gap_s": min_gap_s,
        "target_fmr": target_fmr,
    }
    return Calibration(track_same, track_diff, crop_same, crop_diff, choice, alternatives, settings)


def plot(cal: Calibration, path: str | Path, title: str = "") -> None:
    """PNG: same/different histograms (track level and crop level) with the threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    panels = (
        ("track appearance vs identity prototypes (decided on)", cal.track_same, cal.track_diff),
        ("single crop vs single crop (reference)", cal.crop_same, cal.crop_diff),
    )
    bins = np.linspace(-0.2, 1.0, 61)
    for ax, (name, same, diff) in zip(axes, panels, strict=True):
        ax.hist(
            diff,
            bins=bins,
            density=True,
            alpha=0.55,
            color="tab:red",
            label=f"different (n={diff.size})",
        )
        ax.hist(
            same,
            bins=bins,
            density=True,
            alpha=0.55,
            color="tab:green",
            label=f"same (n={same.size})",
        )
        ax.axvline(
            cal.choice.threshold,
            color="black",
            linestyle="--",
            label=f"threshold {cal.choice.threshold:.3f} ({cal.choice.rule})",
        )
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("cosine similarity")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("density")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
    plt.close(fig)
