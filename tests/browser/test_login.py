"""Sign-in in a real browser: with a token configured, the dashboard needs the login cookie."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import CAMERA, DESKTOP, START_S, _config, _healthy, _wait_live
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(300)

TOKEN = "test-token-3f9a1c"  # a throwaway token for this test only


def test_login_page_guards_the_dashboard(ray_session, asset, tmp_path: Path, chromium, artifacts: Path) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(_config(asset("vtest.avi"), tmp_path, port, auth_token=TOKEN))
    try:
        wait_for(lambda: _healthy(base), START_S, message="API health")
        assert httpx.get(f"{base}/api/v1/cameras", timeout=10).status_code == 401
        context = chromium.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"{base}/settings")
        page.wait_for_url(f"{base}/login?next=%2Fsettings")

        page.get_by_test_id("login-token").fill("not-the-token")
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("error-login-token")).to_have_text("That token is not right.")
        page.screenshot(path=artifacts / "login-wrong-token.png")

        page.get_by_test_id("login-token").fill(TOKEN)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(f"{base}/settings")
        page.wait_for_selector("body[data-ready]")
        expect(page.get_by_test_id(f"camera-form-{CAMERA}")).to_be_visible()
        cookie = next(c for c in context.cookies() if c["name"] == "pictag_token")
        assert cookie["httpOnly"]
        assert "pictag_token" not in page.evaluate("() => document.cookie")
        page.goto(f"{base}/")
        _wait_live(page)  # the preview WebSocket authenticates with the cookie
        context.close()
    finally:
        runtime.stop()
