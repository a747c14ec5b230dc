"""How routes reach the pipeline: named Ray actors, looked up once per replica.

Routes ask for `Services` through FastAPI's ``Depends(get_services)``; tests
can swap it with ``app.dependency_overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import ray

from pictag.actors import names
from pictag.serve.broadcast import Broadcaster


@dataclass(frozen=True)
class Services:
    """Handles of the long-lived actors the API talks to."""

    controller: Any
    store: Any
    hub: Any
    identity: Any
    broadcaster: Broadcaster


@cache
def get_services() -> Services:
    """The services of this replica (actor lookups happen once)."""

    def actor(name: str) -> Any:
        return ray.get_actor(name, namespace=names.NAMESPACE)

    hub = actor(names.EVENT_HUB)
    return Services(
        controller=actor(names.CONTROLLER),
        store=actor(names.STORE),
        hub=hub,
        identity=actor(names.IDENTITY),
        broadcaster=Broadcaster(hub),
    )
