"""Access to Ray actor classes for the type checker.

``@ray.remote(num_cpus=0, ...)`` (the decorator with options) is typed by Ray as returning the
decorated class unchanged, so ``StoreActor.options(...)`` does not type-check although it is
what runs. ``actor_class`` says what it really is: an actor class whose ``.remote(...)`` gives
a handle typed with the actor (`pictag.actors.handles`). Ray types a handle's methods only
where each is decorated with ``@ray.method``; until the actors are, the methods called on a
handle stay ``Any`` (see `pictag.actors.handles`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from pictag.actors.handles import ActorClassOf

T = TypeVar("T")


def actor_class(cls: type[T]) -> ActorClassOf[T]:
    """The Ray actor class that ``@ray.remote(...)`` made of ``cls`` (``.options``, ``.remote``)."""
    return cast("ActorClassOf[T]", cls)
