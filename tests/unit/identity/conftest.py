"""Synthetic people for identity tests: one random direction per person plus small noise."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.detections import Detections
from pictag.identity.appearance import TrackAppearance
from pictag.messages import FrameTracks, TrackSummaries
from pictag.reid.base import l2_normalize

DIM = 32


class People:
    """Synthetic people: cosine ~0.8 between two looks of one person, ~0 between people."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self._base: dict[str, np.ndarray] = {}

    def look(self, name: str, n: int = 1, noise: float = 0.08) -> np.ndarray:
        base = self._base.setdefault(name, l2_normalize(self.rng.normal(size=DIM))[None, :][0])
        return l2_normalize(base[None, :] + noise * self.rng.normal(size=(n, DIM)))

    def appearance(self, name: str, crops: int = 3, ts: float = 0.0) -> TrackAppearance:
        emb = self.look(name, crops)
        return TrackAppearance(l2_normalize(emb.mean(axis=0)[None, :])[0], emb[:4], crops, 0, ts)


@pytest.fixture
def people() -> People:
    return People()


def frame(
    cam: str,
    ts: float,
    ids: list[int],
    *,
    ended: tuple[int, ...] = (),
    appearance: dict[int, TrackAppearance] | None = None,
) -> TrackSummaries:
    """One frame with boxes side by side (no overlap) for the given track ids."""
    n = len(ids)
    boxes = np.array([[100 * i + 20, 10, 100 * i + 70, 150] for i in range(n)], np.float32).reshape(n, 4)
    tracks = Detections(boxes, np.full(n, 0.9, np.float32), np.zeros(n, np.int64), np.array(ids, np.int64))
    return TrackSummaries(FrameTracks(cam, ts, tracks, (), ended), appearance or {})
