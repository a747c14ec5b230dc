"""Names of the long-lived actors, so the Serve app and CLI can find them."""

from __future__ import annotations

NAMESPACE = "pictag"
CONTROLLER = "pictag-controller"
STORE = "pictag-store"
EVENT_HUB = "pictag-event-hub"
IDENTITY = "pictag-identity"
INTEGRATIONS = "pictag-integrations"


def detector_name(node: str) -> str:
    """The detector actor serving the cameras of one node."""
    return f"pictag-detector-{node}"


def tracker_name(node: str) -> str:
    """The tracking stage actor serving the cameras of one node."""
    return f"pictag-tracker-{node}"
