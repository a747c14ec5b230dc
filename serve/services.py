"""How routes reach the pipeline: named Ray actors, looked up once per replica.

Routes ask for `Services` through FastAPI's ``Depends(get_services)``; tests
can swap it with ``app.dependency_overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import ray
from ray.actor import ActorHandle

from pictag.actors import names
from pictag.actors.handles import ControllerHandle, HubHandle, IdentityHandle, StoreHandle
from pictag.serve.broadcast import Broadcaster


@dataclass(frozen=True)
class Services:
    """Handles of the long-lived actors the API talks to."""

    controller: ControllerHandle
    store: StoreHandle
    hub: HubHandle
    identity: IdentityHandle
    broadcaster: Broadcaster


@cache
def get_services() -> Services:
    """The services of this replica (actor lookups happen once)."""

    def actor(name: str) -> ActorHandle[Any]:
        return ray.get_actor(name, namespace=names.NAMESPACE)

    hub = cast(HubHandle, actor(names.EVENT_HUB))
    return Services(
        controller=cast(ControllerHandle, actor(names.CONTROLLER)),
        store=cast(StoreHandle, actor(names.STORE)),
        hub=hub,
        identity=cast(IdentityHandle, actor(names.IDENTITY)),
        broadcaster=Broadcaster(hub),
    )
