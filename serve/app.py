"""The FastAPI application: REST under /api/v1, WebSockets under /ws."""

from __future__ import annotations

from fastapi import FastAPI

from pictag import __version__
from pictag.config import ServerConfig
from pictag.serve.errors import install_error_handlers
from pictag.serve.routes import (
    alerts,
    cameras,
    dashboard,
    events_ws,
    export,
    footfall,
    geometry,
    health,
    heatmaps,
    identities,
    metrics,
    preview_ws,
    reports,
    settings,
    staff,
    stats,
    tracks,
    visits,
)
from pictag.serve.security import install_security
from pictag.sessions import SessionStore

API_PREFIX = "/api/v1"


def create_app(server: ServerConfig | None = None, sessions: SessionStore | None = None) -> FastAPI:
    """Build the app with every router and the JSON error handlers.

    ``sessions``: where logins are kept (default: the runtime's store actor; tests pass a
    `pictag.sessions.LocalSessionStore`).
    """
    server = server or ServerConfig()
    app = FastAPI(
        title="PicTag",
        version=__version__,
        description="Privacy-first CCTV analytics: cameras, tracks, identities, visits and live events.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    for router in (
        health.router,
        cameras.router,
        tracks.router,
        settings.router,
        export.router,
        stats.router,
        visits.router,
        identities.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    for router in (geometry.router, footfall.router, staff.router, alerts.router, reports.router, heatmaps.router):
        app.include_router(router, prefix=API_PREFIX)
    for router in (events_ws.router, preview_ws.router, metrics.router, dashboard.router):
        app.include_router(router)
    install_security(app, server, sessions)
    return app
