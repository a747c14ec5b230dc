"""Records declare their times: the API renders exactly the declared fields as ISO-8601."""

from __future__ import annotations

import dataclasses

import pytest

from pictag.identity.gallery import IdentityMeta
from pictag.identity.sessions import Sighting
from pictag.identity.visits import Visit
from pictag.storage.records import (
    CameraRecord,
    EventRecord,
    IdentityDetail,
    IdentityRecord,
    TrackRecord,
    VisitRecord,
    epoch_fields,
)

T0 = 1_795_500_000.0


@pytest.mark.parametrize(
    ("record", "times"),
    [
        (TrackRecord, {"started_at", "last_seen_at", "ended_at"}),
        (VisitRecord, {"started_at", "last_seen_at", "ended_at"}),
        (IdentityRecord, {"created_at", "last_seen_at"}),
        (IdentityDetail, {"first_seen_at"}),
        (CameraRecord, {"created_at", "updated_at", "deleted_at"}),
        (EventRecord, {"ts"}),
    ],
)
def test_times_are_declared(record: type, times: set[str]) -> None:
    assert epoch_fields(record) == times
    # a field is a time by declaration, and every declared one is a number of seconds
    assert all("float" in str(f.type) for f in dataclasses.fields(record) if f.name in times)


def test_not_a_dataclass_has_no_times() -> None:
    assert epoch_fields({"started_at": T0}) == frozenset()


def test_pipeline_state_gives_the_table_record() -> None:
    v = Visit("v1", "p_a", T0, T0 + 5, {"till", "door"})
    assert v.record() == VisitRecord("v1", "p_a", T0, T0 + 5, None, ("door", "till"), 5.0, False)
    assert Visit.from_record(v.record()) == v
    s = Sighting("door", 3, "p_a", T0, T0 + 1, frames=2, confidence_sum=1.5, box=(1.0, 2.0, 3.0, 4.0))
    assert s.record() == TrackRecord(s.key, "door", 3, "p_a", T0, T0 + 1, None, 2, None, (1.0, 2.0, 3.0, 4.0), 0.75)
    meta = IdentityMeta("p_a", T0, T0 + 9, n_sightings=4)
    assert meta.record() == IdentityRecord("p_a", T0, T0 + 9, 4, 0)
