"""The dashboard router on its own: pages, static files, content types, caching, confinement.

No Ray here: the router is mounted on a bare FastAPI app (it needs no services).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pictag.serve.errors import install_error_handlers
from pictag.serve.routes import dashboard


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(dashboard.router)
    return TestClient(app)


def _static_refs(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


@pytest.mark.parametrize("path", ["/", "/settings", "/login"])
def test_pages_are_html_revalidated_and_locked_down(client: TestClient, path: str) -> None:
    res = client.get(path)
    assert res.status_code == 200
    assert res.headers["content-type"] == "text/html; charset=utf-8"
    assert res.headers["cache-control"] == "no-cache"
    csp = res.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert res.headers["x-content-type-options"] == "nosniff"
    refs = _static_refs(res.text)
    assert refs and all(re.search(r"\?v=[0-9a-f]{12}$", ref) for ref in refs), refs
    # No CDN or other origin: the shop may be offline.
    assert "http://" not in res.text and "https://" not in res.text


def test_every_page_reference_and_module_import_resolves(client: TestClient) -> None:
    """Without a build step a typo in an import only shows in a browser; catch it here."""
    assets = dashboard.static_assets()
    for path in dashboard.PAGES:
        for ref in _static_refs(client.get(path).text):
            assert client.get(ref).status_code == 200, ref
    for name, asset in assets.items():
        if name.endswith(".js"):
            source = asset.body.decode()
            for imported, version in re.findall(r'from "\./([^"?]+)\?v=([0-9a-f]+)"', source):
                assert imported in assets, f"{name} imports missing {imported}"
                assert version == assets[imported].version, f"{name} pins a stale {imported}"
            assert not re.search(r'from "\./[^"?]+"', source), f"{name}: unpinned import"


def test_a_changed_module_changes_every_importer_version(tmp_path: Path) -> None:
    """Immutable caching is only safe if a change below reaches the URL the page names."""
    (tmp_path / "leaf.js").write_text("export const x = 1;\n")
    (tmp_path / "mid.js").write_text('import { x } from "./leaf.js";\nexport const y = x;\n')
    (tmp_path / "top.js").write_text('import { y } from "./mid.js";\nconsole.log(y);\n')
    before = dashboard.static_assets(tmp_path)
    (tmp_path / "leaf.js").write_text("export const x = 2;\n")
    dashboard.static_assets.cache_clear()
    after = dashboard.static_assets(tmp_path)
    dashboard.static_assets.cache_clear()
    for name in ("leaf.js", "mid.js", "top.js"):
        assert before[name].version != after[name].version, name
    assert f'"./leaf.js?v={after["leaf.js"].version}"' in after["mid.js"].body.decode()


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("dashboard.js", "text/javascript; charset=utf-8"),
        ("pictag.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_static_content_types(client: TestClient, name: str, content_type: str) -> None:
    res = client.get(f"/static/{name}")
    assert res.status_code == 200
    assert res.headers["content-type"] == content_type


def test_versioned_urls_are_immutable_and_etags_give_304(client: TestClient) -> None:
    asset = dashboard.static_assets()["dashboard.js"]
    pinned = client.get(f"/static/dashboard.js?v={asset.version}")
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = client.get("/static/dashboard.js?v=000000000000")
    assert stale.headers["cache-control"] == "no-cache"
    again = client.get("/static/dashboard.js", headers={"If-None-Match": pinned.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    page = client.get("/")
    assert client.get("/", headers={"If-None-Match": page.headers["etag"]}).status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/static/../routes/dashboard.py",
        "/static/%2e%2e/app.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static//etc/passwd",
        "/static/__init__.py",
        "/static/index.html",
        "/static/nope.js",
    ],
)
def test_only_shipped_assets_are_served(client: TestClient, path: str) -> None:
    res = client.get(path)
    assert res.status_code == 404
    assert "import" not in res.text and "root:" not in res.text


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/login", True),
        ("/static/pictag.css", True),
        ("/api/v1/health", True),
        ("/api/v1/login", True),
        ("/", False),
        ("/settings", False),
        ("/api/v1/cameras", False),
        ("/ws/events", False),
    ],
)
def test_public_paths_for_the_auth_middleware(path: str, public: bool) -> None:
    assert dashboard.is_public_path(path) is public
