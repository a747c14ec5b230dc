"""The dashboard: three HTML pages and their static files, served from ``serve/static``.

The pages are data-free shells; everything they show comes from the REST API
and the WebSockets, so they may be served before login (the API enforces auth).

Caching: every static URL written into a page, and every ``import "./x.js"``
inside a module, carries ``?v=<content hash>``; such a request is cached for a
year (``immutable``), so a returning phone fetches only the page itself, and an
upgrade still reaches it at once (a changed module changes the hash of every
module importing it, up to the page). Pages and unversioned requests are
revalidated (``no-cache`` + ETag → 304).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from pictag.serve.errors import ApiError

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_PREFIX = "/static/"
PAGES = {"/": "index.html", "/settings": "settings.html", "/login": "login.html"}
# Paths a browser must reach before it holds a token: the login page and its files.
PUBLIC_PATHS = frozenset({"/login", "/api/v1/login", "/api/v1/health"})

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Same-origin everything; previews arrive as blob: URLs; no inline script or style.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
        "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_STATIC_REF = re.compile(r'(?P<attr>(?:src|href)=")/static/(?P<name>[A-Za-z0-9_./-]+)"')
_MODULE_IMPORT = re.compile(r'(?P<head>\b(?:from|import)\s*")\./(?P<name>[A-Za-z0-9_-]+\.js)"')

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    """One servable file, read once: bytes, type and strong ETag."""

    body: bytes
    content_type: str
    etag: str
    version: str


def is_public_path(path: str) -> bool:
    """True for paths the auth middleware must let through without a token.

    The login page and its static files carry no data; health is public by contract.
    """
    return path in PUBLIC_PATHS or path.startswith(STATIC_PREFIX)


def _content_type(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix.lower())
    return known or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _asset(body: bytes, path: Path) -> Asset:
    digest = hashlib.sha256(body).hexdigest()
    return Asset(body, _content_type(path), f'"{digest[:32]}"', digest[:12])


@cache
def static_assets(root: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every file under ``root`` by its URL name (``js/dashboard.js``), read once per process.

    A fixed table instead of path joins: a request can only ever name a file that
    was in the folder at start-up, so ``..`` or absolute paths cannot escape it.
    """
    raw = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix.lower() in CONTENT_TYPES and path.suffix != ".html"
    }
    assets: dict[str, Asset] = {}

    def build(name: str, importers: tuple[str, ...]) -> Asset | None:
        if name in assets or name not in raw:
            return assets.get(name)
        if name in importers:  # an import cycle: leave this edge unversioned
            return None
        body = raw[name]
        if name.endswith(".js"):

            def pin(match: re.Match[str]) -> str:
                dep = build(match["name"], (*importers, name))
                suffix = f"?v={dep.version}" if dep else ""
                return f'{match["head"]}./{match["name"]}{suffix}"'

            body = _MODULE_IMPORT.sub(pin, body.decode("utf-8")).encode("utf-8")
        assets[name] = _asset(body, Path(name))
        return assets[name]

    for name in raw:
        build(name, ())
    return assets


@cache
def page(name: str, root: Path = STATIC_DIR) -> Asset:
    """An HTML page with each ``/static/x`` reference versioned as ``/static/x?v=<hash>``."""
    path = root / name
    assets = static_assets(root)

    def versioned(match: re.Match[str]) -> str:
        asset = assets.get(match["name"])
        suffix = f"?v={asset.version}" if asset else ""
        return f'{match["attr"]}/static/{match["name"]}{suffix}"'

    html = _STATIC_REF.sub(versioned, path.read_text(encoding="utf-8"))
    return _asset(html.encode("utf-8"), path)


def _respond(request: Request, asset: Asset, cache_control: str) -> Response:
    headers = {"ETag": asset.etag, "Cache-Control": cache_control, **SECURITY_HEADERS}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.content_type, headers=headers)


# Module-level handlers, not closures made in a loop: Ray Serve ships the app to its replica
# with cloudpickle, which copies a closure without the globals its string annotations name.
@router.api_route("/", methods=["GET", "HEAD"])
async def dashboard_page(request: Request) -> Response:
    """The dashboard."""
    return _respond(request, page(PAGES["/"]), REVALIDATE)


@router.api_route("/settings", methods=["GET", "HEAD"])
async def settings_page(request: Request) -> Response:
    """Cameras, detection, re-identification and privacy settings."""
    return _respond(request, page(PAGES["/settings"]), REVALIDATE)


@router.api_route("/login", methods=["GET", "HEAD"])
async def login_page(request: Request) -> Response:
    """Sign-in with the access token (sets the HttpOnly cookie through /api/v1/login)."""
    return _respond(request, page(PAGES["/login"]), REVALIDATE)


@router.api_route("/static/{name:path}", methods=["GET", "HEAD"])
async def static_file(name: str, request: Request) -> Response:
    """A dashboard file; cached for a year when the URL names its current version."""
    asset = static_assets().get(name)
    if asset is None:
        raise ApiError(404, "not_found", f"no static file {name!r}", "name")
    pinned = request.query_params.get("v") == asset.version
    return _respond(request, asset, IMMUTABLE if pinned else REVALIDATE)
