"""Track sessions: turn per-frame tracking results into events and sighting rows.

A *session* is one confirmed track on one camera. It gets a person id when it
starts (from an `IdentityAssigner`: a fresh random id, or a gallery match once
re-identification is on), emits ``track.started``, throttled ``track.updated``
and ``track.ended`` events, and produces one sighting row that is upserted as
the track lives.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from pictag import events as ev
from pictag.detections import Detections

#: Chooses the person id of a newly confirmed track: (camera_id, track_id) -> person id.
IdentityAssigner = Callable[[str, int], str]


def new_person_id() -> str:
    """A random, meaningless person id (no link to any personal attribute)."""
    return "p_" + secrets.token_hex(6)


@dataclass
class Sighting:
    """One confirmed track on one camera: the row stored in ``sightings``."""

    camera_id: str
    track_id: int
    person_id: str
    started_at: float
    last_seen_at: float
    ended_at: float | None = None
    frames: int = 0
    confidence_sum: float = 0.0
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    @property
    def key(self) -> str:
        """Stable unique key of the sighting (camera, track, start time)."""
        return f"{self.camera_id}:{self.track_id}:{self.started_at:.3f}"

    @property
    def mean_confidence(self) -> float:
        """Average detector score over the matched frames."""
        return self.confidence_sum / self.frames if self.frames else 0.0


@dataclass
class FrameTracks:
    """What the tracking stage reports for one frame of one camera."""

    camera_id: str
    captured_at: float
    tracks: Detections
    started: tuple[int, ...] = ()
    ended: tuple[int, ...] = ()


@dataclass
class SessionOutput:
    """Events to publish and sightings to upsert after one frame."""

    events: list[ev.Event] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)


class TrackSessions:
    """Live sessions of every camera, keyed by (camera_id, track_id).

    All state is on the instance: one identity actor serves every camera.
    """

    def __init__(self, update_interval_s: float = 1.0, assign: IdentityAssigner | None = None) -> None:
        self.update_interval_s = update_interval_s
        self._assign = assign or (lambda camera_id, track_id: new_person_id())
        self._live: dict[tuple[str, int], Sighting] = {}
        self._last_update: dict[tuple[str, int], float] = {}

    def _start(self, camera_id: str, track_id: int, ts: float) -> Sighting:
        person = self._assign(camera_id, track_id)
        sighting = Sighting(camera_id, track_id, person, started_at=ts, last_seen_at=ts)
        self._live[(camera_id, track_id)] = sighting
        self._last_update[(camera_id, track_id)] = ts
        return sighting

    def observe(self, frame: FrameTracks) -> SessionOutput:
        """Fold one frame's tracks into the sessions; return events and changed sightings."""
        out = SessionOutput()
        cam, ts = frame.camera_id, frame.captured_at
        tracks = frame.tracks
        for i, tid in enumerate(tracks.track_id.tolist()):
            key = (cam, tid)
            sighting = self._live.get(key)
            is_new = sighting is None
            if sighting is None:
                sighting = self._start(cam, tid, ts)
            box = tuple(float(v) for v in tracks.xyxy[i])
            sighting.box = box  # type: ignore[assignment]
            sighting.last_seen_at = ts
            sighting.frames += 1
            sighting.confidence_sum += float(tracks.confidence[i])
            common = {
                "camera_id": cam,
                "track_id": tid,
                "person_id": sighting.person_id,
                "box": ev.box_list(box),
                "confidence": round(float(tracks.confidence[i]), 3),
                "captured_at": ev.iso(ts),
            }
            if is_new:
                out.events.append(ev.make_event(ev.TRACK_STARTED, **common))
                out.sightings.append(sighting)
            elif ts - self._last_update[key] >= self.update_interval_s:
                self._last_update[key] = ts
                out.events.append(ev.make_event(ev.TRACK_UPDATED, **common))
                out.sightings.append(sighting)
        out.events.extend(self._end(cam, frame.ended, ts, out))
        return out

    def _end(self, cam: str, ended: Iterable[int], ts: float, out: SessionOutput) -> list[ev.Event]:
        events = []
        for tid in ended:
            sighting = self._live.pop((cam, tid), None)
            self._last_update.pop((cam, tid), None)
            if sighting is None:
                continue
            sighting.ended_at = sighting.last_seen_at
            out.sightings.append(sighting)
            events.append(
                ev.make_event(
                    ev.TRACK_ENDED,
                    camera_id=cam,
                    track_id=tid,
                    person_id=sighting.person_id,
                    box=ev.box_list(sighting.box),
                    started_at=ev.iso(sighting.started_at),
                    duration_s=round(sighting.last_seen_at - sighting.started_at, 2),
                    frames=sighting.frames,
                )
            )
        return events

    def end_camera(self, camera_id: str, ts: float) -> SessionOutput:
        """Close every live session of a camera (camera removed, stopped or offline)."""
        out = SessionOutput()
        tids = [tid for (cam, tid) in self._live if cam == camera_id]
        out.events.extend(self._end(camera_id, tids, ts, out))
        return out

    def live_count(self, camera_id: str | None = None) -> int:
        """Open sessions (people currently tracked), optionally for one camera."""
        if camera_id is None:
            return len(self._live)
        return sum(1 for cam, _ in self._live if cam == camera_id)

    def live_person_ids(self, camera_id: str) -> np.ndarray:
        """Person ids of the open sessions of a camera."""
        return np.array([s.person_id for (cam, _), s in self._live.items() if cam == camera_id])
