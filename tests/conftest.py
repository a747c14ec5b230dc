"""Shared fixtures: the assets directory (real models/videos) for every test that needs it.

In CI (``CI`` set) a missing asset is a failure, never a skip: a green run must
mean the real models were exercised.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pictag import assets as assets_mod
from pictag.errors import AssetError

pytest_plugins = ["tests.rtsp_server"]  # real RTSP server fixtures (tests/rtsp_server.py)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def require_asset(name: str) -> Path:
    """Path of a shared asset; fail in CI, skip elsewhere when it is missing."""
    try:
        return assets_mod.resolve(name)
    except AssetError as err:
        if _in_ci():
            pytest.fail(f"required asset missing in CI: {err}")
        pytest.skip(f"asset not available ({err}); set PICTAG_ASSETS to ../shared/assets")


def missing_in_ci(reason: str) -> None:
    """Something a test needs is not installed: a failure in CI (a green run must mean it ran), a skip elsewhere."""
    if _in_ci():
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def require_module(module: str, install: str) -> None:
    """Import check for an optional dependency (the training extra, eval tools): see `missing_in_ci`."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        missing_in_ci(f"module {module!r} is not installed ({install})")


@pytest.fixture(scope="session")
def missing():
    """``missing("reason")``: fail in CI, skip elsewhere."""
    return missing_in_ci


@pytest.fixture(scope="session", name="require_module")
def require_module_fixture():
    """``require_module("torch", "pip install 'pictag[train]'")``."""
    return require_module


@pytest.fixture(scope="session")
def asset():
    """``asset("vtest.avi")`` → Path, failing in CI when missing."""
    return require_asset


@pytest.fixture(scope="session")
def assets_dir() -> Path:
    """The directory holding the shared assets (the one $PICTAG_ASSETS names)."""
    path = require_asset("videos/vtest.avi")
    return path.parent.parent


# ---- real Ray runtime -------------------------------------------------------------------

#: Ray temp dir of the test session; two test runs on one machine (worktrees) use different ones.
TEST_RAY_TEMP = os.environ.get("PICTAG_TEST_RAY_TEMP", "/tmp/pictag-test-ray")


def _init_local_ray():
    import ray

    from pictag.actors import names
    from pictag.actors.runtime import prepare_ray_env

    prepare_ray_env()
    ray.init(
        address="local",
        namespace=names.NAMESPACE,
        include_dashboard=False,
        object_store_memory=512 * 1024 * 1024,
        _temp_dir=TEST_RAY_TEMP,
        log_to_driver=False,
        _system_config={"automatic_object_spilling_enabled": False},  # as in production: frames never on disk
    )
    return ray


@pytest.fixture(scope="session")
def _ray_owner():
    """Shuts the shared local Ray down at the end of the session."""
    yield
    import ray

    ray.shutdown()


@pytest.fixture
def ray_session(_ray_owner):
    """A local Ray runtime shared by the tests (dashboard off, short temp dir).

    Started on first use and kept for the session; a test that needs a
    different Ray (the two-node cluster test) shuts it down, and the next
    user starts it again.
    """
    import ray

    if not ray.is_initialized():
        _init_local_ray()
    return ray
