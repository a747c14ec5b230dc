"""Stored records: tracks (sightings), visits and pseudonymous identities.

A person's id is ``person_id`` everywhere in the API and in events. Answers still carry
``identity_id``, its old name, for one release (marked deprecated in the OpenAPI document),
filled from ``person_id`` by `_PersonIdAlias`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from pictag.serve.schemas.common import PERSON_ID_ALIAS_NOTE, ApiModel, Page


class _PersonIdAlias(ApiModel):
    """``person_id`` and its deprecated twin ``identity_id``: either one fills both."""

    @model_validator(mode="before")
    @classmethod
    def _same_person(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("person_id" in data) != ("identity_id" in data):
            value = data.get("person_id", data.get("identity_id"))
            return {**data, "person_id": value, "identity_id": value}
        return data


class Track(_PersonIdAlias):
    """One sighting: a confirmed track on one camera (times ISO-8601 UTC)."""

    id: str
    camera_id: str
    track_id: int
    person_id: str | None = Field(description="The person (re-id identity) the track was given.")
    identity_id: str | None = Field(deprecated=PERSON_ID_ALIAS_NOTE, description=PERSON_ID_ALIAS_NOTE)
    started_at: str
    last_seen_at: str
    ended_at: str | None
    frames: int
    best_box: list[float] | None = Field(description="[x1, y1, x2, y2] in frame pixels.")
    last_box: list[float] | None
    mean_confidence: float | None


class TrackPage(Page):
    """Tracks, newest first."""

    items: list[Track]


class Visit(_PersonIdAlias):
    """A visit: a person's continuous presence (``ended_at`` null while it is open)."""

    id: str
    person_id: str = Field(description="The person (re-id identity).")
    identity_id: str = Field(deprecated=PERSON_ID_ALIAS_NOTE, description=PERSON_ID_ALIAS_NOTE)
    started_at: str
    last_seen_at: str
    ended_at: str | None
    dwell_s: float
    cameras: list[str]


class VisitPage(Page):
    """Visits, newest first."""

    items: list[Visit]


class Identity(ApiModel):
    """A pseudonymous identity: a random id and counters (never images or embeddings)."""

    id: str = Field(description="The person id (random token, p_ + hex).")
    created_at: str
    last_seen_at: str
    n_sightings: int
    n_prototypes: int


class IdentityPage(Page):
    """Identities, most recently seen first."""

    items: list[Identity]


class IdentityDetail(Identity):
    """What is stored about one identity, with its latest visits."""

    first_seen_at: str | None
    cameras: list[str]
    n_tracks: int
    n_visits: int
    n_events: int
    visits: list[Visit]


class Erasure(ApiModel):
    """An erased identity and the rows removed per table."""

    id: str
    erased: bool
    removed: dict[str, int]
