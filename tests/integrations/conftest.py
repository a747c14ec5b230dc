"""Fixtures: a real private mosquitto broker per test (see mqtt_broker.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integrations.mqtt_broker import MOSQUITTO, MosquittoBroker

BrokerFactory = Callable[..., MosquittoBroker]


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[BrokerFactory]:
    """``make(persistence=False, users=None, extra=())`` → a started broker; all stopped at teardown."""
    if not (shutil.which("mosquitto") or Path(MOSQUITTO).exists()):
        pytest.fail("mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)")
    made: list[MosquittoBroker] = []

    def make(**kw: Any) -> MosquittoBroker:
        folder = tmp_path / f"broker{len(made)}"
        folder.mkdir()
        broker = MosquittoBroker(folder, **kw).start()
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.kill()


@pytest.fixture
def broker(broker_factory: BrokerFactory) -> MosquittoBroker:
    """One anonymous broker without persistence."""
    return broker_factory()
