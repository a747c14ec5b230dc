"""The identity engine on synthetic appearances: matching, exclusivity, learning, visits, expiry."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from pictag.identity.engine import EngineSettings, IdentityEngine, day_start
from tests.unit.identity.conftest import People, frame

#: A Monday 10:00 local time: far from the day boundary.
T0 = datetime(2026, 11, 23, 10, 0, 0).timestamp()


def _engine(**kw: object) -> IdentityEngine:
    settings = dict(threshold=0.6, min_crops=3, decision_timeout_s=2.0, visit_gap_s=600.0, update_margin=0.1)
    settings.update(kw)
    return IdentityEngine(EngineSettings(**settings))  # type: ignore[arg-type]


def _types(out: object) -> list[str]:
    return [e["type"] for e in out.events]  # type: ignore[attr-defined]


def test_track_waits_for_crops_then_creates_identity_and_visit(people: People) -> None:
    eng = _engine()
    out = eng.observe(frame("a", T0, [1]))
    assert out.events == []  # pending: no crops yet
    out = eng.observe(frame("a", T0 + 0.1, [1], appearance={1: people.appearance("ann", 3)}))
    assert _types(out) == ["identity.created", "visit.started", "track.started"]
    person = out.events[0]["person_id"]
    assert out.events[2]["person_id"] == person and out.events[1]["returning"] is False
    assert out.identities[person].n_sightings == 1
    assert out.prototypes[person].shape == (3, 32)
    [visit] = out.visits.values()
    assert visit.person_id == person and visit.started_at == T0 and visit.cameras == ("a",)


def test_same_person_on_two_cameras_gets_one_identity(people: People) -> None:
    eng = _engine()
    a = eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    b = eng.observe(frame("b", T0 + 5, [1], appearance={1: people.appearance("ann")}))
    created = a.events[0]["person_id"]
    assert _types(b)[0] == "identity.matched"
    assert b.events[0]["person_id"] == created and b.events[0]["similarity"] >= 0.6
    assert eng.visits.open_visit(created).cameras == {"a", "b"}
    assert len(eng.gallery) == 1


def test_two_people_visible_together_never_share_an_identity(people: People) -> None:
    # Threshold -1: every pair "matches", only exclusivity keeps them apart.
    eng = _engine(threshold=-1.0)
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    out = eng.observe(
        frame(
            "a",
            T0 + 1,
            [1, 2, 3],
            appearance={2: people.appearance("bob"), 3: people.appearance("cy")},
        )
    )
    ids = {e["person_id"] for e in out.events if e["type"] == "track.started"}
    first = eng.sessions.session("a", 1).person_id
    assert len(ids) == 2 and first not in ids


def test_joint_assignment_gives_each_track_its_best_identity(people: People) -> None:
    eng = _engine(threshold=0.3)
    eng.observe(frame("a", T0, [1, 2], appearance={1: people.appearance("ann"), 2: people.appearance("bob")}))
    ann, bob = eng.sessions.session("a", 1).person_id, eng.sessions.session("a", 2).person_id
    eng.observe(frame("a", T0 + 1, [], ended=(1, 2)))
    out = eng.observe(
        frame(
            "b",
            T0 + 2,
            [5, 6],
            appearance={5: people.appearance("bob"), 6: people.appearance("ann")},
        )
    )
    got = {e["track_id"]: e["person_id"] for e in out.events if e["type"] == "identity.matched"}
    assert got == {5: bob, 6: ann}


def test_a_new_track_takes_over_the_identity_of_a_lost_track_of_the_same_camera(
    people: People,
) -> None:
    eng = _engine()
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    ann = eng.sessions.session("a", 1).person_id
    # Track 1 is lost (not in the frame, not ended); the same person comes back as track 2.
    out = eng.observe(frame("a", T0 + 3, [2], appearance={2: people.appearance("ann")}))
    assert _types(out) == ["identity.matched", "track.ended", "track.started"]
    assert out.events[1]["track_id"] == 1 and out.events[2]["person_id"] == ann
    assert eng.sessions.session("a", 1) is None


def test_decision_timeout_without_crops_creates_an_identity_without_prototypes() -> None:
    eng = _engine()
    eng.observe(frame("a", T0, [1]))
    assert eng.observe(frame("a", T0 + 1.0, [1])).events == []
    out = eng.observe(frame("a", T0 + 2.5, [1]))
    assert _types(out)[0] == "identity.created" and out.events[0]["crops"] == 0
    person = out.events[0]["person_id"]
    assert not eng.gallery.is_active(person) and person not in out.prototypes


def test_a_track_ending_undecided_is_decided_first(people: People) -> None:
    eng = _engine()
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann", crops=1)}))
    out = eng.observe(frame("a", T0 + 0.5, [], ended=(1,)))
    assert _types(out) == ["identity.created", "visit.started", "track.started", "track.ended"]


def test_reid_off_gives_every_track_a_new_identity(people: People) -> None:
    eng = _engine(reid_enabled=False)
    a = eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    b = eng.observe(frame("b", T0 + 1, [1], appearance={1: people.appearance("ann")}))
    assert _types(a)[0] == _types(b)[0] == "identity.created"
    assert a.events[0]["person_id"] != b.events[0]["person_id"]


def test_prototypes_learn_only_from_confident_matches(people: People) -> None:
    eng = _engine(threshold=0.5, update_margin=0.3)
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    ann = eng.sessions.session("a", 1).person_id
    eng.observe(frame("a", T0 + 1, [], ended=(1,)))
    before = eng.gallery.prototypes(ann).copy()
    # A weak match (similarity ~0.6-0.7: between threshold and threshold + margin).
    weak = people.appearance("ann")
    weak_mean = before.mean(axis=0) + 0.9 * people.look("zed")[0]
    weak_mean /= np.linalg.norm(weak_mean)
    weak = type(weak)(weak_mean.astype(np.float32), weak_mean[None, :].astype(np.float32), 3, 0, T0)
    out = eng.observe(frame("b", T0 + 2, [4], appearance={4: weak}))
    assert out.events[0]["type"] == "identity.matched" and out.events[0]["similarity"] < 0.8
    out = eng.observe(frame("b", T0 + 3, [], ended=(4,)))
    np.testing.assert_array_equal(eng.gallery.prototypes(ann), before)
    assert ann not in out.prototypes
    # A confident match adds the track's (different, still same-person) prototypes.
    eng.observe(frame("c", T0 + 4, [9], appearance={9: people.appearance("ann", crops=4)}))
    out = eng.observe(frame("c", T0 + 5, [], ended=(9,)))
    assert out.prototypes[ann].shape[0] == 4 and eng.counters["learned"] == 1


def test_visit_closes_after_the_gap_and_the_return_is_a_returning_visit(people: People) -> None:
    eng = _engine(visit_gap_s=60.0)
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    ann = eng.sessions.session("a", 1).person_id
    eng.observe(frame("a", T0 + 10, [1]))
    eng.observe(frame("a", T0 + 11, [], ended=(1,)))
    assert _types(eng.tick(T0 + 60)) == []  # 50 s unseen: still inside the gap
    out = eng.tick(T0 + 71)
    [ended] = [e for e in out.events if e["type"] == "visit.ended"]
    assert ended["person_id"] == ann and ended["dwell_s"] == 10.0 and ended["cameras"] == ["a"]
    [row] = out.visits.values()
    assert row.closed and row.ended_at == T0 + 10
    out = eng.observe(frame("b", T0 + 300, [2], appearance={2: people.appearance("ann")}))
    started = [e for e in out.events if e["type"] == "visit.started"]
    assert started[0]["person_id"] == ann and started[0]["returning"] is True


def test_a_live_track_keeps_its_visit_open(people: People) -> None:
    eng = _engine(visit_gap_s=5.0)
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    # Lost (not seen) but not ended for longer than the gap: the visit stays open.
    assert eng.tick(T0 + 30).events == []


def test_identities_expire_at_the_day_start_unless_cross_day(people: People) -> None:
    for cross_day, expected in ((False, "identity.created"), (True, "identity.matched")):
        eng = _engine(visit_gap_s=60.0, cross_day_reid=cross_day)
        eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
        ann = eng.sessions.session("a", 1).person_id
        eng.observe(frame("a", T0 + 1, [], ended=(1,)))
        eng.tick(T0 + 100)  # the visit closes
        tomorrow = T0 + 86400
        out = eng.tick(tomorrow)
        if not cross_day:
            assert out.prototypes[ann].shape[0] == 0  # embeddings erased in the store
            assert ann not in eng.gallery
        out = eng.observe(frame("a", tomorrow + 1, [1], appearance={1: people.appearance("ann")}))
        assert out.events[0]["type"] == expected


def test_reload_skips_yesterday_without_cross_day(people: People) -> None:
    protos = [people.look("ann", 2), people.look("bob", 2)]
    eng = _engine()
    expired = eng.load(["p_old", "p_new"], [T0 - 86400, T0 - 60], [3, 1], protos, [], now=T0)
    assert expired == ["p_old"] and eng.gallery.ids == ["p_new"]
    out = eng.observe(frame("a", T0, [1], appearance={1: people.appearance("bob")}))
    assert out.events[0]["type"] == "identity.matched" and out.events[0]["person_id"] == "p_new"


def test_erase_forgets_the_identity_and_ignores_its_live_track(people: People) -> None:
    eng = _engine()
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    ann = eng.sessions.session("a", 1).person_id
    assert eng.erase(ann) and ann not in eng.gallery
    assert eng.observe(frame("a", T0 + 1, [1])).events == []  # still in view, but forgotten
    assert eng.observe(frame("a", T0 + 2, [], ended=(1,))).events == []
    assert not eng.erase("p_unknown")


@pytest.mark.parametrize(
    ("hour", "clock", "expected"),
    [
        (4, (2026, 11, 23, 10, 0), (2026, 11, 23, 4, 0)),
        (4, (2026, 11, 23, 3, 59), (2026, 11, 22, 4, 0)),
        (0, (2026, 11, 23, 0, 0), (2026, 11, 23, 0, 0)),
    ],
)
def test_day_start(hour: int, clock: tuple[int, ...], expected: tuple[int, ...]) -> None:
    assert day_start(datetime(*clock).timestamp(), hour) == datetime(*expected).timestamp()


def test_reid_off_ignores_appearance_changes(people: People) -> None:
    eng = _engine(reid_enabled=False)
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    switched = people.appearance("bob")
    switched = type(switched)(switched.mean, switched.prototypes, 2, 0, T0 + 1, generation=1)
    out = eng.observe(frame("a", T0 + 1, [1], appearance={1: switched}))
    assert _types(out) == ["track.updated"] and eng.counters["splits"] == 0


def test_a_tracker_switch_closes_the_session_and_decides_the_new_person(people: People) -> None:
    eng = _engine()
    eng.observe(frame("a", T0, [1], appearance={1: people.appearance("ann")}))
    ann = eng.sessions.session("a", 1).person_id
    switched = people.appearance("bob")
    switched = type(switched)(switched.mean, switched.prototypes, 3, 0, T0 + 1, generation=1)
    out = eng.observe(frame("a", T0 + 1, [1], appearance={1: switched}))
    assert _types(out)[:2] == ["track.ended", "identity.created"]
    assert out.events[0]["person_id"] == ann and eng.sessions.session("a", 1).person_id != ann


def test_a_restarted_tracker_ends_the_old_tracks_sessions(people: People) -> None:
    """Track ids start over when the camera's detector restarts: old sessions must not stay open forever."""
    from dataclasses import replace

    eng = IdentityEngine(EngineSettings(threshold=0.5, min_crops=1))
    first = frame("a", T0, [1], appearance={1: people.appearance("ann")})
    eng.observe(replace(first, frame=replace(first.frame, epoch="old")))
    assert eng.sessions.live_count("a") == 1
    again = frame("a", T0 + 5, [1], appearance={1: people.appearance("ann")})
    out = eng.observe(replace(again, frame=replace(again.frame, epoch="new")))
    ended = [e for e in out.events if e["type"] == "track.ended"]
    assert len(ended) == 1 and eng.sessions.live_count("a") == 1  # the new epoch's track 1 lives on
