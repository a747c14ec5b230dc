"""API schemas: what every JSON route answers (pydantic models, ``response_model=``).

Domain records (``pictag.storage.records``, the footfall engine's snapshots) stay plain
dataclasses with epoch seconds; these models are their API form, grouped by job:
`cameras` (cameras, lines and zones), `records` (tracks, visits, identities), `stats`
(shop statistics), `footfall` (live figures, funnel, staff), `system` (health, settings,
alerts). `convert` turns domain values into JSON-ready ones (ISO-8601 times).
"""

from __future__ import annotations

from pictag.serve.schemas.convert import json_object, jsonable

__all__ = ["json_object", "jsonable"]
