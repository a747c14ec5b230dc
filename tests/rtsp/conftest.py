"""Fixtures for camera tests against the real RTSP server: sources that are always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pictag.capture import CameraSource, ReconnectPolicy
from pictag.config.cameras import CameraConfig
from tests.rtsp.camera_helpers import FAST, CameraFactory, StatusLog


@pytest.fixture
def camera() -> Iterator[CameraFactory]:
    """``camera(url, **config)`` → started (source, status log); stopped and checked at teardown."""
    made: list[CameraSource] = []

    def make(
        url: str, *, start: bool = True, policy: ReconnectPolicy | None = None, **cfg: Any
    ) -> tuple[CameraSource, StatusLog]:
        log = StatusLog()
        options = {**FAST, **cfg}
        src = CameraSource(CameraConfig(id=f"cam{len(made) + 1}", url=url, **options), on_status=log, policy=policy)
        made.append(src)
        if start:
            src.start()
        return src, log

    yield make
    for src in made:
        src.stop(timeout=8.0)
    alive = [src.camera_id for src in made if src.is_alive()]
    assert not alive, f"reader threads still running after stop(): {alive}"
