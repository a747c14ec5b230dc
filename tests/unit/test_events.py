"""Typed events: each kind serialises to the JSON object the WebSocket and the store always got."""

from __future__ import annotations

from typing import Any

import pytest

from pictag import events as ev

T = 1_764_000_000.25
WHEN = ev.iso(T)

CASES: list[tuple[ev.TypedEvent, dict[str, Any]]] = [
    (
        ev.TrackStarted(
            ts=T, camera_id="door", track_id=3, person_id="p_1", box=[1.0, 2.0, 3.0, 4.0],
            confidence=0.9, captured_at=WHEN, started_at=WHEN,
        ),
        {"camera_id": "door", "track_id": 3, "person_id": "p_1", "box": [1.0, 2.0, 3.0, 4.0],
         "confidence": 0.9, "captured_at": WHEN, "started_at": WHEN},
    ),
    (
        ev.TrackUpdated(
            ts=T, camera_id="door", track_id=3, person_id="p_1", box=[1.0, 2.0, 3.0, 4.0],
            confidence=0.9, captured_at=WHEN,
        ),
        {"camera_id": "door", "track_id": 3, "person_id": "p_1", "box": [1.0, 2.0, 3.0, 4.0],
         "confidence": 0.9, "captured_at": WHEN},
    ),
    (
        ev.TrackEnded(
            ts=T, camera_id="door", track_id=3, person_id=None, box=[1.0, 2.0, 3.0, 4.0],
            started_at=WHEN, duration_s=2.5, frames=10,
        ),
        {"camera_id": "door", "track_id": 3, "person_id": None, "box": [1.0, 2.0, 3.0, 4.0],
         "started_at": WHEN, "duration_s": 2.5, "frames": 10},
    ),
    (
        ev.CameraStatusChanged(
            ts=T, camera_id="door", name="Door", status="live", reason_code=None, reason=None, since=WHEN
        ),
        {"camera_id": "door", "name": "Door", "status": "live", "reason_code": None, "reason": None, "since": WHEN},
    ),
    (
        ev.IdentityMatched(ts=T, camera_id="door", track_id=3, person_id="p_1", similarity=0.8, threshold=0.6, crops=4),
        {"camera_id": "door", "track_id": 3, "person_id": "p_1", "similarity": 0.8, "threshold": 0.6, "crops": 4},
    ),
    (
        ev.IdentityCreated(ts=T, camera_id="door", track_id=3, person_id="p_1", best_similarity=None, crops=4),
        {"camera_id": "door", "track_id": 3, "person_id": "p_1", "best_similarity": None, "crops": 4},
    ),
    (
        ev.VisitStarted(ts=T, camera_id="door", person_id="p_1", visit_id="v_1", started_at=WHEN, returning=False),
        {"camera_id": "door", "person_id": "p_1", "visit_id": "v_1", "started_at": WHEN, "returning": False},
    ),
    (
        ev.VisitEnded(
            ts=T, person_id="p_1", visit_id="v_1", started_at=WHEN, ended_at=WHEN, dwell_s=0.0, cameras=["door"]
        ),
        {"person_id": "p_1", "visit_id": "v_1", "started_at": WHEN, "ended_at": WHEN, "dwell_s": 0.0,
         "cameras": ["door"]},
    ),
    (
        ev.LineCrossed(
            ts=T, camera_id="door", line_id="l1", direction="in", track_id=3, person_id="p_1",
            entrance=True, staff=False,
        ),
        {"camera_id": "door", "line_id": "l1", "direction": "in", "track_id": 3, "person_id": "p_1",
         "entrance": True, "staff": False},
    ),
    (
        ev.ZoneEntered(ts=T, camera_id="door", zone_id="z", kind="queue", track_id=3, person_id=None, staff=False),
        {"camera_id": "door", "zone_id": "z", "kind": "queue", "track_id": 3, "person_id": None, "staff": False},
    ),
    (
        ev.ZoneLeft(
            ts=T, camera_id="door", zone_id="z", kind="area", track_id=3, person_id="p_1", entered_at=WHEN,
            dwell_s=1.5, reason="walked_out", staff=True,
        ),
        {"camera_id": "door", "zone_id": "z", "kind": "area", "track_id": 3, "person_id": "p_1",
         "entered_at": WHEN, "dwell_s": 1.5, "reason": "walked_out", "staff": True},
    ),
    (
        ev.OccupancyChanged(ts=T, occupancy=3, previous=2, reason="crossing"),
        {"occupancy": 3, "previous": 2, "reason": "crossing"},
    ),
    (
        ev.StageDown(ts=T, stage="detector@head", kind="detector", node=None, reason="died", cameras=["door"]),
        {"stage": "detector@head", "kind": "detector", "node": None, "reason": "died", "cameras": ["door"]},
    ),
    (
        ev.StageUp(ts=T, stage="detector@head", kind="detector", node="n1", reason=None, cameras=[]),
        {"stage": "detector@head", "kind": "detector", "node": "n1", "reason": None, "cameras": []},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("event", "body"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_typed_event_is_the_make_event_object(event: ev.TypedEvent, body: dict[str, Any]) -> None:
    out = event.to_json()
    assert out == ev.make_event(event.TYPE, T, **body)
    assert list(out) == ["type", "ts", "ts_unix", *body]  # same keys in the same order
    assert out["type"] in ev.EVENT_TYPES and out["ts"] == WHEN and out["ts_unix"] == T


def test_every_typed_kind_is_covered() -> None:
    kinds = {type(e) for e, _ in CASES}
    assert kinds == {cls for cls in _subclasses(ev.TypedEvent)}


def test_events_are_frozen_and_default_to_now() -> None:
    event = ev.OccupancyChanged(occupancy=1, previous=0, reason="reset")
    with pytest.raises(AttributeError):
        event.occupancy = 2  # type: ignore[misc]
    assert event.to_json()["ts_unix"] > T


def _subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub, *_subclasses(sub)}
    return out


def test_alert_transitions_are_their_events() -> None:
    from pictag.alerts import AlertCleared, AlertRaised

    alert = dict(
        alert_id="busy/site@1",
        rule_id="busy",
        kind="occupancy_above",
        subject="site",
        camera_id=None,
        zone_id=None,
        notify=("dashboard",),
    )
    raised = AlertRaised(**alert, value=9.0, threshold=8.0, since=T - 60, ts=T)  # type: ignore[arg-type]
    assert raised.to_json() == ev.make_event(ev.ALERT_RAISED, T, **raised.payload())
    cleared = AlertCleared(**alert, value=3.0, raised_at=T, ts=T + 90, reason="recovered")  # type: ignore[arg-type]
    out = cleared.to_json()
    assert out["type"] == ev.ALERT_CLEARED and out["ts_unix"] == T + 90 and out["duration_s"] == 90.0
