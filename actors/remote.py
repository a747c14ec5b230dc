"""Access to Ray actor classes for the type checker.

``@ray.remote(num_cpus=0, ...)`` (the decorator with options) is typed by Ray as returning the
decorated class unchanged, so ``StoreActor.options(...)`` does not type-check although it is
what runs. Ray types a handle's methods only where each is decorated with ``@ray.method``; until
the actors are, their handles stay ``Any`` and this is the one place that says so.
"""

from __future__ import annotations

from typing import Any


def actor_class(cls: type) -> Any:
    """The Ray actor class that ``@ray.remote(...)`` made of ``cls`` (``.options``, ``.remote``)."""
    return cls
