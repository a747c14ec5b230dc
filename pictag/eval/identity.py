"""`pictag eval identity`: the whole chain in process, identities scored against ground truth.

Detector → ByteTracker → crop quality + re-id embedder + per-track aggregation
(`pictag.identity.appearance`) → `pictag.identity.engine.IdentityEngine`, exactly the code
the actors run, driven by the video's own clock. The tracks are computed once per scenario
and fed to two engines: re-identification on, and off (every confirmed track a new
identity — the baseline).

Scoring is per *physical person* (`pictag.identity.persons`: PETS09-S2L1's ground truth
gives re-entering people new ids). Every frame, tracker boxes are matched to ground-truth
boxes (IoU ≥ 0.5, Hungarian); each matched box pairs a person with the identity its track
was given. Keys of each row (the JSON contract: ``persons``, ``identities``,
``fragmented_persons``, ``merged_identities``, ``idf1``):

- ``persons``: physical persons with at least one matched box;
- ``identities``: identities with at least one matched box (``identities_total``: all);
- ``fragmented_persons``: persons covered by more than one identity (each with at least
  `MIN_SUPPORT` matched boxes) — the person was counted several times;
- ``merged_identities``: identities covering more than one person (same support rule) —
  two people counted as one;
- ``idf1``/``idp``/``idr``: identity F1/precision/recall (py-motmetrics' global one-to-one
  assignment) with identities as the hypothesis ids;
- ``returns``/``returns_recognised``: times a person came back (a new ground-truth id of the
  same person, or the same person after the cut) and how often the identity was the same
  as before.

Scenarios: ``continuous`` (the sequence as one camera; PETS09-S2L1 has 9 natural
leave-and-come-back events) and ``two_cameras_gap`` (the sequence cut in two: the second
half plays as another camera after a gap longer than the visit gap, so returning people
must be recognised across cameras and visits).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from pictag.config import PictagConfig
from pictag.datasets.video import iter_frames
from pictag.detection.base import Detector
from pictag.detections import Detections
from pictag.eval.clear import clear_metrics
from pictag.eval.frames import TrackRows, align, read_mot_rows
from pictag.eval.track import DetectedSequence, SequenceInputs, detect_video
from pictag.identity.engine import EngineSettings, IdentityEngine
from pictag.identity.persons import to_persons
from pictag.identity.sessions import Sighting
from pictag.messages import FrameTracks, TrackSummaries
from pictag.pipeline.node import NodeTracker
from pictag.reid.base import Embedder
from pictag.storage.records import VisitRecord

log = logging.getLogger(__name__)

#: Contract keys of every result row.
CONTRACT_KEYS = ("persons", "identities", "fragmented_persons", "merged_identities", "idf1")
#: Matched boxes a person-identity pair needs to count (about 0.7 s at 7 fps).
MIN_SUPPORT = 5
#: The evaluation clock starts on a weekday at 10:00 local time (far from the day boundary).
CLOCK_START = datetime(2026, 11, 23, 10, 0, 0).timestamp()


@dataclass(frozen=True)
class Part:
    """A stretch of the video played as one camera, starting ``start_s`` into the run."""

    camera_id: str
    first: int
    stop: int
    start_s: float


@dataclass(frozen=True)
class Scenario:
    """How the sequence is played."""

    name: str
    parts: tuple[Part, ...]


def scenarios(frames: int, frame_rate: float, *, cut: int | None = None, gap_s: float = 900.0) -> list[Scenario]:
    """``continuous`` and ``two_cameras_gap`` (cut at ``cut``, default the middle)."""
    cut = frames // 2 if cut is None else max(1, min(cut, frames - 1))
    return [
        Scenario("continuous", (Part("cam", 0, frames, 0.0),)),
        Scenario(
            "two_cameras_gap",
            (
                Part("a", 0, cut, 0.0),
                Part("b", cut, frames, cut / frame_rate + gap_s),
            ),
        ),
    ]


@dataclass
class TrackedRun:
    """The tracker + embedder output of one scenario, ready for identity engines."""

    frames: list[TrackSummaries] = field(default_factory=list)
    mot_frames: list[int] = field(default_factory=list)
    part_of: list[int] = field(default_factory=list)
    crops: int = 0
    embed_seconds: float = 0.0


def track_and_embed(
    video: str | Path,
    seq: DetectedSequence,
    scenario: Scenario,
    config: PictagConfig,
    embedder: Embedder,
    *,
    frame_offset: int,
) -> TrackedRun:
    """Run tracking and the node-side appearance aggregation of one scenario.

    Each part gets a fresh tracker (a camera of its own); when a part ends, its live tracks
    end. Frames are decoded again (only the detections were kept).
    """
    run = TrackedRun()
    index_of = {mot: k for k, mot in enumerate(seq.mot_frames)}
    offset = frame_offset
    for p_index, part in enumerate(scenario.parts):
        node = NodeTracker(config.tracking, config.reid, config.identity)
        live: set[int] = set()
        ts = CLOCK_START + part.start_s
        for index, image in iter_frames(video, start=part.first, stop=part.stop):
            k = index_of.get(index + offset)
            if k is None:
                continue
            ts = CLOCK_START + part.start_s + (index - part.first) / seq.frame_rate
            step = node.step(part.camera_id, index, ts, seq.detections[k], image.shape)
            frame = step.frame
            appearance = {}
            if step.due.any():
                start = time.perf_counter()
                emb = embedder.embed(image, frame.tracks.xyxy[step.due])
                run.embed_seconds += time.perf_counter() - start
                run.crops += int(step.due.sum())
                appearance = node.add_embeddings(part.camera_id, frame.tracks.track_id[step.due], emb, ts)
            node.release(part.camera_id, frame.ended)
            live |= set(frame.tracks.track_id.tolist()) | set(frame.started)
            live -= set(frame.ended)
            run.frames.append(TrackSummaries(frame, appearance))
            run.mot_frames.append(index + offset)
            run.part_of.append(p_index)
        if live:  # the camera stops: its tracks end
            end = FrameTracks(part.camera_id, ts + 1e-3, Detections.empty(), (), tuple(sorted(live)))
            run.frames.append(TrackSummaries(end))
            run.mot_frames.append(-1)
            run.part_of.append(p_index)
    return run


@dataclass
class IdentityRun:
    """Identity assignment of one engine over a tracked run."""

    rows: TrackRows
    identities_total: int
    engine_stats: dict[str, Any]
    visits: dict[str, VisitRecord]
    seconds: float


def assign_identities(run: TrackedRun, settings: EngineSettings) -> IdentityRun:
    """Feed the frames to a fresh engine; label every tracked box with its track's final identity.

    A session's frames before its decision carry the identity it got later (that is what its
    stored sighting says). If that identity was shown by another track in such a frame (a
    duplicate track handed over), the box that had it at the time keeps it and the other one
    is left unlabelled there.
    """
    engine = IdentityEngine(settings)
    per_frame: list[tuple[int, list[tuple[Sighting | None, bool]], Detections]] = []
    visits: dict[str, VisitRecord] = {}
    spent = 0.0
    next_tick = None
    for frame, mot in zip(run.frames, run.mot_frames, strict=True):
        start = time.perf_counter()
        if next_tick is None or frame.captured_at >= next_tick:
            visits.update(engine.tick(frame.captured_at).visits)
            next_tick = frame.captured_at + 1.0
        out = engine.observe(frame)
        spent += time.perf_counter() - start
        visits.update(out.visits)
        if mot >= 0:
            tracks = frame.frame.tracks
            found = [engine.sessions.session(frame.camera_id, t) for t in tracks.track_id.tolist()]
            per_frame.append((mot, [(s, s is not None and s.decided) for s in found], tracks))
    last = run.frames[-1].captured_at if run.frames else CLOCK_START
    visits.update(engine.close_all(last + 1.0).visits)
    codes: dict[str, int] = {}
    f_col, id_col, box_col = [], [], []
    for mot, sessions, tracks in per_frame:
        taken = {s.person_id for s, decided in sessions if decided and s is not None}
        for (s, decided), box in zip(sessions, tracks.xyxy, strict=True):
            if s is None or s.person_id is None or (not decided and s.person_id in taken):
                continue
            taken.add(s.person_id)
            f_col.append(mot)
            id_col.append(codes.setdefault(s.person_id, len(codes) + 1))
            box_col.append(box)
    rows = TrackRows.build(f_col, id_col, np.asarray(box_col, np.float64).reshape(-1, 4))
    return IdentityRun(rows, len(codes), engine.stats(), visits, spent)


def _cooccurrence(gt: TrackRows, hyp: TrackRows, frames: Iterable[int]) -> dict[tuple[int, int], int]:
    """Matched (IoU ≥ 0.5, Hungarian per frame) box counts per (ground-truth id, identity)."""
    counts: dict[tuple[int, int], int] = {}
    for f in align(gt, hyp, frames):
        if f.iou.size == 0:
            continue
        score = np.where(f.iou >= 0.5, f.iou, 0.0)
        r, c = linear_sum_assignment(-score)
        for i, j in zip(r.tolist(), c.tolist(), strict=True):
            if score[i, j] > 0:
                key = (int(f.gt_ids[i]), int(f.hyp_ids[j]))
                counts[key] = counts.get(key, 0) + 1
    return counts


def _returns(
    counts_by_presence: dict[tuple[int, int], int], presences: list[tuple[int, int, float]]
) -> tuple[int, int]:
    """(returns, recognised): consecutive presences of one person sharing their main identity."""
    main: dict[int, int] = {}
    best: dict[int, int] = {}
    for (presence, identity), n in counts_by_presence.items():
        if n > best.get(presence, 0):
            best[presence], main[presence] = n, identity
    by_person: dict[int, list[tuple[float, int]]] = {}
    for presence, person, first in presences:
        if presence in main:
            by_person.setdefault(person, []).append((first, presence))
    returns = recognised = 0
    for items in by_person.values():
        items.sort()
        for (_, a), (_, b) in zip(items, items[1:], strict=False):
            returns += 1
            recognised += int(main[a] == main[b])
    return returns, recognised


def score(
    gt: TrackRows,
    persons: Mapping[int, int],
    run: TrackedRun,
    ident: IdentityRun,
    min_support: int = MIN_SUPPORT,
) -> dict[str, Any]:
    """The metric row of one identity run (keys in the module docstring)."""
    frames = sorted({m for m in run.mot_frames if m >= 0})
    part_of_frame = {m: p for m, p in zip(run.mot_frames, run.part_of, strict=True) if m >= 0}
    person_rows = TrackRows(gt.frame, to_persons(gt.ids, persons), gt.xyxy, gt.class_id, gt.scored)
    clear = clear_metrics(align(person_rows, ident.rows, frames))
    # presence = (part, ground-truth id): one continuous stay of a person on one camera
    n_parts = max(run.part_of, default=0) + 1
    presence_ids = np.array([part_of_frame.get(int(f), 0) for f in gt.frame], np.int64) * 10_000_000 + gt.ids
    presence_rows = TrackRows(gt.frame, presence_ids, gt.xyxy, gt.class_id, gt.scored)
    by_presence = _cooccurrence(presence_rows, ident.rows, frames)
    presence_person = {int(p): int(to_persons([p % 10_000_000], persons)[0]) for p in np.unique(presence_ids)}
    first_frame = {int(p): float(gt.frame[presence_ids == p].min()) for p in np.unique(presence_ids)}
    by_person: dict[tuple[int, int], int] = {}
    for (presence, identity), n in by_presence.items():
        key = (presence_person[presence], identity)
        by_person[key] = by_person.get(key, 0) + n
    supported = [(p, i) for (p, i), n in by_person.items() if n >= min_support]
    ids_of: dict[int, set[int]] = {}
    persons_of: dict[int, set[int]] = {}
    for p, i in supported:
        ids_of.setdefault(p, set()).add(i)
        persons_of.setdefault(i, set()).add(p)
    seen_persons = {p for p, _ in by_person}
    seen_ids = {i for _, i in by_person}
    returns, recognised = _returns(by_presence, [(p, presence_person[p], first_frame[p]) for p in presence_person])
    closed = [v for v in ident.visits.values() if v.closed]
    return {
        "persons": len(seen_persons),
        "identities": len(seen_ids),
        "identities_total": ident.identities_total,
        "fragmented_persons": sum(1 for ids in ids_of.values() if len(ids) > 1),
        "merged_identities": sum(1 for ps in persons_of.values() if len(ps) > 1),
        "idf1": clear.idf1,
        "idp": clear.idp,
        "idr": clear.idr,
        "returns": returns,
        "returns_recognised": recognised,
        "visits": len(ident.visits),
        "closed_visits": len(closed),
        "cameras": n_parts,
        "matched": ident.engine_stats.get("matched", 0),
        "created": ident.engine_stats.get("created", 0),
        "identity_ms_per_frame": 1000.0 * ident.seconds / max(len(run.frames), 1),
    }


@dataclass
class IdentityEvalReport:
    """Everything `pictag eval identity` prints and writes."""

    scenarios: dict[str, dict[str, dict[str, Any]]]
    sequence: dict[str, Any]
    settings: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """``{"reid", "no_reid"}`` of the continuous scenario (else the first one run), plus every
        scenario and the settings."""
        main = self.scenarios.get("continuous") or next(iter(self.scenarios.values()))
        return {
            "reid": main["reid"],
            "no_reid": main["no_reid"],
            "scenarios": self.scenarios,
            "sequence": self.sequence,
            "settings": self.settings,
        }


def evaluate(
    inputs: SequenceInputs,
    detect: Detector | Callable[[np.ndarray], Detections],
    embedder: Embedder,
    config: PictagConfig,
    persons: Mapping[int, int],
    *,
    cut: int | None = None,
    gap_s: float = 900.0,
    only: Iterable[str] | None = None,
) -> IdentityEvalReport:
    """Detect once; per scenario, track and embed once, assign identities with re-id on and off."""
    gt = read_mot_rows(inputs.gt)
    seq = detect_video(
        inputs.video,
        detect,
        frame_offset=inputs.frame_offset,
        frame_rate=inputs.frame_rate,
        max_frames=inputs.max_frames,
    )
    reid = EngineSettings.from_config(config.reid, config.identity, config.tracking, config.privacy)
    baseline = EngineSettings.from_config(
        config.reid.model_copy(update={"enabled": False}),
        config.identity,
        config.tracking,
        config.privacy,
    )
    wanted = set(only) if only is not None else None
    results: dict[str, dict[str, dict[str, Any]]] = {}
    crops = 0
    embed_s = 0.0
    for scenario in scenarios(len(seq), inputs.frame_rate, cut=cut, gap_s=gap_s):
        if wanted is not None and scenario.name not in wanted:
            continue
        run = track_and_embed(inputs.video, seq, scenario, config, embedder, frame_offset=inputs.frame_offset)
        crops += run.crops
        embed_s += run.embed_seconds
        results[scenario.name] = {
            name: score(gt, persons, run, assign_identities(run, settings))
            for name, settings in (("reid", reid), ("no_reid", baseline))
        }
        log.info("scenario %s: %s", scenario.name, results[scenario.name])
    return IdentityEvalReport(
        scenarios=results,
        sequence={
            "video": str(inputs.video),
            "gt": str(inputs.gt),
            "frames": len(seq),
            "frame_rate": inputs.frame_rate,
            "ground_truth_ids": int(np.unique(gt.ids).size),
            "persons": int(np.unique(to_persons(gt.ids, persons)).size),
            "decode_detect_ms_per_frame": 1000.0 * seq.detect_seconds / max(len(seq), 1),
        },
        settings={
            "threshold": config.reid.threshold,
            "reid_model": config.reid.model_name,
            "reid_type": config.reid.type,
            "min_crops": config.identity.min_crops,
            "decision_timeout_s": config.identity.decision_timeout_s,
            "prototypes": config.reid.prototypes,
            "refresh_s": config.reid.refresh_s,
            "visit_gap_s": config.reid.visit_gap_s,
            "cut_gap_s": gap_s,
            "min_support": MIN_SUPPORT,
            "crops_embedded": crops,
            "embed_ms_per_crop": 1000.0 * embed_s / max(crops, 1),
        },
    )
