"""Track sessions: turn per-frame tracking results into events and sighting rows.

A *session* is one confirmed track on one camera. It is *pending* until it gets a person
id — at once (`observe` with an `IdentityAssigner`: a fresh random id when re-identification
is off), or when the identity stage has decided (`confirm`, after a gallery match on the
track's appearance). Only then does it emit ``track.started``; afterwards throttled
``track.updated`` and finally ``track.ended`` events, and one sighting row that is upserted
as the track lives. A pending session is followed silently (box, frames, times) so nothing
is lost while the decision waits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pictag import events as ev
from pictag.messages import FrameTracks
from pictag.storage.records import TrackRecord, sighting_id

#: Chooses the person id of a newly confirmed track: (camera_id, track_id) -> person id.
IdentityAssigner = Callable[[str, int], str]


def new_person_id() -> str:
    """A random, meaningless person id (no link to any personal attribute)."""
    return "p_" + secrets.token_hex(6)


@dataclass
class Sighting:
    """One confirmed track on one camera as the sessions follow it (stored as a `TrackRecord`)."""

    camera_id: str
    track_id: int
    person_id: str | None
    started_at: float
    last_seen_at: float
    ended_at: float | None = None
    frames: int = 0
    confidence_sum: float = 0.0
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    @property
    def key(self) -> str:
        """Stable unique key of the sighting (camera, track, start time)."""
        return sighting_id(self.camera_id, self.track_id, self.started_at)

    @property
    def mean_confidence(self) -> float:
        """Average detector score over the matched frames."""
        return self.confidence_sum / self.frames if self.frames else 0.0

    @property
    def decided(self) -> bool:
        """True once the session has its person id (events flow)."""
        return self.person_id is not None

    def record(self) -> TrackRecord:
        """The ``sightings`` row for the store (the latest box is ``last_box``; no best box is kept)."""
        return TrackRecord(
            id=self.key,
            camera_id=self.camera_id,
            track_id=self.track_id,
            person_id=self.person_id,
            started_at=self.started_at,
            last_seen_at=self.last_seen_at,
            ended_at=self.ended_at,
            frames=self.frames,
            last_box=self.box,
            mean_confidence=self.mean_confidence,
        )


@dataclass
class SessionOutput:
    """Events to publish and sightings to upsert after one frame."""

    events: list[ev.Event] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)

    def extend(self, other: SessionOutput) -> None:
        """Append another output's events and sightings."""
        self.events.extend(other.events)
        self.sightings.extend(other.sightings)


class TrackSessions:
    """Live sessions of every camera, keyed by (camera_id, track_id).

    All state is on the instance: one identity actor serves every camera.
    """

    def __init__(self, update_interval_s: float = 1.0, assign: IdentityAssigner | None = None) -> None:
        self.update_interval_s = update_interval_s
        self._assign = assign or (lambda camera_id, track_id: new_person_id())
        self._live: dict[tuple[str, int], Sighting] = {}
        self._last_update: dict[tuple[str, int], float] = {}

    def observe(self, frame: FrameTracks) -> SessionOutput:
        """Fold one frame in, giving every new track its id at once (re-identification off)."""
        out = self.update(frame)
        for sighting in self.pending(frame.camera_id):
            out.extend(
                self.confirm(
                    frame.camera_id,
                    sighting.track_id,
                    self._assign(frame.camera_id, sighting.track_id),
                    frame.captured_at,
                )
            )
        out.extend(self.end(frame.camera_id, frame.ended, frame.captured_at))
        return out

    def update(self, frame: FrameTracks) -> SessionOutput:
        """Fold one frame's tracks into the sessions (new tracks start pending).

        Returns throttled ``track.updated`` events and changed sightings of decided sessions.
        """
        out = SessionOutput()
        cam, ts = frame.camera_id, frame.captured_at
        tracks = frame.tracks
        boxes = tracks.xyxy.tolist()
        scores = tracks.confidence.tolist()
        for tid, box, score in zip(tracks.track_id.tolist(), boxes, scores, strict=True):
            key = (cam, tid)
            sighting = self._live.get(key)
            if sighting is None:
                sighting = self._live[key] = Sighting(cam, tid, None, started_at=ts, last_seen_at=ts)
                self._last_update[key] = ts
            sighting.box = (box[0], box[1], box[2], box[3])
            sighting.last_seen_at = ts
            sighting.frames += 1
            sighting.confidence_sum += score
            if sighting.decided and ts - self._last_update[key] >= self.update_interval_s:
                self._last_update[key] = ts
                out.events.append(self._updated(sighting, score, ts))
                out.sightings.append(sighting)
        return out

    def _updated(self, s: Sighting, score: float, ts: float) -> ev.Event:
        return ev.TrackUpdated(
            camera_id=s.camera_id,
            track_id=s.track_id,
            person_id=s.person_id,
            box=ev.box_list(s.box),
            confidence=round(score, 3),
            captured_at=ev.iso(ts),
        ).to_json()

    def pending(self, camera_id: str) -> list[Sighting]:
        """Sessions of a camera still waiting for their person id."""
        return [s for (cam, _), s in self._live.items() if cam == camera_id and not s.decided]

    def session(self, camera_id: str, track_id: int) -> Sighting | None:
        """The live session of a track, if any."""
        return self._live.get((camera_id, track_id))

    def confirm(self, camera_id: str, track_id: int, person_id: str, ts: float) -> SessionOutput:
        """Give a pending session its person id: ``track.started`` and its first sighting row."""
        out = SessionOutput()
        sighting = self._live.get((camera_id, track_id))
        if sighting is None or sighting.decided:
            return out
        sighting.person_id = person_id
        self._last_update[(camera_id, track_id)] = ts
        out.events.append(
            ev.TrackStarted(
                camera_id=camera_id,
                track_id=track_id,
                person_id=person_id,
                box=ev.box_list(sighting.box),
                confidence=round(sighting.mean_confidence, 3),
                captured_at=ev.iso(ts),
                started_at=ev.iso(sighting.started_at),
            ).to_json()
        )
        out.sightings.append(sighting)
        return out

    def end(self, camera_id: str, track_ids: Iterable[int], ts: float) -> SessionOutput:
        """Close sessions: ``track.ended`` and the final sighting row of each decided one.

        A session still pending is dropped without events (decide it first to keep it).
        """
        out = SessionOutput()
        for tid in track_ids:
            sighting = self._live.pop((camera_id, tid), None)
            self._last_update.pop((camera_id, tid), None)
            if sighting is None or not sighting.decided:
                continue
            sighting.ended_at = sighting.last_seen_at
            out.sightings.append(sighting)
            out.events.append(
                ev.TrackEnded(
                    camera_id=camera_id,
                    track_id=tid,
                    person_id=sighting.person_id,
                    box=ev.box_list(sighting.box),
                    started_at=ev.iso(sighting.started_at),
                    duration_s=round(sighting.last_seen_at - sighting.started_at, 2),
                    frames=sighting.frames,
                ).to_json()
            )
        return out

    def end_camera(self, camera_id: str, ts: float) -> SessionOutput:
        """Close every live session of a camera (camera removed, stopped or offline)."""
        return self.end(camera_id, self.track_ids(camera_id), ts)

    def cameras(self) -> set[str]:
        """Cameras with live sessions."""
        return {cam for cam, _ in self._live}

    def track_ids(self, camera_id: str) -> list[int]:
        """Track ids of the live sessions (pending included) of a camera."""
        return [tid for (cam, tid) in self._live if cam == camera_id]

    def drop_person(self, person_id: str) -> list[tuple[str, int]]:
        """Forget every live session of a person without events (erasure); returns their keys."""
        keys = [k for k, s in self._live.items() if s.person_id == person_id]
        for key in keys:
            self._live.pop(key, None)
            self._last_update.pop(key, None)
        return keys

    def live_count(self, camera_id: str | None = None) -> int:
        """Open sessions (people tracked now, pending ones included), optionally of one camera."""
        if camera_id is None:
            return len(self._live)
        return sum(1 for cam, _ in self._live if cam == camera_id)

    def live_person_ids(self, camera_id: str | None = None) -> set[str]:
        """Person ids of the decided open sessions (of one camera, or all)."""
        return {
            s.person_id
            for (cam, _), s in self._live.items()
            if s.person_id is not None and (camera_id is None or cam == camera_id)
        }
