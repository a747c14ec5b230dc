"""Reconnect back-off: grows exponentially, stays under the cap, jitters, resets."""

from __future__ import annotations

import random

import pytest

from pictag.capture.backoff import Backoff, ReconnectPolicy


def test_grows_then_caps_without_jitter() -> None:
    backoff = Backoff(ReconnectPolicy(initial_delay_s=0.5, max_delay_s=4.0, jitter=0.0))
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.failures == 6
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_jitter_spreads_within_bounds() -> None:
    policy = ReconnectPolicy(initial_delay_s=1.0, max_delay_s=1.0, jitter=0.2)
    backoff = Backoff(policy, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(200)]
    assert all(0.8 <= d <= 1.2 for d in delays)
    assert max(delays) - min(delays) > 0.2  # really spread, not a constant


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_delay_s": 0.0},
        {"initial_delay_s": 5.0, "max_delay_s": 1.0},
        {"factor": 0.5},
        {"jitter": 1.0},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ReconnectPolicy(**kwargs)
