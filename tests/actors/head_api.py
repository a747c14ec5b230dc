"""The head's real actors (store, event hub, identity stage, controller) behind a FastAPI test client.

For API tests that need the actors but no video: the cameras of ``config`` are expected disabled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ray
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from pictag.config import ReidConfig
from pictag.serve.errors import install_error_handlers
from pictag.serve.services import Services, get_services


@dataclass(frozen=True)
class HeadApi:
    """A test client of the given routers and the actor handles behind it."""

    client: TestClient
    store: Any
    hub: Any
    identity: Any
    controller: Any


@contextmanager
def head_api(config: Any, routers: Iterable[APIRouter]) -> Iterator[HeadApi]:
    """Start the head's actors for ``config``, serve ``routers`` from them; stop and kill them after."""
    from pictag.actors.controller import ControllerActor
    from pictag.actors.event_hub import EventHub
    from pictag.actors.identity import IdentityActor
    from pictag.actors.placement import Placement
    from pictag.actors.runtime import head_node_id
    from pictag.actors.store import StoreActor

    store = StoreActor.remote(config.storage)
    hub = EventHub.remote()
    identity = IdentityActor.remote(
        config.tracking, store, hub, reid=ReidConfig(enabled=False), identity=config.identity, site=config.site
    )
    ray.get(identity.ready.remote(), timeout=60)
    controller = ControllerActor.remote(config, store, identity, hub, Placement(head_node_id()))
    ray.get(controller.start.remote(list(config.cameras)), timeout=60)
    app = FastAPI()
    install_error_handlers(app)
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    app.dependency_overrides[get_services] = lambda: Services(controller, store, hub, identity, None)
    try:
        with TestClient(app) as client:
            yield HeadApi(client, store, hub, identity, controller)
    finally:
        ray.get(controller.stop.remote(), timeout=30)
        ray.get(store.close.remote(), timeout=30)
        for actor in (controller, identity, hub, store):
            ray.kill(actor, no_restart=True)
