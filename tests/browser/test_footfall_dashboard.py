"""Lines and zones drawn with the mouse on the live anonymised preview, in a real browser.

PicTag runs on vtest.avi (PETS09-S2L1: people walk left <-> right across the square). Headless
Chromium clicks the two ends of a line across their path and the corners of a zone on the
preview, saves both through the dashboard, and waits until the overlays' live counts move.
Screenshots go to ``test-artifacts/browser/footfall-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(480)

CAM = "vtest"
LIVE_MS = 120_000
FRAME = (768, 576)
LINE = [(512, 60), (512, 560)]  # crossed every few seconds (docs/footfall.md, line x512)
ZONE = [(40, 220), (380, 220), (380, 560), (40, 560)]  # the left half of the square
PREVIEW_LOADED = """id => {
  const img = document.querySelector(`[data-testid="preview-${id}"]`);
  return Boolean(img && img.complete && img.naturalWidth > 0 && !img.hidden);
}"""


def _config(video: Path, tmp_path: Path, port: int) -> Any:
    return parse_config(
        {
            "cameras": [{"id": CAM, "name": "PETS square", "url": str(video), "loop": True, "analysis_fps": 7}],
            "storage": {"path": str(tmp_path / "pictag.duckdb"), "flush_interval_s": 0.2},
            "server": {"port": port},
        }
    )


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _click_frame(page: Page, points: list[tuple[int, int]]) -> None:
    """Click frame pixels on the overlay (it shows the frame with "contain" fit, like the preview)."""
    box = page.get_by_test_id(f"overlay-{CAM}").bounding_box()
    assert box is not None
    scale = min(box["width"] / FRAME[0], box["height"] / FRAME[1])
    left = box["x"] + (box["width"] - FRAME[0] * scale) / 2
    top = box["y"] + (box["height"] - FRAME[1] * scale) / 2
    for x, y in points:
        page.mouse.click(left + x * scale, top + y * scale)


def _numbers(page: Page, testid: str) -> list[int]:
    text = page.get_by_test_id(testid).text_content() or ""
    return [int(n) for n in re.findall(r"\b\d+\b", text.split("·", 1)[-1] if "·" in text else text.split(":")[-1])]


def _draw_line(page: Page, base: str) -> str:
    """Two clicks, entrance, save: the API has the line where it was clicked."""
    page.get_by_test_id(f"geo-draw-line-{CAM}").click()
    page.get_by_test_id(f"geo-name-{CAM}").fill("Square middle")
    page.get_by_test_id(f"geo-entrance-{CAM}").check()
    _click_frame(page, LINE)
    page.get_by_test_id(f"geo-finish-{CAM}").click()
    expect(page.get_by_test_id(f"geo-status-{CAM}")).to_contain_text("Saved line Square middle")
    (line,) = httpx.get(f"{base}/api/v1/cameras/{CAM}/lines", timeout=10).json()["items"]
    assert line["entrance"] is True and line["name"] == "Square middle"
    for (x, y), (want_x, want_y) in zip(line["points"], LINE, strict=True):
        assert abs(x - want_x) <= 2 and abs(y - want_y) <= 2, line["points"]
    return str(line["id"])


def _draw_zone(page: Page, base: str) -> str:
    """Four corners, then Save closes the zone."""
    page.get_by_test_id(f"geo-draw-zone-{CAM}").click()
    page.get_by_test_id(f"geo-kind-{CAM}").select_option("area")
    _click_frame(page, ZONE)
    page.get_by_test_id(f"geo-finish-{CAM}").click()
    expect(page.get_by_test_id(f"geo-status-{CAM}")).to_contain_text("Saved zone")
    (zone,) = httpx.get(f"{base}/api/v1/cameras/{CAM}/zones", timeout=10).json()["items"]
    assert len(zone["points"]) == 4 and zone["kind"] == "area"
    return str(zone["id"])


def _counts_move(page: Page, base: str, line_id: str, zone_id: str) -> None:
    expect(page.get_by_test_id(f"line-{CAM}-{line_id}")).to_be_visible()
    page.wait_for_function(
        """([cam, line]) => {
          const t = document.querySelector(`[data-testid="line-count-${cam}-${line}"]`)?.textContent || "";
          const m = t.match(/in (\\d+) · out (\\d+)/);
          return Boolean(m) && Number(m[1]) + Number(m[2]) >= 2;
        }""",
        arg=[CAM, line_id],
        timeout=LIVE_MS,
        polling=500,
    )
    page.wait_for_function(
        """([cam, zone]) => {
          const t = document.querySelector(`[data-testid="zone-count-${cam}-${zone}"]`)?.textContent || "";
          const m = t.match(/: (\\d+)/);
          return Boolean(m) && Number(m[1]) > 0;
        }""",
        arg=[CAM, zone_id],
        timeout=LIVE_MS,
        polling=500,
    )
    shown_in, shown_out = _numbers(page, f"line-count-{CAM}-{line_id}")[-2:]
    api_line = httpx.get(f"{base}/api/v1/footfall/live", timeout=10).json()["lines"][0]
    assert shown_in <= api_line["in"] and shown_out <= api_line["out"]  # the page shows the API's (growing) counts
    expect(page.get_by_test_id("footfall-occupancy")).not_to_have_text("—")
    expect(page.get_by_test_id("footfall-entered")).not_to_have_text("—", timeout=LIVE_MS)


def _refusal_and_delete(page: Page, base: str, zone_id: str) -> None:
    page.get_by_test_id(f"geo-draw-zone-{CAM}").click()
    _click_frame(page, ZONE[:2])
    page.get_by_test_id(f"geo-finish-{CAM}").click()
    expect(page.get_by_test_id(f"geo-status-{CAM}")).to_contain_text("at least three corners")
    page.get_by_test_id(f"geo-cancel-{CAM}").click()
    delete = page.get_by_test_id(f"geo-delete-{CAM}-zones-{zone_id}")
    delete.click()
    expect(delete).to_have_text("Tap again")  # armed; live count updates redraw the list without disarming it
    delete.click()  # the second tap deletes
    expect(page.get_by_test_id(f"zone-{CAM}-{zone_id}")).to_have_count(0)
    assert httpx.get(f"{base}/api/v1/cameras/{CAM}/zones", timeout=10).json()["items"] == []


def test_draw_a_line_and_a_zone_and_see_counts_move(ray_session, asset, tmp_path: Path, chromium, artifacts) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(_config(asset("vtest.avi"), tmp_path, port))
    try:
        wait_for(lambda: _healthy(base), 120, message="API health")
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(f"{base}/")
        page.wait_for_function(PREVIEW_LOADED, arg=CAM, timeout=LIVE_MS)
        expect(page.get_by_test_id(f"overlay-{CAM}")).to_have_attribute("viewBox", f"0 0 {FRAME[0]} {FRAME[1]}")
        line_id = _draw_line(page, base)
        zone_id = _draw_zone(page, base)
        _counts_move(page, base, line_id, zone_id)
        page.get_by_test_id(f"camera-card-{CAM}").screenshot(path=artifacts / "footfall-camera-card.png")
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=artifacts / "footfall-dashboard.png", full_page=True)
        _refusal_and_delete(page, base, zone_id)
        assert not errors, errors
        context.close()
    finally:
        runtime.stop()
