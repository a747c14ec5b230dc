"""Stage health bookkeeping: when a stage counts as down, when it is news, when to re-create it."""

from __future__ import annotations

from pictag.supervision import MISSED_PINGS_DOWN, StageHealth, backoff_delay, death_reason


def _health() -> StageHealth:
    return StageHealth(name="detector@head#0", kind="detector", node="", since=0.0)


def test_first_answer_at_start_is_not_a_recovery() -> None:
    health = _health()
    assert health.answered(1.0) is False
    assert health.status == "up"


def test_a_dead_constructor_is_down_then_recreated_with_backoff_and_recovers() -> None:
    health = _health()
    assert health.died("AssetError: detector.model missing", 1.0, recreate=True) is True
    assert health.status == "down" and health.reason == "AssetError: detector.model missing"
    assert not health.due_for_restart(1.5)
    assert health.due_for_restart(1.0 + backoff_delay(1))
    health.restarted(2.0)
    assert health.status == "starting" and health.restarts == 1
    # the re-created actor dies again: longer backoff
    assert health.died("AssetError: detector.model missing", 2.5, recreate=True) is True
    assert health.next_restart_at == 2.5 + backoff_delay(2)
    health.restarted(5.0)
    assert health.answered(6.0) is True  # the re-created stage answering is news (stage.up)
    assert health.status == "up" and health.reason is None and health.failures == 0
    assert health.answered(7.0) is False


def test_silence_counts_as_down_only_after_several_missed_pings() -> None:
    health = _health()
    health.answered(0.0)
    for _ in range(MISSED_PINGS_DOWN - 1):
        assert health.unanswered(1.0) is False
    assert health.unanswered(2.0) is True
    assert health.status == "down" and "not answering" in (health.reason or "")
    assert health.next_restart_at == 0.0  # Ray restarts a running actor itself
    assert health.answered(3.0) is True


def test_death_reason_is_the_last_error_line_without_secrets() -> None:
    text = (
        "ray.exceptions.ActorDiedError: The actor died because of an error raised in its creation task\n"
        "Traceback (most recent call last):\n"
        "pictag.assets.AssetError: camera rtsp://admin:hunter2@10.0.0.5/stream cannot open\n"
    )
    reason = death_reason(text)
    assert reason.startswith("AssetError: camera rtsp://")
    assert "hunter2" not in reason
    assert backoff_delay(99) == backoff_delay(5)


def test_ping_news() -> None:
    from pictag.events import STAGE_DOWN, STAGE_UP
    from pictag.supervision import ping_news

    health = _health()
    assert ping_news(health, 1.0) is None  # first answer at start
    assert [ping_news(health, 2.0 + k, timed_out=True) for k in range(MISSED_PINGS_DOWN)][-1] == STAGE_DOWN
    assert ping_news(health, 9.0) == STAGE_UP
    assert ping_news(health, 10.0, error_text="x\nAssetError: missing", recreate=True) == STAGE_DOWN
    assert health.reason == "AssetError: missing" and health.next_restart_at == 10.0 + backoff_delay(1)
    assert ping_news(health, 11.0, error_text="x\nAssetError: missing", recreate=True) is None  # not news
