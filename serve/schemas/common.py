"""Shapes several resources share: pages, percentiles, the person-id alias."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: Text of every deprecated alias of ``person_id`` (answers and query parameters).
PERSON_ID_ALIAS_NOTE = "Deprecated (removed in the next release): the same value as person_id."


class ApiModel(BaseModel):
    """Base of the answer models: fields may be filled by name or by their JSON alias."""

    model_config = ConfigDict(populate_by_name=True)


class Page(ApiModel):
    """Paging of a list answer (``limit``/``offset`` as asked)."""

    limit: int = Field(description="Items asked for.")
    offset: int = Field(description="Items skipped.")


class Percentiles(ApiModel):
    """Rolling percentiles in milliseconds (null: no sample yet)."""

    p50: float | None = None
    p95: float | None = None


class LatencyPercentiles(Percentiles):
    """Rolling percentiles including p99 (milliseconds, null: no sample yet)."""

    p99: float | None = None
