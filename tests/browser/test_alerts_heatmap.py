"""Issue 18 on the dashboard, in a real browser against the real runtime on vtest.avi:
an open alert appears (live, from /ws/events, and after a reload, from GET /api/v1/alerts) and
disappears when it clears; the heatmap view shows the camera's picture for today."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from pictag.config import parse_config
from tests.browser.conftest import ARTIFACTS
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(480)

HEATMAP_LOADED = """() => {
  const img = document.querySelector('[data-testid="heatmap-image"]');
  return Boolean(img && img.complete && img.naturalWidth > 0 && !img.hidden);
}"""


def _config(video: Path, tmp_path: Path, port: int) -> Any:
    return parse_config(
        {
            "cameras": [
                {
                    "id": "vtest",
                    "name": "PETS entrance",
                    "url": str(video),
                    "loop": True,
                    "analysis_fps": 5,
                    "enabled": False,
                }
            ],
            "storage": {"path": str(tmp_path / "pictag.duckdb"), "flush_interval_s": 0.2},
            "server": {"port": port},
            "alerts": [
                {
                    "id": "crowded",
                    "when": "occupancy_above",
                    "cameras": ["vtest"],
                    "value": 2,
                    "for_s": 2,
                    "clear_margin": 2,
                    "clear_for_s": 2,
                    "notify": ["dashboard"],
                }
            ],
            "reports": {"heatmap": {"sample_every_s": 0.5, "persist_every_s": 2}},
        }
    )


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_open_alert_and_heatmap_on_the_dashboard(ray_session, asset, tmp_path: Path, chromium) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(_config(asset("vtest.avi"), tmp_path, port))
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        wait_for(lambda: _ok(f"{base}/api/v1/health"), 60, message="API health")
        page.goto(f"{base}/")
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
        expect(page.get_by_test_id("alerts")).to_be_hidden()
        assert httpx.patch(f"{base}/api/v1/cameras/vtest", json={"enabled": True}, timeout=30).status_code == 200
        alert = page.get_by_test_id("alert-crowded")
        expect(alert).to_contain_text("More than 2 people in PETS entrance", timeout=180_000)  # live, over /ws/events
        expect(page.locator('.feed li[data-type="alert.raised"]')).to_have_count(1)
        page.reload()  # the open alert comes back from GET /api/v1/alerts
        expect(page.get_by_test_id("alert-crowded")).to_be_visible()
        page.wait_for_function(HEATMAP_LOADED, timeout=120_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-alert-heatmap.png"), full_page=True)
        assert httpx.patch(f"{base}/api/v1/cameras/vtest", json={"enabled": False}, timeout=30).status_code == 200
        expect(page.get_by_test_id("alerts")).to_be_hidden(timeout=60_000)
        expect(page.locator('.feed li[data-type="alert.cleared"]')).to_have_count(1)
    finally:
        page.close()
        runtime.stop()
