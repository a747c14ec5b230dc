"""The login limiter: wrong tokens counted per address, limited addresses spaced, never locked out."""

from __future__ import annotations

import pytest

from pictag.login_limit import LoginLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_an_address_is_limited_after_the_limit_and_released_after_the_window(clock: Clock) -> None:
    limiter = LoginLimiter(limit=3, window_s=60, clock=clock)
    for _ in range(2):
        limiter.failed("a")
    assert not limiter.limited("a") and limiter.reserve("a") == 0.0
    limiter.failed("a")
    assert limiter.limited("a") and not limiter.limited("b")
    assert limiter.retry_after("a") == 61
    clock.now += 30
    assert limiter.retry_after("a") == 31
    clock.now += 31
    assert not limiter.limited("a") and limiter.reserve("a") == 0.0


def test_limited_checks_are_spaced_and_bounded(clock: Clock) -> None:
    limiter = LoginLimiter(limit=1, window_s=60, spacing_s=1.0, max_wait_s=3.0, clock=clock)
    limiter.failed("a")
    assert [limiter.reserve("a") for _ in range(4)] == [0.0, 1.0, 2.0, 3.0]
    assert limiter.reserve("a") is None  # more than 3 s of checks already waiting
    assert limiter.reserve("b") == 0.0  # other addresses are not slowed
    clock.now += 10
    assert limiter.reserve("a") == 0.0  # turns caught up


def test_memory_stays_bounded(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    import pictag.login_limit as mod

    monkeypatch.setattr(mod, "MAX_CLIENTS", 100)
    limiter = LoginLimiter(limit=5, window_s=1, clock=clock)
    for i in range(1000):
        limiter.failed(f"10.0.{i // 256}.{i % 256}")
        clock.now += 0.1
    assert len(limiter._failures) <= 101
