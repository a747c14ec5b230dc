"""The identity stage's footfall work: one site engine, staff, person ids → events and rows.

`FootfallStage` is what the IdentityActor holds (the actor stays a thin shell). Per frame it
feeds the `FootfallEngine` the frame's confirmed tracks and turns what the engine reports into
live events and store rows with the *person id* of each track:

- person ids come from the identity engine's own output for the same frame: a
  ``track.started`` event names the person a track was decided to be, a ``track.ended`` ends
  that link. A track is decided some frames after it appears (enough crops, or
  ``identity.decision_timeout_s``); what the engine reports for a track still undecided is
  *held* and released as soon as the decision comes, when the track ends (then without a
  person), or after `MAX_HOLD_S`. So a ``line.crossed`` event arrives at most a few seconds
  late, but names the person: staff can be left out and the funnel can follow people.
- staff (docs/footfall.md): a person entering a ``staff`` zone is staff for that local day
  (`StaffRegister`); manual marks come from the API. Live tracks of a staff person are flagged in
  the engine, which then leaves them out of its live zone and line counters; every event
  carries ``staff`` so consumers can do the same.
- occupancy changes carry no person and are published at once.

Everything is plain Python on the instance; time comes from the frames (capture time) and from
`tick`'s ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from pictag import events as ev
from pictag.config.geometry import LineConfig, ZoneConfig
from pictag.config.site import SiteConfig
from pictag.footfall.engine import FootfallEngine, FootfallSettings, FootfallSnapshot
from pictag.footfall.hours import OpeningHours
from pictag.footfall.outputs import FootfallEvent, LineCrossing, OccupancyChanged, ZoneEntered, ZoneLeft
from pictag.footfall.staff import StaffMark, StaffRegister
from pictag.messages import FrameTracks

#: Longest a record waits for its track's person id (seconds of frame time); then it goes without one.
MAX_HOLD_S = 10.0

TrackKey = tuple[str, int]
Attributable = LineCrossing | ZoneEntered | ZoneLeft


@dataclass
class FootfallOutput:
    """What one step produced: live events, and the rows to store (person ids filled in)."""

    events: list[ev.Event] = field(default_factory=list)
    crossings: list[LineCrossing] = field(default_factory=list)
    entries: list[ZoneEntered] = field(default_factory=list)
    leaves: list[ZoneLeft] = field(default_factory=list)

    def extend(self, other: FootfallOutput) -> None:
        """Append another output."""
        self.events.extend(other.events)
        self.crossings.extend(other.crossings)
        self.entries.extend(other.entries)
        self.leaves.extend(other.leaves)

    def __bool__(self) -> bool:
        return bool(self.events or self.crossings or self.entries or self.leaves)

    def forget_person(self, person_id: str) -> None:
        """Erasure of pending output: events naming the person go; rows keep their count, lose the person."""
        self.events = [e for e in self.events if e.get("person_id") != person_id]
        self.crossings = [replace(c, person_id=None) if c.person_id == person_id else c for c in self.crossings]
        self.entries = [replace(e, person_id=None) if e.person_id == person_id else e for e in self.entries]
        self.leaves = [replace(x, person_id=None) if x.person_id == person_id else x for x in self.leaves]


def crossing_event(c: LineCrossing, staff: bool) -> ev.Event:
    """``line.crossed`` {camera_id, line_id, direction, track_id, person_id, ts} (+ entrance, staff)."""
    return ev.LineCrossed(
        ts=c.ts,
        camera_id=c.camera_id,
        line_id=c.line_id,
        direction=c.direction,
        track_id=c.track_id,
        person_id=c.person_id,
        entrance=c.entrance,
        staff=staff,
    ).to_json()


def zone_entered_event(e: ZoneEntered, staff: bool) -> ev.Event:
    """``zone.entered`` {camera_id, zone_id, kind, track_id, person_id, ts, staff}."""
    return ev.ZoneEntered(
        ts=e.ts,
        camera_id=e.camera_id,
        zone_id=e.zone_id,
        kind=e.kind,
        track_id=e.track_id,
        person_id=e.person_id,
        staff=staff,
    ).to_json()


def zone_left_event(x: ZoneLeft, staff: bool) -> ev.Event:
    """``zone.left`` {camera_id, zone_id, kind, track_id, person_id, ts, entered_at, dwell_s, reason, staff}."""
    return ev.ZoneLeft(
        ts=x.ts,
        camera_id=x.camera_id,
        zone_id=x.zone_id,
        kind=x.kind,
        track_id=x.track_id,
        person_id=x.person_id,
        entered_at=ev.iso(x.entered_ts),
        dwell_s=round(x.dwell_s, 2),
        reason=x.reason,
        staff=staff,
    ).to_json()


def occupancy_event(o: OccupancyChanged) -> ev.Event:
    """``occupancy.changed`` {occupancy, previous, reason, ts} for the whole site."""
    return ev.OccupancyChanged(ts=o.ts, occupancy=o.occupancy, previous=o.previous, reason=o.reason).to_json()


class FootfallStage:
    """Site footfall for the identity stage: engine, staff register, person ids (module docstring)."""

    def __init__(self, site: SiteConfig | None = None, day_start_hour: int = 0, now: float | None = None) -> None:
        site = site or SiteConfig()
        self.hours = OpeningHours.from_config(site)
        self.engine = FootfallEngine(FootfallSettings.from_config(site), self.hours, now)
        self.staff = StaffRegister(self.hours, day_start_hour)
        self._person: dict[TrackKey, str | None] = {}  # decided tracks (None: decided, anonymous)
        self._held: dict[TrackKey, list[tuple[float, Attributable]]] = {}
        self._day: dt.date | None = None

    # ---- cameras ------------------------------------------------------------------------
    def set_camera(self, camera_id: str, lines: Sequence[LineConfig], zones: Sequence[ZoneConfig]) -> FootfallOutput:
        """A camera started, or its lines and zones were edited (unchanged ones keep their state)."""
        out = FootfallOutput()
        self._route(self.engine.set_camera(camera_id, lines, zones), None, out)
        return out

    def forget_camera(self, camera_id: str, identity_events: Iterable[ev.Event] = ()) -> FootfallOutput:
        """The camera stopped: close its zone presences, release what waits for its tracks.

        Args:
            identity_events: the identity engine's events of closing the camera's sessions
                (pending tracks are decided then, so their records get their person).
        """
        self._learn_starts(list(identity_events))
        out = FootfallOutput()
        self._route(self.engine.forget_camera(camera_id), None, out)
        for key in [k for k in self._held if k[0] == camera_id]:
            self._release(key, out)
        for key in [k for k in self._person if k[0] == camera_id]:
            del self._person[key]
        return out

    # ---- per frame ----------------------------------------------------------------------
    def observe(self, frame: FrameTracks, identity_events: Iterable[ev.Event] = ()) -> FootfallOutput:
        """One analysed frame, after the identity engine folded it in.

        Args:
            frame: the frame's confirmed tracks and the track ids that ended in it.
            identity_events: the identity engine's events of the same step (``track.started``
                and ``track.ended`` give the person of each track).
        """
        cam, ts = frame.camera_id, frame.captured_at
        events = list(identity_events)
        started = self._learn_starts(events)
        found = self.engine.observe(cam, ts, frame.tracks.track_id, frame.tracks.xyxy, frame.ended)
        for key in started:
            pid = self._person.get(key)
            if pid is not None and self.staff.is_staff(pid, ts):
                self.engine.mark_staff_track(key[0], key[1], True)
        out = FootfallOutput()
        for key in started:
            self._release(key, out)
        self._route(found, ts, out)
        for tid in frame.ended:
            self._release((cam, tid), out)
            self._person.pop((cam, tid), None)
        self._learn_ends(events)
        self._release_stale(ts - MAX_HOLD_S, out)
        return out

    def tick(self, now: float) -> FootfallOutput:
        """About once a second: a due occupancy reset, records held too long, a new day for staff."""
        out = FootfallOutput()
        self._route(self.engine.tick(now), now, out)
        self._release_stale(now - MAX_HOLD_S, out)
        today = self.staff.day(now)
        if self._day != today:
            self._day = today
            self.staff.forget_before(today - dt.timedelta(days=1))
        return out

    def _learn_starts(self, events: list[ev.Event]) -> list[TrackKey]:
        keys: list[TrackKey] = []
        for e in events:
            if e.get("type") == ev.TRACK_STARTED and e.get("track_id") is not None:
                key = (str(e["camera_id"]), int(e["track_id"]))
                self._person[key] = e.get("person_id")
                keys.append(key)
        return keys

    def _learn_ends(self, events: list[ev.Event]) -> None:
        """A session ended (track lost and taken over, or split): the track waits for a new decision."""
        for e in events:
            if e.get("type") == ev.TRACK_ENDED and e.get("track_id") is not None:
                key = (str(e["camera_id"]), int(e["track_id"]))
                if key in self._person and self._person[key] == e.get("person_id"):
                    del self._person[key]

    def _route(self, found: Iterable[FootfallEvent], ts: float | None, out: FootfallOutput) -> None:
        for item in found:
            if isinstance(item, OccupancyChanged):
                out.events.append(occupancy_event(item))
                continue
            key = (item.camera_id, item.track_id)
            if key in self._person:
                self._release(key, out)
                self._emit(item, self._person[key], out)
            elif ts is None:  # camera edits and stops: nothing more will decide it
                self._release(key, out)
                self._emit(item, None, out)
            else:
                self._held.setdefault(key, []).append((ts, item))

    def _release(self, key: TrackKey, out: FootfallOutput) -> None:
        for _, item in self._held.pop(key, []):
            self._emit(item, self._person.get(key), out)

    def _release_stale(self, before: float, out: FootfallOutput) -> None:
        for key in [k for k, items in self._held.items() if items[0][0] < before]:
            self._release(key, out)

    def _emit(self, item: Attributable, person_id: str | None, out: FootfallOutput) -> None:
        record = replace(item, person_id=person_id)
        if isinstance(record, LineCrossing):
            out.crossings.append(record)
            out.events.append(crossing_event(record, self._is_staff(person_id, record.ts)))
        elif isinstance(record, ZoneEntered):
            if record.kind == "staff" and person_id is not None and self.staff.seen_in_staff_zone(person_id, record.ts):
                self._flag_person(person_id, True)
            out.entries.append(record)
            out.events.append(zone_entered_event(record, self._is_staff(person_id, record.ts)))
        else:
            out.leaves.append(record)
            out.events.append(zone_left_event(record, self._is_staff(person_id, record.entered_ts)))

    def _is_staff(self, person_id: str | None, ts: float) -> bool:
        return person_id is not None and self.staff.is_staff(person_id, ts)

    def _flag_person(self, person_id: str, staff: bool) -> None:
        for (cam, tid), pid in self._person.items():
            if pid == person_id:
                self.engine.mark_staff_track(cam, tid, staff)

    # ---- staff and erasure ---------------------------------------------------------------
    def load_staff(self, marks: Iterable[StaffMark], staff_zone_entries: Iterable[ZoneEntered]) -> None:
        """At start-up: stored manual marks and recent staff-zone entries."""
        for m in marks:
            self.staff.mark(m)
        for e in staff_zone_entries:
            if e.kind == "staff" and e.person_id is not None:
                self.staff.seen_in_staff_zone(e.person_id, e.ts)

    def mark(self, mark: StaffMark, now: float) -> bool:
        """Apply a manual mark (or unmark); returns whether the person is staff today now."""
        self.staff.mark(mark)
        return self._refresh(mark.person_id, now)

    def clear_mark(self, person_id: str, day: dt.date | None, now: float) -> bool:
        """Remove a manual decision (the zone rule applies again); returns whether staff today."""
        self.staff.clear_mark(person_id, day)
        return self._refresh(person_id, now)

    def _refresh(self, person_id: str, now: float) -> bool:
        staff = self.staff.is_staff(person_id, now)
        self._flag_person(person_id, staff)
        return staff

    def erase(self, person_id: str) -> None:
        """Forget a person: staff marks and sightings go, their live tracks go on anonymously."""
        self._flag_person(person_id, False)
        self.staff.forget_person(person_id)
        for key, pid in self._person.items():
            if pid == person_id:
                self._person[key] = None

    # ---- live figures -------------------------------------------------------------------
    def snapshot(self, now: float) -> FootfallSnapshot:
        """The engine's live figures (occupancy, line counters, zone counts, queue waits)."""
        return self.engine.snapshot(now)

    def staff_reload_since(self, now: float) -> float:
        """Start of yesterday's local day: staff-zone entries since then matter for staff today."""
        return self.hours.day_start(self.staff.day(now) - dt.timedelta(days=1), self.staff.day_start_hour)

    def staff_today(self, now: float) -> tuple[dt.date, frozenset[str]]:
        """The current local day and who is staff on it."""
        day = self.staff.day(now)
        return day, self.staff.staff_on(day)
