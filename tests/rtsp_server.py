"""Pytest plugin: a real RTSP server (GStreamer + ffmpeg) for camera tests.

Fixtures:
    rtsp_available      session; skips (fails in CI) when ffmpeg/GStreamer/python3-gi are missing.
    rtsp_clip_factory   session; ``clip("videos/vtest.avi", width=1280, height=720, fps=25)``
                        → relay-safe H.264 clip (transcoded once per session).
    rtsp_clip           session; TUD-Campus (640x480, 25 fps, people walking) as such a clip.
    rtsp_server_factory function; ``make(paths=("/cam",), clip=None, user=None, password=None,
                        digest=False, mounts=None, start=True)`` → started `RtspSimulator`; all are
                        stopped at teardown.
    rtsp_server         function; one started server with the mount ``/cam`` looping `rtsp_clip`.
                        ``rtsp_server.url("/cam")``, ``.kill()``, ``.freeze()``, ``.resume()``,
                        ``.restart()``.
    rtsp_shared_server  session; 8 mounts ``/cam1`` .. ``/cam8`` of `rtsp_clip` on one server, for
                        tests that only read (never kill/freeze it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pictag.simulate.clips import prepare_clip
from pictag.simulate.server import Mount, RtspSimulator, missing_requirements

ClipFactory = Callable[..., Path]
ServerFactory = Callable[..., RtspSimulator]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@pytest.fixture(scope="session")
def rtsp_available() -> None:
    """Skip (outside CI) or fail (in CI) when the RTSP simulator cannot run here."""
    reason = missing_requirements()
    if reason is None:
        return
    if _in_ci():
        pytest.fail(f"RTSP simulator unavailable in CI: {reason}")
    pytest.skip(f"RTSP simulator unavailable: {reason}")


@pytest.fixture(scope="session")
def rtsp_clip_factory(asset: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    """Transcode a shared asset video once per session into a relay-safe H.264 clip."""
    out_dir = tmp_path_factory.mktemp("rtsp-clips")

    def make(name: str, **options: Any) -> Path:
        return prepare_clip(asset(name), dest_dir=out_dir, **options)

    return make


@pytest.fixture(scope="session")
def rtsp_clip(rtsp_available: None, rtsp_clip_factory: ClipFactory) -> Path:
    """TUD-Campus, 640x480 at 25 fps, as a relay-safe clip."""
    return rtsp_clip_factory("videos/TUD-Campus.mp4")


@pytest.fixture
def rtsp_server_factory(rtsp_available: None, rtsp_clip: Path) -> Iterator[ServerFactory]:
    """Start RTSP servers on free ports; every one is stopped after the test."""
    started: list[RtspSimulator] = []

    def make(
        paths: tuple[str, ...] = ("/cam",),
        *,
        clip: Path | None = None,
        user: str | None = None,
        password: str | None = None,
        digest: bool = False,
        mounts: list[Mount] | None = None,
        start: bool = True,
    ) -> RtspSimulator:
        chosen = mounts or [Mount(p, clip=clip or rtsp_clip, user=user, password=password) for p in paths]
        sim = RtspSimulator(chosen, digest=digest)
        started.append(sim)
        if start:
            sim.start()
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def rtsp_server(rtsp_server_factory: ServerFactory) -> RtspSimulator:
    """One started server serving ``/cam``."""
    return rtsp_server_factory()


@pytest.fixture(scope="session")
def rtsp_shared_server(rtsp_available: None, rtsp_clip: Path) -> Iterator[RtspSimulator]:
    """Eight read-only mounts ``/cam1``..``/cam8`` on one server for the whole session."""
    sim = RtspSimulator([Mount(f"/cam{i}", clip=rtsp_clip) for i in range(1, 9)])
    sim.start()
    yield sim
    sim.stop()
