"""Which detector serves which camera on a node, and which down stage a camera depends on.

Each node runs detectors (tracking inside) and, unless re-id is joint, one embedder. Detectors
scale with the node's cameras: each serves up to ``runtime.cameras_per_detector`` of them
(one OpenVINO model, async requests shared across its cameras, and those cameras' trackers).
A new camera goes to the least loaded detector with room; when all are full the node gets
another detector. The embedder stays single.

Plain Python, generic over the detector and embedder handle types ``D`` and ``E``: the controller
passes factories that create Ray actors (typed handles); tests pass factories that return plain
objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Generic, TypeVar

from pictag.supervision import StageHealth

D = TypeVar("D")
E = TypeVar("E")

#: Global stages every camera depends on, in the order a problem is reported.
CAMERA_DEPENDS_ON = ("identity", "store")


def pick_detector(load: Sequence[int], per_detector: int) -> int | None:
    """The least loaded detector with room (the first of equals), or None when all are full."""
    free = [i for i, n in enumerate(load) if n < per_detector]
    return min(free, key=lambda i: load[i]) if free else None


class NodeStage(Generic[D, E]):
    """The detectors and the embedder serving the cameras of one node, with their health records.

    Args:
        key: the node label ("" for the head).
        embedder: the node's embedder handle (None when re-id is off or joint).
        new_detector: creates a detector given the node's embedder.
        new_embedder: creates an embedder (re-creating a dead one).
        now: creation time (epoch seconds) for the health records.
    """

    def __init__(
        self,
        key: str,
        embedder: E | None,
        new_detector: Callable[[E | None], D],
        new_embedder: Callable[[], E],
        now: float,
    ) -> None:
        self.key = key
        self.embedder = embedder
        self._new_detector = new_detector
        self._new_embedder = new_embedder
        self.detectors: list[D] = []
        self.assignment: dict[str, int] = {}
        self.health: dict[str, StageHealth] = {}
        if embedder is not None:
            self.health["embedder"] = StageHealth(f"embedder@{self.label}", "embedder", key, now)

    @property
    def label(self) -> str:
        """The node as stage names show it."""
        return self.key or "head"

    def detector_health(self, index: int, now: float) -> StageHealth:
        """The health record of detector ``index`` (created on first use)."""
        name = f"detector{index}"
        if name not in self.health:
            self.health[name] = StageHealth(f"detector@{self.label}#{index}", "detector", self.key, now)
        return self.health[name]

    def cameras_of(self, index: int | None) -> list[str]:
        """Cameras served by detector ``index``; with None (the embedder) every camera of the node."""
        return [cam for cam, i in self.assignment.items() if index is None or i == index]

    def load(self) -> list[int]:
        """Cameras per detector."""
        load = [0] * len(self.detectors)
        for index in self.assignment.values():
            load[index] += 1
        return load

    def detector_for(self, camera_id: str, per_detector: int, now: float) -> D:
        """The detector serving a camera: its current one, the least loaded with room, or a new one."""
        if camera_id in self.assignment:
            return self.detectors[self.assignment[camera_id]]
        index = pick_detector(self.load(), per_detector)
        if index is None:
            self.detectors.append(self._new_detector(self.embedder))
            index = len(self.detectors) - 1
            self.detector_health(index, now)
        self.assignment[camera_id] = index
        return self.detectors[index]

    def serving(self, camera_id: str) -> D | None:
        """The detector serving a camera, if it has one."""
        index = self.assignment.get(camera_id)
        return None if index is None else self.detectors[index]

    def release(self, camera_id: str) -> D | None:
        """Forget a camera's detector assignment; returns that detector."""
        index = self.assignment.pop(camera_id, None)
        return None if index is None else self.detectors[index]

    def recreate_detector(self, index: int) -> D:
        """A new actor in place of dead detector ``index`` (its cameras stay assigned to it)."""
        self.detectors[index] = self._new_detector(self.embedder)
        return self.detectors[index]

    def recreate_embedder(self) -> E:
        """A new embedder in place of the dead one (its detectors must be told)."""
        self.embedder = self._new_embedder()
        return self.embedder

    def members(self, now: float) -> list[tuple[StageHealth, D | E, int | None]]:
        """Every stage actor with its health record and detector index (None: the embedder)."""
        out: list[tuple[StageHealth, D | E, int | None]] = [
            (self.detector_health(i, now), d, i) for i, d in enumerate(self.detectors)
        ]
        if self.embedder is not None:
            out.append((self.health["embedder"], self.embedder, None))
        return out

    def actors(self) -> dict[str, D | E]:
        """The stage's actors by role (``detector0``, ..., ``embedder``)."""
        out: dict[str, D | E] = {f"detector{i}": d for i, d in enumerate(self.detectors)}
        if self.embedder is not None:
            out["embedder"] = self.embedder
        return out

    def problem_for(self, camera_id: str) -> StageHealth | None:
        """A down stage of this node that the camera needs (its detector, the node's embedder)."""
        index = self.assignment.get(camera_id)
        candidates = [self.health.get(f"detector{index}")] if index is not None else []
        candidates.append(self.health.get("embedder"))
        return next((h for h in candidates if h is not None and h.status == "down"), None)


def stage_problem(
    stage: NodeStage[D, E] | None, camera_id: str, global_health: Mapping[str, StageHealth]
) -> StageHealth | None:
    """The first down stage a camera depends on: its node's, else a global one (identity, store)."""
    problem = stage.problem_for(camera_id) if stage is not None else None
    if problem is None:
        problem = next(
            (h for name in CAMERA_DEPENDS_ON if (h := global_health.get(name)) is not None and h.status == "down"),
            None,
        )
    return problem
