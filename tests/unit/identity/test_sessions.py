"""Track sessions: events and sightings from per-frame tracking results."""

from __future__ import annotations

import numpy as np

from pictag.detections import Detections
from pictag.identity.sessions import TrackSessions
from pictag.messages import FrameTracks


def _tracks(ids: list[int]) -> Detections:
    n = len(ids)
    boxes = np.array([[10 * i, 0, 10 * i + 5, 20] for i in ids], np.float32).reshape(n, 4)
    return Detections(boxes, np.full(n, 0.9, np.float32), np.zeros(n, np.int64), np.array(ids, np.int64))


def _frame(ts: float, ids: list[int], ended: tuple[int, ...] = ()) -> FrameTracks:
    return FrameTracks(camera_id="cam", captured_at=ts, tracks=_tracks(ids), started=(), ended=ended)


def test_started_updated_throttled_and_ended() -> None:
    sessions = TrackSessions(update_interval_s=1.0, assign=lambda cam, tid: f"person-{tid}")
    out = sessions.observe(_frame(0.0, [1, 2]))
    assert [e["type"] for e in out.events] == ["track.started", "track.started"]
    assert {e["person_id"] for e in out.events} == {"person-1", "person-2"}
    assert all(e["camera_id"] == "cam" and len(e["box"]) == 4 for e in out.events)
    assert sessions.observe(_frame(0.5, [1, 2])).events == []  # throttled
    out = sessions.observe(_frame(1.1, [1]))
    assert [(e["type"], e["track_id"]) for e in out.events] == [("track.updated", 1)]
    out = sessions.observe(_frame(1.2, [1], ended=(2,)))
    assert [(e["type"], e["track_id"]) for e in out.events] == [("track.ended", 2)]
    ended = out.sightings[-1]
    assert ended.ended_at == 0.5 and ended.frames == 2 and ended.person_id == "person-2"
    assert sessions.live_count("cam") == 1


def test_end_camera_closes_every_live_session() -> None:
    sessions = TrackSessions()
    sessions.observe(_frame(0.0, [1, 2, 3]))
    out = sessions.end_camera("cam", 5.0)
    assert sorted(e["track_id"] for e in out.events) == [1, 2, 3]
    assert sessions.live_count() == 0


def test_random_person_ids_are_distinct() -> None:
    sessions = TrackSessions()
    out = sessions.observe(_frame(0.0, list(range(1, 50))))
    assert len({e["person_id"] for e in out.events}) == 49


def test_pending_sessions_wait_silently_until_confirmed() -> None:
    sessions = TrackSessions(update_interval_s=0.5)
    assert sessions.update(_frame(0.0, [7])).events == []
    assert sessions.update(_frame(1.0, [7])).events == []  # pending: no track.updated either
    [pending] = sessions.pending("cam")
    assert pending.track_id == 7 and pending.frames == 2 and pending.person_id is None
    out = sessions.confirm("cam", 7, "p_x", 1.0)
    [started] = out.events
    assert started["type"] == "track.started" and started["person_id"] == "p_x"
    assert started["started_at"].startswith("1970-01-01T00:00:00.000")
    assert out.sightings[0].started_at == 0.0
    assert sessions.pending("cam") == []
    assert [e["type"] for e in sessions.update(_frame(1.6, [7])).events] == ["track.updated"]


def test_a_pending_session_that_ends_undecided_leaves_no_trace() -> None:
    sessions = TrackSessions()
    sessions.update(_frame(0.0, [3]))
    out = sessions.end("cam", [3], 1.0)
    assert out.events == [] and out.sightings == [] and sessions.live_count() == 0
