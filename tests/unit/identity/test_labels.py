"""LiveLabels: the person ids the previews draw, folded from the identity stage's events."""

from __future__ import annotations

from pictag.events import make_event
from pictag.identity.labels import LiveLabels, labels_channel


def started(camera: str, track: int, person: str) -> dict[str, object]:
    return make_event("track.started", camera_id=camera, track_id=track, person_id=person)


def ended(camera: str, track: int) -> dict[str, object]:
    return make_event("track.ended", camera_id=camera, track_id=track, person_id="p_x")


def test_started_tracks_are_labelled_and_only_changed_cameras_are_reported() -> None:
    labels = LiveLabels()
    changed = labels.fold([started("door", 1, "p_a"), started("door", 2, "p_b"), started("till", 7, "p_a")])
    assert changed == {"door": {1: "p_a", 2: "p_b"}, "till": {7: "p_a"}}
    assert labels.fold([make_event("camera.status", camera_id="door", status="live")]) == {}
    assert labels.fold([ended("door", 1)]) == {"door": {2: "p_b"}}  # the camera's full labels, not a diff


def test_an_end_of_an_unlabelled_track_changes_nothing() -> None:
    labels = LiveLabels()
    assert labels.fold([ended("door", 3)]) == {}
    assert labels.fold([started("door", 3, "")]) == {}  # a pending session has no person id yet


def test_returned_labels_are_copies() -> None:
    labels = LiveLabels()
    got = labels.fold([started("door", 1, "p_a")])
    got["door"][1] = "p_zzz"
    assert labels.fold([started("door", 2, "p_b")]) == {"door": {1: "p_a", 2: "p_b"}}
    assert labels_channel("door") == "labels:door"
