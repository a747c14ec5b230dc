"""Browser fixtures: Playwright driving the system's Chromium (never a downloaded browser).

CI installs Debian's ``chromium`` and the ``playwright`` package; there a missing
browser is a failure. Elsewhere the browser tests skip when either is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
#: Assertion timeout for `expect(...)`: Playwright's 5 s default is too short for a runtime
#: sharing two cores with the browser (camera restarts, first frames).
EXPECT_TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True, scope="session")
def _patient_expect() -> None:
    try:
        from playwright.sync_api import expect
    except ImportError:
        return
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _chromium_path() -> str | None:
    explicit = os.environ.get("PICTAG_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"browser tests need it in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``) shared by the browser tests.

    Package scope, not session: Playwright's sync API keeps an asyncio loop running
    in this thread while it is open, which would break ``asyncio.run`` in tests
    collected after these.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright; no browser download)")
    executable = _chromium_path()
    if executable is None:
        _unavailable("no chromium on PATH (apt-get install chromium, or set PICTAG_CHROMIUM)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots and measurements go (``test-artifacts/browser``, git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
