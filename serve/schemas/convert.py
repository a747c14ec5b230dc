"""API representations of domain records: plain JSON with ISO-8601 times.

Domain records use epoch seconds; the API shows ISO-8601 UTC strings for
every ``*_at`` / ``since`` / ``ts`` field and keeps everything else as is.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from pictag.events import iso

_TIME_KEYS = frozenset({"since", "ts", "from", "to", "hour"})


def _is_time_key(key: str) -> bool:
    return key.endswith("_at") or key in _TIME_KEYS


def json_object(value: Any) -> dict[str, Any]:
    """`jsonable` of a mapping or dataclass: a JSON object."""
    out = jsonable(value)
    if not isinstance(out, dict):
        raise TypeError(f"expected a JSON object, got {type(out).__name__}")
    return out


def jsonable(value: Any, key: str = "") -> Any:
    """Convert dataclasses, numpy values and epoch times into JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name), f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: jsonable(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray | np.generic):
        value = value.tolist()  # an ndarray's list, or a numpy scalar's Python value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if key and _is_time_key(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return iso(float(value))
    return value
