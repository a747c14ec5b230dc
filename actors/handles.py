"""Ray actor handles typed with the actor they talk to: ``StoreHandle``, ``ControllerHandle``, ...

Why: a parameter typed ``Any`` said nothing about which actor it expects; ``StoreHandle`` says it
is the store, and mypy refuses a controller handle, a plain object or ``None`` where a store
handle belongs (``ActorHandle`` is generic and invariant in the actor class).

What mypy does not check: the methods called on a handle (``store.write.remote(...)``) stay
``Any``. Ray types a handle's methods only for methods decorated with ``@ray.method``, and only
through ``ActorProxy`` (``ActorHandle[T] | type[T]``); on a bare ``ActorHandle[T]`` Ray's
``__getattr__`` returns ``Never``, so every statement after the first method call would be
unreachable and silently left unchecked. Hence ``Handle[T]`` below: for the type checker an
``ActorHandle[T]`` whose attributes are ``Any``; at run time ``ActorHandle`` itself, so
``StoreHandle`` is the plain ``ActorHandle["StoreActor"]`` and nothing changes behaviour.

The actor classes are imported for the type checker only: this module is imported by the
actor modules themselves (no import cycle) and costs nothing beyond ``ray.actor`` at run time.
``ActorClassOf`` types what ``pictag.actors.remote.actor_class`` returns, so a handle created
with ``actor_class(StoreActor).options(...).remote(...)`` is a ``StoreHandle`` from the start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

from ray.actor import ActorHandle

T = TypeVar("T")

if TYPE_CHECKING:
    from pictag.actors.capture import CaptureActor
    from pictag.actors.controller import ControllerActor
    from pictag.actors.detector import DetectorActor
    from pictag.actors.embedder import EmbedderActor
    from pictag.actors.event_hub import EventHub
    from pictag.actors.identity import IdentityActor
    from pictag.actors.integrations import IntegrationsActor
    from pictag.actors.maintenance import MaintenanceActor
    from pictag.actors.store import StoreActor

    class Handle(ActorHandle[T]):
        """``ActorHandle[T]`` whose methods are ``Any`` (see the module docstring)."""

        def __getattr__(self, name: str) -> Any: ...

    class ActorClassOf(Protocol[T]):
        """The Ray actor class of ``T``: ``.options(...)`` then ``.remote(...)`` gives a ``Handle[T]``."""

        def options(self, **options: Any) -> ActorClassOf[T]: ...

        def remote(self, *args: Any, **kwargs: Any) -> Handle[T]: ...

else:
    Handle = ActorHandle

StoreHandle: TypeAlias = Handle["StoreActor"]
ControllerHandle: TypeAlias = Handle["ControllerActor"]
HubHandle: TypeAlias = Handle["EventHub"]
IdentityHandle: TypeAlias = Handle["IdentityActor"]
DetectorHandle: TypeAlias = Handle["DetectorActor"]
EmbedderHandle: TypeAlias = Handle["EmbedderActor"]
CaptureHandle: TypeAlias = Handle["CaptureActor"]
MaintenanceHandle: TypeAlias = Handle["MaintenanceActor"]
IntegrationsHandle: TypeAlias = Handle["IntegrationsActor"]
