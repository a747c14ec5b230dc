"""The dashboard in a real browser against the real runtime on vtest.avi.

PicTag runs on Ray with Serve; headless Chromium opens the page like a shop owner
would, waits for a live anonymised preview and a people count, changes settings
through the settings page and checks the API applied them, and saves screenshots
(``test-artifacts/browser``) plus page-load and preview figures
(``measurements.json``).
"""

from __future__ import annotations

import base64
import json
import statistics
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(480)

CAMERA = "vtest"
START_S = 120.0
LIVE_MS = 120_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

PREVIEW_LOADED = """id => {
  const img = document.querySelector(`[data-testid="preview-${id}"]`);
  return Boolean(img && img.complete && img.naturalWidth > 0 && !img.hidden);
}"""
OCCUPANCY_ABOVE_ZERO = """id => {
  const n = Number(document.querySelector(`[data-testid="occupancy-${id}"]`)?.textContent);
  return Number.isFinite(n) && n > 0;
}"""
PAGE_TIMING = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    ttfb_ms: nav.responseStart - nav.startTime,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd - nav.startTime,
    load_ms: nav.loadEventEnd - nav.startTime,
    first_contentful_paint_ms: paint ? paint.startTime : null,
    transferred_bytes: performance.getEntriesByType("resource")
      .reduce((sum, r) => sum + (r.transferSize || 0), nav.transferSize || 0),
  };
}"""
# Evidence that the server drew person boxes with labels: white label text on a black plate.
# Share of near-white pixels touching a near-black one in the shown preview. Measured here:
# previews of vtest.avi 0.046-0.067 %; the raw video (same size, JPEG 70) at most 0.004 %.
LABEL_PIXEL_SHARE = """id => {
  const img = document.querySelector(`[data-testid="preview-${id}"]`);
  if (!img || !img.naturalWidth) return 0;
  const w = img.naturalWidth, h = img.naturalHeight;
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, w, h).data;
  const dark = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    dark[i] = Math.max(px[4 * i], px[4 * i + 1], px[4 * i + 2]) < 20 ? 1 : 0;
  }
  let hits = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (Math.min(px[4 * i], px[4 * i + 1], px[4 * i + 2]) <= 220) continue;
      let touches = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) touches |= dark[i + dy * w + dx];
      }
      hits += touches;
    }
  }
  return hits / (w * h);
}"""
LABELS_SHOWN = 0.0002
# The shown preview at its own resolution (drawn to a canvas: its blob URL may be revoked).
PREVIEW_AS_PNG = """id => {
  const img = document.querySelector(`[data-testid="preview-${id}"]`);
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  canvas.getContext("2d").drawImage(img, 0, 0);
  return canvas.toDataURL("image/png");
}"""
# Counts blob: URLs the page creates and revokes: previews must not leak one per frame.
COUNT_BLOB_URLS = """(() => {
  const created = URL.createObjectURL.bind(URL), revoked = URL.revokeObjectURL.bind(URL);
  window.blobUrls = { created: 0, revoked: 0 };
  URL.createObjectURL = (obj) => { window.blobUrls.created += 1; return created(obj); };
  URL.revokeObjectURL = (url) => { window.blobUrls.revoked += 1; return revoked(url); };
})();"""
ERROR_BESIDE_FIELD = """([input, error]) => {
  const field = document.querySelector(`[data-testid="${input}"]`);
  const message = document.querySelector(`[data-testid="${error}"]`);
  return field.closest(".field").contains(message)
    && field.getAttribute("aria-invalid") === "true"
    && field.getAttribute("aria-describedby") === message.id;
}"""


def _config(video: Path, tmp_path: Path, port: int, **server: Any) -> Any:
    return parse_config(
        {
            "cameras": [{"id": CAMERA, "name": "PETS entrance", "url": str(video), "loop": True, "analysis_fps": 7}],
            "storage": {"path": str(tmp_path / "pictag.duckdb"), "flush_interval_s": 0.2},
            "server": {"port": port, **server},
            "privacy": {"allow_unanonymized": True},
        }
    )


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _api(base: str, path: str, **kwargs: Any) -> Any:
    res = httpx.get(f"{base}{path}", timeout=10, **kwargs)
    res.raise_for_status()
    return res.json()


def _camera(base: str) -> dict[str, Any]:
    return next(c for c in _api(base, "/api/v1/cameras")["items"] if c["id"] == CAMERA)


def _watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"pageerror: {err}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}") if msg.type == "error" and "WebSocket" not in msg.text else None
        ),
    )
    return errors


def _wait_live(page: Page) -> None:
    page.wait_for_function(PREVIEW_LOADED, arg=CAMERA, timeout=LIVE_MS)
    page.wait_for_function(OCCUPANCY_ABOVE_ZERO, arg=CAMERA, timeout=LIVE_MS)
    expect(page.get_by_test_id(f"status-{CAMERA}")).to_have_attribute("data-status", "live")


def _full_screenshot(page: Page, path: Path) -> None:
    """Whole page from the top (a sticky bar would otherwise sit in the middle of the image)."""
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def _preview_figures(page: Page) -> dict[str, Any]:
    m = page.evaluate("() => window.pictagMetrics")
    intervals = m["previewIntervalsMs"]
    latency = m["previewLatencyMs"]
    return {
        "first_preview_ms_after_navigation": m["firstPreviewMs"],
        "preview_frames": m["previewFrames"].get(CAMERA, 0),
        "preview_fps": round(1000 / statistics.median(intervals), 2) if intervals else None,
        "preview_latency_ms_p50": round(statistics.median(latency), 1) if latency else None,
        "preview_latency_ms_max": round(max(latency), 1) if latency else None,
        "events_received": m["events"],
    }


def _dashboard_comes_alive(page: Page, base: str, artifacts: Path) -> dict[str, Any]:
    page.goto(f"{base}/")
    _wait_live(page)
    expect(page.get_by_test_id("event-feed").locator("li").first).to_be_visible(timeout=LIVE_MS)
    expect(page.get_by_test_id("privacy-warning")).to_be_hidden()
    page.wait_for_function("() => window.pictagMetrics.previewFrames.vtest >= 10", timeout=LIVE_MS)
    figures = {**page.evaluate(PAGE_TIMING), **_preview_figures(page)}
    blobs = page.evaluate("() => window.blobUrls")
    assert blobs["created"] >= 10 and blobs["created"] - blobs["revoked"] <= 2, blobs
    page.wait_for_function(
        f"id => ({LABEL_PIXEL_SHARE})(id) > {LABELS_SHOWN}", arg=CAMERA, polling=500, timeout=LIVE_MS
    )
    figures["label_pixel_share"] = page.evaluate(LABEL_PIXEL_SHARE, CAMERA)
    page.get_by_test_id(f"preview-box-{CAMERA}").screenshot(path=artifacts / "preview-card.png")
    data_url = page.evaluate(PREVIEW_AS_PNG, CAMERA)
    (artifacts / "preview-vtest-full.png").write_bytes(base64.b64decode(data_url.split(",", 1)[1]))
    _todays_numbers_load(page, base)
    _full_screenshot(page, artifacts / "dashboard-desktop.png")
    return figures


def _todays_numbers_load(page: Page, base: str) -> None:
    """Tiles, hourly chart and visits table are filled from the API, with no load error."""
    expect(page.get_by_test_id("visitors-unique")).not_to_have_text("—", timeout=LIVE_MS)
    expect(page.get_by_test_id("visitors-chart").locator("svg rect.bar").first).to_be_attached()
    expect(page.get_by_test_id("load-error")).to_be_hidden(timeout=LIVE_MS)
    shown = int(page.get_by_test_id("visitors-unique").inner_text())
    assert shown <= _api(base, "/api/v1/stats")["unique_visitors"]  # the count only grows
    rows = page.get_by_test_id("visits-table").locator("tbody tr")
    assert rows.count() > 0 or page.get_by_test_id("no-visits").is_visible()


def _valid_settings_apply(page: Page, base: str, artifacts: Path) -> float:
    page.goto(f"{base}/settings")
    page.wait_for_selector("body[data-ready]")
    confidence = page.get_by_test_id("settings-confidence")
    new_confidence = 0.3 if abs(float(confidence.input_value()) - 0.3) > 1e-6 else 0.25
    confidence.fill(str(new_confidence))
    page.get_by_test_id("analysis-save").click()
    expect(page.get_by_test_id("analysis-status")).to_have_text("Saved and applied")
    assert _api(base, "/api/v1/config")["detector"]["confidence"] == pytest.approx(new_confidence)

    page.get_by_test_id(f"camera-fps-{CAMERA}").fill("5")
    page.get_by_test_id(f"camera-save-{CAMERA}").click()
    expect(page.get_by_test_id(f"camera-status-{CAMERA}")).to_contain_text("Saved")
    assert _camera(base)["analysis_fps"] == pytest.approx(5)
    _full_screenshot(page, artifacts / "settings-saved.png")
    return new_confidence


def _invalid_settings_show_errors(
    page: Page,
    base: str,
    artifacts: Path,
    confidence: float,
) -> None:
    page.get_by_test_id("settings-confidence").fill("1.5")
    page.get_by_test_id("analysis-save").click()
    expect(page.get_by_test_id("error-settings-confidence")).to_be_visible()
    assert page.evaluate(ERROR_BESIDE_FIELD, ["settings-confidence", "error-settings-confidence"])
    assert _api(base, "/api/v1/config")["detector"]["confidence"] == pytest.approx(confidence)

    fps, error = f"camera-fps-{CAMERA}", f"error-camera-fps-{CAMERA}"
    page.get_by_test_id(fps).fill("0")
    page.get_by_test_id(f"camera-save-{CAMERA}").click()
    expect(page.get_by_test_id(error)).to_be_visible()
    assert page.evaluate(ERROR_BESIDE_FIELD, [fps, error])
    assert _camera(base)["analysis_fps"] == pytest.approx(5)
    _full_screenshot(page, artifacts / "settings-errors.png")
    page.get_by_test_id(fps).fill("5")


def _disable_then_enable(page: Page, dash: Page, base: str, artifacts: Path) -> None:
    """The dashboard says why a camera is off, and comes back live when it is enabled again."""
    page.get_by_test_id(f"camera-enabled-{CAMERA}").uncheck()
    page.get_by_test_id(f"camera-save-{CAMERA}").click()
    expect(page.get_by_test_id(f"camera-status-{CAMERA}")).to_contain_text("Saved")
    assert _camera(base)["enabled"] is False
    dash.goto(f"{base}/")
    expect(dash.get_by_test_id(f"status-{CAMERA}")).to_have_attribute("data-status", "offline")
    expect(dash.get_by_test_id(f"status-{CAMERA}")).to_contain_text("Offline")
    expect(dash.get_by_test_id(f"reason-{CAMERA}")).to_contain_text("disabled")
    dash.screenshot(path=artifacts / "dashboard-camera-disabled.png")

    page.get_by_test_id(f"camera-enabled-{CAMERA}").check()
    page.get_by_test_id(f"camera-save-{CAMERA}").click()
    expect(page.get_by_test_id(f"camera-status-{CAMERA}")).to_contain_text("Saved")
    _wait_live(dash)
    expect(dash.get_by_test_id(f"fps-{CAMERA}")).to_have_text("5 fps")


def _privacy_off_warns(page: Page, dash: Page, base: str, artifacts: Path) -> None:
    page.get_by_test_id("settings-anonymize").select_option("off")
    page.get_by_test_id("privacy-save").click()
    expect(page.get_by_test_id("privacy-status")).to_have_text("Saved and applied")
    assert _api(base, "/api/v1/config")["privacy"]["anonymize"] == "off"
    dash.reload()
    expect(dash.get_by_test_id("privacy-warning")).to_be_visible()
    dash.screenshot(path=artifacts / "dashboard-privacy-off.png")

    page.get_by_test_id("settings-anonymize").select_option("head")
    page.get_by_test_id("privacy-save").click()
    expect(page.get_by_test_id("privacy-status")).to_have_text("Saved and applied")
    assert _api(base, "/api/v1/config")["privacy"]["anonymize"] == "head"


PILL_SAYS = """([state, words]) => {
  const pill = document.querySelector('[data-testid="connection"]');
  pill.dataset.state = state;
  pill.textContent = words;
}"""


def _phone_layout(chromium: Any, base: str, artifacts: Path, errors: list[str]) -> dict[str, Any]:
    phone = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors += _watch_errors(page)
    page.goto(f"{base}/")
    _wait_live(page)
    figures = page.evaluate(PAGE_TIMING)
    card = page.get_by_test_id(f"camera-card-{CAMERA}").bounding_box()
    assert card is not None and card["width"] <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    # The page must fit whatever the connection pill says (CI once measured while it said "Connecting…").
    for state, words in (("connecting", "Connecting…"), ("closed", "Reconnecting…")):
        page.evaluate(PILL_SAYS, [state, words])
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], words
    page.evaluate(PILL_SAYS, ["open", "Live"])
    _full_screenshot(page, artifacts / "dashboard-phone.png")
    phone.close()
    return dict(figures)


def test_dashboard_shows_live_shop_and_settings_apply(
    ray_session, asset, tmp_path: Path, chromium, artifacts: Path
) -> None:
    from pictag.actors.runtime import start_runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = start_runtime(_config(asset("vtest.avi"), tmp_path, port))
    figures: dict[str, Any] = {}
    try:
        wait_for(lambda: _healthy(base), START_S, message="API health")
        context = chromium.new_context(viewport=DESKTOP)
        context.add_init_script(COUNT_BLOB_URLS)
        page, dash = context.new_page(), context.new_page()
        errors = _watch_errors(page) + _watch_errors(dash)

        figures["desktop"] = _dashboard_comes_alive(page, base, artifacts)
        confidence = _valid_settings_apply(page, base, artifacts)
        _invalid_settings_show_errors(page, base, artifacts, confidence)
        _disable_then_enable(page, dash, base, artifacts)
        _privacy_off_warns(page, dash, base, artifacts)
        context.close()
        figures["phone"] = _phone_layout(chromium, base, artifacts, errors)
        assert not errors, errors
    finally:
        (artifacts / "measurements.json").write_text(json.dumps(figures, indent=2))
        runtime.stop()
    print(f"\ndashboard measurements: {json.dumps(figures)}")
