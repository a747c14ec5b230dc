"""The identity stage's logic: tracks → identities, visits, events and rows to store.

Per frame of one camera (`IdentityEngine.observe`):

1. the appearances the embedder refreshed are remembered per track;
2. the sessions follow every track (`TrackSessions`); new tracks start *pending*;
3. pending tracks that are ready — enough good crops (``identity.min_crops``), waited
   ``identity.decision_timeout_s``, or ended — are matched against the gallery *together*
   (`pictag.identity.matching.assign`, Hungarian): identities visible on this camera right now
   are blocked, no two tracks take the same identity, a match needs ``reid.threshold``.
   A match reuses the identity (``identity.matched`` with its similarity); otherwise a new
   random identity is created (``identity.created``). An identity taken over from a track
   of the same camera that is lost (not visible) ends that older session: it was the same
   person, re-found under a new track id;
4. the identity's visit is touched (``visit.started`` for a new one);
5. a track whose appearance started over (the embedder saw the tracker switch to another
   person, `TrackAppearance.generation`) has its session closed; the new person under the
   same track id is decided like a new track;
6. the gallery learns conservatively: an identity created by a track follows that track's
   prototypes while it lives; a matched track adds its prototypes only if its similarity
   to the identity, checked again when it ends, is at least threshold + ``update_margin``.

`tick` closes visits after ``reid.visit_gap_s`` without sightings and, unless
``privacy.cross_day_reid``, expires identities at the start of a new day: they leave the
gallery and their stored embeddings are erased (the identity and visit rows stay for the
statistics until retention purges them).

Everything is plain Python on the instance: the IdentityActor wraps one engine for all
cameras, and `pictag eval identity` drives one in process with the videos' own clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from pictag import events as ev
from pictag.config.identity import IdentityConfig
from pictag.config.privacy import PrivacyConfig
from pictag.config.reid import ReidConfig
from pictag.config.tracking import TrackingConfig
from pictag.detections import Detections
from pictag.identity.appearance import TrackAppearance
from pictag.identity.gallery import IdentityGallery, IdentityMeta
from pictag.identity.matching import assign
from pictag.identity.prototypes import best_similarity, merge_prototypes
from pictag.identity.sessions import (
    SessionOutput,
    Sighting,
    TrackSessions,
    new_person_id,
)
from pictag.identity.visits import Visit, VisitBook
from pictag.messages import FrameTracks, TrackSummaries
from pictag.storage.records import Gallery, IdentityRecord, VisitRecord

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]


def day_start(ts: float, hour: int) -> float:
    """Epoch seconds of the most recent local ``hour``:00 at or before ``ts`` (a shop's day)."""
    local = datetime.fromtimestamp(ts)
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if start > local:
        start -= timedelta(days=1)
    return start.timestamp()


@dataclass(frozen=True)
class EngineSettings:
    """The knobs of an `IdentityEngine` (from the reid, identity, tracking and privacy sections)."""

    threshold: float = 0.5
    prototypes: int = 4
    min_crops: int = 3
    decision_timeout_s: float = 3.0
    update_margin: float = 0.1
    visit_gap_s: float = 600.0
    update_interval_s: float = 1.0
    reid_enabled: bool = True
    cross_day_reid: bool = False
    day_start_hour: int = 4

    @classmethod
    def from_config(
        cls,
        reid: ReidConfig,
        identity: IdentityConfig | None = None,
        tracking: TrackingConfig | None = None,
        privacy: PrivacyConfig | None = None,
    ) -> EngineSettings:
        """Settings from the configuration sections (defaults for the missing ones)."""
        identity = identity or IdentityConfig()
        tracking = tracking or TrackingConfig()
        privacy = privacy or PrivacyConfig()
        return cls(
            threshold=reid.numeric_threshold() if reid.enabled else 0.0,
            prototypes=reid.prototypes,
            min_crops=identity.min_crops,
            decision_timeout_s=identity.decision_timeout_s,
            update_margin=identity.update_margin,
            visit_gap_s=reid.visit_gap_s,
            update_interval_s=tracking.update_interval_s,
            reid_enabled=reid.enabled,
            cross_day_reid=privacy.cross_day_reid,
            day_start_hour=identity.day_start_hour,
        )


@dataclass
class IdentityOutput:
    """What one step produced: events to publish, rows and prototypes to store.

    ``prototypes`` maps an identity to its full prototype set; an empty ``(0, d)`` array
    erases the stored embeddings of that identity.
    """

    events: list[ev.Event] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    identities: dict[str, IdentityRecord] = field(default_factory=dict)
    visits: dict[str, VisitRecord] = field(default_factory=dict)
    prototypes: dict[str, FloatArray] = field(default_factory=dict)

    def add_sessions(self, out: SessionOutput) -> None:
        """Take a `SessionOutput`'s events and sightings."""
        self.events.extend(out.events)
        self.sightings.extend(out.sightings)

    def extend(self, other: IdentityOutput) -> None:
        """Append another output (later rows replace earlier ones of the same id)."""
        self.events.extend(other.events)
        self.sightings.extend(other.sightings)
        self.identities.update(other.identities)
        self.visits.update(other.visits)
        self.prototypes.update(other.prototypes)

    def __bool__(self) -> bool:
        return bool(self.events or self.sightings or self.identities or self.visits or self.prototypes)


@dataclass
class _Decision:
    person_id: str
    similarity: float | None
    created: bool


class IdentityEngine:
    """Sessions + gallery + visits for every camera (see the module docstring)."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.gallery = IdentityGallery(k=self.settings.prototypes)
        self.visits = VisitBook(self.settings.visit_gap_s)
        self.sessions = TrackSessions(update_interval_s=self.settings.update_interval_s)
        self._appearance: dict[tuple[str, int], TrackAppearance] = {}
        self._decisions: dict[tuple[str, int], _Decision] = {}
        self._suppressed: set[tuple[str, int]] = set()
        self._epochs: dict[str, str] = {}
        self._day: float | None = None
        self.counters = {"matched": 0, "created": 0, "learned": 0, "expired": 0, "splits": 0}

    @property
    def threshold(self) -> float:
        """Similarity at or above which a track is matched to an identity."""
        return self.settings.threshold

    def set_threshold(self, threshold: float) -> None:
        """Change the match threshold (live settings)."""
        self.settings = replace(self.settings, threshold=float(threshold))

    # ---- per frame ----------------------------------------------------------------------
    def observe(self, summaries: TrackSummaries, *, expect_appearance: bool = True) -> IdentityOutput:
        """Fold one frame of one camera in (see the module docstring).

        Args:
            summaries: tracks of the frame, with the appearances refreshed in it.
            expect_appearance: False when no embedder runs for this camera: tracks are
                decided at once (every confirmed track a new identity).
        """
        out = IdentityOutput()
        summaries = self._without_suppressed(summaries)
        frame, looks = summaries.frame, summaries.appearance
        cam, ts = frame.camera_id, frame.captured_at
        if frame.epoch and self._epochs.setdefault(cam, frame.epoch) != frame.epoch:
            # The camera's tracker started over (its detector restarted): the old tracks are gone.
            out.extend(self.end_camera(cam, ts))
            self._epochs[cam] = frame.epoch
        if looks and not self.settings.reid_enabled:  # re-id off: appearance is ignored
            looks = {}
        for tid, appearance in looks.items():
            old = self._appearance.get((cam, tid))
            if old is not None and old.generation != appearance.generation:
                self._split(cam, tid, ts, out)
            self._appearance[(cam, tid)] = appearance
        out.add_sessions(self.sessions.update(frame))
        visible = set(frame.tracks.track_id.tolist())
        ended = set(frame.ended)
        ready = [s for s in self.sessions.pending(cam) if self._ready(s, ts, ended, expect_appearance)]
        if ready:
            self._decide(cam, ready, visible, ts, out)
        for tid in visible:
            session = self.sessions.session(cam, tid)
            if session is not None and session.person_id is not None:
                self._seen(session.person_id, cam, ts, out)
        for tid in looks:
            self._follow_creator(cam, tid, out)
        for tid in frame.ended:
            self._learn(cam, tid, out)
        out.add_sessions(self.sessions.end(cam, frame.ended, ts))
        for tid in frame.ended:
            self._forget_track(cam, tid)
        self._rows_for_sightings(out)
        return out

    def _without_suppressed(self, summaries: TrackSummaries) -> TrackSummaries:
        """The frame without the tracks of erased persons (ignored until they end)."""
        if not self._suppressed:
            return summaries
        frame = summaries.frame
        cam = frame.camera_id
        for tid in frame.ended:
            self._suppressed.discard((cam, tid))
        keep = np.array([(cam, t) not in self._suppressed for t in frame.tracks.track_id.tolist()], bool)
        if keep.all():
            return summaries
        return replace(
            summaries,
            frame=replace(frame, tracks=frame.tracks[keep]),
            appearance={t: a for t, a in summaries.appearance.items() if (cam, t) not in self._suppressed},
        )

    def _split(self, cam: str, tid: int, ts: float, out: IdentityOutput) -> None:
        """The tracker switched people under one track id: close the decided session now.

        The next `TrackSessions.update` starts a new pending session for the track id, decided
        on the new appearance like any new track.
        """
        session = self.sessions.session(cam, tid)
        if session is None or session.person_id is None:
            return
        self._learn(cam, tid, out)
        out.add_sessions(self.sessions.end(cam, [tid], ts))
        self._decisions.pop((cam, tid), None)
        self.counters["splits"] += 1

    def _ready(self, s: Sighting, ts: float, ended: set[int], expect_appearance: bool) -> bool:
        if not (expect_appearance and self.settings.reid_enabled) or s.track_id in ended:
            return True
        appearance = self._appearance.get((s.camera_id, s.track_id))
        if appearance is not None and appearance.crops >= self.settings.min_crops:
            return True
        return ts - s.started_at >= self.settings.decision_timeout_s

    def _decide(self, cam: str, ready: list[Sighting], visible: set[int], ts: float, out: IdentityOutput) -> None:
        """Match the ready sessions of one camera jointly; create identities for the rest."""
        n = len(ready)
        columns = np.full(n, -1, dtype=np.int64)
        sims = np.full(n, -np.inf, dtype=np.float32)
        looks = [self._appearance.get((cam, s.track_id)) for s in ready]
        rows = [i for i, a in enumerate(looks) if a is not None]
        if self.settings.reid_enabled and rows and self.gallery.active_count():
            queries = np.stack([looks[i].mean for i in rows])  # type: ignore[union-attr]
            similarity = self.gallery.similarity(queries)
            blocked = np.zeros_like(similarity, dtype=bool)
            for tid in visible:
                other = self.sessions.session(cam, tid)
                held = None if other is None else other.person_id
                if held is not None and held in self.gallery:
                    blocked[:, self.gallery.row_of(held)] = True
            result = assign(similarity, self.settings.threshold, blocked)
            columns[rows] = result.identity
            sims[rows] = result.similarity
        for i, session in enumerate(ready):
            look = looks[i]
            if columns[i] >= 0:
                identity = self.gallery.id_at(int(columns[i]))
                self._decisions[(cam, session.track_id)] = _Decision(identity, float(sims[i]), False)
                self.counters["matched"] += 1
                out.events.append(
                    ev.IdentityMatched(
                        ts=ts,
                        camera_id=cam,
                        track_id=session.track_id,
                        person_id=identity,
                        similarity=round(float(sims[i]), 4),
                        threshold=self.settings.threshold,
                        crops=look.crops if look else 0,
                    ).to_json()
                )
                self._take_over(cam, identity, visible, ts, out)
            else:
                identity = self._create(cam, session, look, ts, out)
                best = float(sims[i]) if np.isfinite(sims[i]) else None
                self._decisions[(cam, session.track_id)] = _Decision(identity, best, True)
                out.events.append(
                    ev.IdentityCreated(
                        ts=ts,
                        camera_id=cam,
                        track_id=session.track_id,
                        person_id=identity,
                        best_similarity=None if best is None else round(best, 4),
                        crops=look.crops if look else 0,
                    ).to_json()
                )
            meta = self.gallery.meta(identity)
            meta.n_sightings += 1
            self._open_visit(identity, cam, session.started_at, ts, out)
            out.add_sessions(self.sessions.confirm(cam, session.track_id, identity, ts))

    def _create(
        self,
        cam: str,
        session: Sighting,
        look: TrackAppearance | None,
        ts: float,
        out: IdentityOutput,
    ) -> str:
        identity = new_person_id()
        while identity in self.gallery:
            identity = new_person_id()
        protos = look.prototypes if (look is not None and self.settings.reid_enabled) else None
        self.gallery.add(IdentityMeta(identity, created_at=session.started_at, last_seen_at=ts), protos)
        if protos is not None:
            out.prototypes[identity] = self.gallery.prototypes(identity)
        self.counters["created"] += 1
        return identity

    def _take_over(self, cam: str, identity: str, visible: set[int], ts: float, out: IdentityOutput) -> None:
        """End sessions of this camera that hold ``identity`` but are lost (not visible now)."""
        stale = [
            tid
            for tid in self.sessions.track_ids(cam)
            if tid not in visible and (s := self.sessions.session(cam, tid)) is not None and s.person_id == identity
        ]
        if stale:
            for tid in stale:
                self._learn(cam, tid, out)
            out.add_sessions(self.sessions.end(cam, stale, ts))
            for tid in stale:
                # If the tracker re-finds that track, it starts a new pending session whose
                # appearance is already known (kept here) and is matched like any other.
                self._decisions.pop((cam, tid), None)

    def _open_visit(self, identity: str, cam: str, first_seen: float, ts: float, out: IdentityOutput) -> None:
        """A decided track's identity is here since ``first_seen``: continue or open its visit."""
        self._touch(identity, cam, first_seen, ts, out)
        visit = self._touch(identity, cam, ts, ts, out)
        out.visits[visit.id] = visit.record()
        out.identities[identity] = self.gallery.meta(identity).record()

    def _touch(self, identity: str, cam: str, seen_at: float, ts: float, out: IdentityOutput) -> Visit:
        """Record a sighting in the visit book; events for a visit closed by the gap or started."""
        returning = self.visits.closed_visits(identity) > 0
        visit, started, closed = self.visits.touch(identity, cam, seen_at)
        if closed is not None:
            self._visit_ended(closed, out)
            returning = True
        if started:
            out.events.append(
                ev.VisitStarted(
                    ts=ts,
                    camera_id=cam,
                    person_id=identity,
                    visit_id=visit.id,
                    started_at=ev.iso(visit.started_at),
                    returning=returning,
                ).to_json()
            )
            out.visits[visit.id] = visit.record()
        meta = self.gallery.meta(identity)
        meta.last_seen_at = max(meta.last_seen_at, seen_at)
        return visit

    def _seen(self, identity: str, cam: str, ts: float, out: IdentityOutput) -> None:
        if identity in self.gallery:
            self._touch(identity, cam, ts, ts, out)

    def _follow_creator(self, cam: str, tid: int, out: IdentityOutput) -> None:
        """An identity created by a track takes that track's refreshed prototypes."""
        decision = self._decisions.get((cam, tid))
        look = self._appearance.get((cam, tid))
        if not (decision and decision.created and look is not None and self.settings.reid_enabled):
            return
        if decision.person_id not in self.gallery:
            return
        merged = merge_prototypes(
            self.gallery.prototypes(decision.person_id), look.prototypes, self.settings.prototypes
        )
        self.gallery.set_prototypes(decision.person_id, merged)
        out.prototypes[decision.person_id] = merged

    def _learn(self, cam: str, tid: int, out: IdentityOutput) -> None:
        """At a track's end: a confident match adds the track's prototypes to its identity."""
        decision = self._decisions.get((cam, tid))
        look = self._appearance.get((cam, tid))
        if decision is None or look is None or decision.created or decision.person_id not in self.gallery:
            return
        if not self.gallery.is_active(decision.person_id):
            return
        current = self.gallery.prototypes(decision.person_id)
        final = float(best_similarity(look.mean[None, :], current)[0])
        if final < self.settings.threshold + self.settings.update_margin:
            return
        merged = merge_prototypes(current, look.prototypes, self.settings.prototypes)
        self.gallery.set_prototypes(decision.person_id, merged)
        out.prototypes[decision.person_id] = merged
        self.counters["learned"] += 1

    def _forget_track(self, cam: str, tid: int) -> None:
        self._appearance.pop((cam, tid), None)
        self._decisions.pop((cam, tid), None)

    def _rows_for_sightings(self, out: IdentityOutput) -> None:
        """Identity and visit rows ride along with every sighting upsert (same throttle)."""
        for sighting in out.sightings:
            identity = sighting.person_id
            if identity is None or identity not in self.gallery:
                continue
            out.identities[identity] = self.gallery.meta(identity).record()
            visit = self.visits.open_visit(identity)
            if visit is not None:
                out.visits[visit.id] = visit.record()

    # ---- time-driven -------------------------------------------------------------------
    def tick(self, now: float) -> IdentityOutput:
        """Close visits after the gap; expire identities at the start of a new day."""
        out = IdentityOutput()
        live = self.sessions.live_person_ids()
        for visit in self.visits.close_due(now, live):
            self._visit_ended(visit, out)
        if not self.settings.cross_day_reid:
            self._expire(now, live, out)
        return out

    def _visit_ended(self, visit: Visit, out: IdentityOutput) -> None:
        out.visits[visit.id] = visit.record()
        out.events.append(
            ev.VisitEnded(
                ts=visit.ended_at,
                person_id=visit.person_id,
                visit_id=visit.id,
                started_at=ev.iso(visit.started_at),
                ended_at=ev.iso(visit.ended_at or visit.last_seen_at),
                dwell_s=round(visit.dwell_s, 1),
                cameras=sorted(visit.cameras),
            ).to_json()
        )
        if visit.person_id in self.gallery:
            out.identities[visit.person_id] = self.gallery.meta(visit.person_id).record()

    def _expire(self, now: float, live: set[str], out: IdentityOutput) -> None:
        start = day_start(now, self.settings.day_start_hour)
        if self._day == start:
            return
        pending = False
        for identity in self.gallery.ids:
            meta = self.gallery.meta(identity)
            if meta.last_seen_at >= start:
                continue
            if identity in live or self.visits.open_visit(identity) is not None:
                pending = True  # expires once its visit has closed
                continue
            dim = self.gallery.dim or 0
            self.gallery.remove(identity)
            self.visits.drop(identity)
            out.prototypes[identity] = np.zeros((0, dim), dtype=np.float32)
            self.counters["expired"] += 1
        if not pending:
            self._day = start

    def close_all(self, now: float) -> IdentityOutput:
        """End every session and visit now (end of an evaluation run)."""
        out = IdentityOutput()
        for cam in sorted(self.sessions.cameras()):
            out.extend(self.end_camera(cam, now))
        for visit in self.visits.close_all():
            self._visit_ended(visit, out)
        return out

    def end_camera(self, camera_id: str, now: float) -> IdentityOutput:
        """Close the live tracks of a stopped or offline camera (pending ones are decided first)."""
        ids = self.sessions.track_ids(camera_id)
        frame = FrameTracks(camera_id, now, Detections.empty(), ended=tuple(ids))
        return self.observe(TrackSummaries(frame))

    # ---- start-up and erasure ----------------------------------------------------------
    def load(
        self,
        ids: Iterable[str],
        last_seen_at: Iterable[float],
        n_sightings: Iterable[int],
        prototypes: Iterable[FloatArray],
        visits: Iterable[Visit],
        *,
        now: float | None = None,
    ) -> list[str]:
        """Reload stored identities and visits at start-up.

        Without cross-day re-identification, identities last seen before today's start are
        not loaded; their ids are returned so the caller can erase their embeddings.

        Returns:
            Ids of expired identities whose prototypes should be erased.
        """
        now = time.time() if now is None else now
        cutoff = None if self.settings.cross_day_reid else day_start(now, self.settings.day_start_hour)
        expired: list[str] = []
        for identity, seen, count, protos in zip(ids, last_seen_at, n_sightings, prototypes, strict=True):
            if cutoff is not None and seen < cutoff:
                if len(protos):
                    expired.append(identity)
                continue
            if identity in self.gallery:
                continue
            self.gallery.add(
                IdentityMeta(identity, created_at=seen, last_seen_at=seen, n_sightings=int(count)),
                protos if len(protos) else None,
            )
        for visit in visits:
            if visit.person_id in self.gallery:
                self.visits.resume(visit)
        return expired

    def load_stored(self, gallery: Gallery, visits: Iterable[VisitRecord], now: float | None = None) -> list[str]:
        """`load` from the store's `Gallery` and visit records (see `load`)."""
        dim = gallery.embeddings.shape[1] if gallery.embeddings.ndim == 2 else 0
        protos: list[FloatArray] = [np.zeros((0, dim), np.float32) for _ in gallery.ids]
        if gallery.owner.size:
            order = np.argsort(gallery.owner, kind="stable")
            owners = gallery.owner[order]
            bounds = np.searchsorted(owners, np.arange(len(gallery.ids) + 1))
            emb = gallery.embeddings[order]
            for i in range(len(gallery.ids)):
                protos[i] = emb[bounds[i] : bounds[i + 1]]
        return self.load(
            gallery.ids,
            gallery.last_seen_at.tolist(),
            gallery.n_sightings.tolist(),
            protos,
            (Visit.from_record(v) for v in visits),
            now=now,
        )

    def erase(self, person_id: str) -> bool:
        """Forget an identity everywhere in memory; its live tracks are ignored until they end.

        Returns:
            True when the identity was known here.
        """
        known = self.gallery.remove(person_id)
        self.visits.drop(person_id)
        for key in self.sessions.drop_person(person_id):
            self._suppressed.add(key)
            self._appearance.pop(key, None)
            self._decisions.pop(key, None)
            known = True
        return known

    def stats(self) -> dict[str, Any]:
        """Gallery size and decision counters."""
        return {
            "identities": len(self.gallery),
            "active_identities": self.gallery.active_count(),
            "open_visits": len(self.visits.open_visits()),
            "live_tracks": self.sessions.live_count(),
            "threshold": self.settings.threshold,
            **self.counters,
        }
