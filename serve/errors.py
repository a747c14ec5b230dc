"""JSON error bodies ``{error, detail, field}`` for every failure the API reports."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pictag.cameras.errors import (
    CameraExists,
    CameraIdImmutable,
    CameraNotFound,
    FrameSizeUnknown,
    GeometryCameraUnknown,
    GeometryEditError,
    GeometryItemNotFound,
    InvalidCameraConfig,
    InvalidGeometry,
    RequestRefused,
    SettingsRefused,
    TooManyCameras,
)
from pictag.errors import PictagError
from pictag.redaction import redact_text

log = logging.getLogger(__name__)

#: Seconds a client should wait before retrying while a stage restarts (Ray restarts one in 1-5 s).
RETRY_AFTER_S = 2


class ApiError(HTTPException):
    """An HTTP error with a machine-readable code and, optionally, the field at fault."""

    def __init__(self, status_code: int, error: str, detail: str, field: str | None = None) -> None:
        super().__init__(status_code=status_code, detail=detail)
        self.error = error
        self.field = field


#: The HTTP status of each refusal the domain raises (the most specific class wins).
REFUSAL_STATUS: dict[type[RequestRefused], int] = {
    RequestRefused: 400,
    CameraNotFound: 404,
    CameraExists: 409,
    TooManyCameras: 409,
    InvalidCameraConfig: 422,
    CameraIdImmutable: 400,
    SettingsRefused: 422,
    GeometryEditError: 422,
    InvalidGeometry: 422,
    GeometryItemNotFound: 404,
    FrameSizeUnknown: 409,
    GeometryCameraUnknown: 422,
}


def refusal_status(refusal: RequestRefused) -> int:
    """The HTTP status for a refusal: its class's entry in `REFUSAL_STATUS`, else its nearest base's."""
    return next(REFUSAL_STATUS[cls] for cls in type(refusal).__mro__ if cls in REFUSAL_STATUS)


def refusal_cause(exc: RequestRefused) -> RequestRefused:
    """The refusal itself: Ray re-raises an actor's exception as ``RayTaskError(<its class>)``,
    an instance of both whose message is the remote traceback; the original is its ``cause``."""
    cause = exc.cause if isinstance(exc, RayTaskError) else exc
    return cause if isinstance(cause, RequestRefused) else exc


def error_body(error: str, detail: str, field: str | None = None) -> dict[str, str | None]:
    """The one error shape of the API."""
    return {"error": error, "detail": redact_text(detail), "field": field}


def install_error_handlers(app: FastAPI) -> None:
    """Map validation errors, our errors and HTTP errors to the JSON error body."""

    @app.exception_handler(RequestRefused)
    async def _refused(_: Request, exc: RequestRefused) -> JSONResponse:
        refusal = refusal_cause(exc)
        return JSONResponse(
            error_body(refusal.error, refusal.detail, refusal.field), status_code=refusal_status(refusal)
        )

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, str(exc.detail), exc.field), status_code=exc.status_code)

    # Starlette's base class: routing (404, 405) and body parsing (400) raise it, not FastAPI's.
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            400: "invalid_request",
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthorized",
            413: "too_large",
        }.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    # A pipeline actor died under the request or is restarting (the store, the identity stage,
    # the controller): a short outage, not a server bug. Ray restarts it; the client retries.
    @app.exception_handler(RayActorError)
    @app.exception_handler(GetTimeoutError)
    @app.exception_handler(asyncio.TimeoutError)
    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("a stage did not answer (%s): 503", type(exc).__name__)
        return JSONResponse(
            error_body(
                "unavailable",
                f"a pipeline stage is restarting ({type(exc).__name__}); retry in {RETRY_AFTER_S} s",
            ),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse(error_body("invalid_request", detail, ".".join(loc) or None), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected API error")
        return JSONResponse(error_body("internal_error", f"{type(exc).__name__}: see the server log"), status_code=500)

    @app.exception_handler(PictagError)
    async def _pictag_error(_: Request, exc: PictagError) -> JSONResponse:
        return JSONResponse(error_body(type(exc).__name__, str(exc)), status_code=400)
