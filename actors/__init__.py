"""Ray actors (installed as ``pictag.actors``): thin shells around domain objects in ``pictag``."""
