"""Where actors run: frames stay on the node that captured them.

A camera with ``node: entrance-pc`` has its capture actor, and the detector and
tracker serving it, scheduled on the Ray node that offers the custom resource
``entrance-pc``; cameras without a node label, and the global actors (store,
event hub, identity, controller, Serve), run on the head node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from pictag.config import CameraConfig

#: Share of a node label's resource taken by one actor: up to 1000 actors per labelled node.
LABEL_SHARE = 0.001


@dataclass(frozen=True)
class Placement:
    """Scheduling options for every actor kind, given the head node's id."""

    head_node_id: str

    def head_options(self) -> dict[str, Any]:
        """Pin a global actor to the head node."""
        return {"scheduling_strategy": NodeAffinitySchedulingStrategy(self.head_node_id, soft=False)}

    def stage_options(self, node: str | None) -> dict[str, Any]:
        """Detector/tracker of a node label (None: the head node)."""
        if node:
            return {"resources": {node: LABEL_SHARE}}
        return self.head_options()

    def capture_options(self, camera: CameraConfig) -> dict[str, Any]:
        """Capture actor of a camera: same node as its stage, plus the camera's own resources."""
        options = self.stage_options(camera.node)
        resources = dict(options.get("resources", {}))
        for key, amount in camera.resources.items():
            resources[key] = resources.get(key, 0.0) + amount
        if resources:
            options = {**options, "resources": resources}
        # Not a named actor: a camera restarted right after a kill would collide with the
        # old name while Ray is still releasing it. The controller keeps the handles.
        return options
