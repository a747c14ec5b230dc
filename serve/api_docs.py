"""The OpenAPI document tells the truth about errors and auth.

Every failure of the API answers ``{error, detail, field}`` (serve/errors.py,
serve/security.py), but FastAPI documents only 200 and its own 422 shape. This
rewrites the generated document once: each operation gets a ``default``
response and a 422 with the real error body, and, when a token is configured,
the bearer scheme. Clients (and schemathesis) can then validate every answer
against the document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error", "detail", "field"],
    "properties": {
        "error": {"type": "string", "description": "Machine-readable code, e.g. not_found."},
        "detail": {"type": "string", "description": "What went wrong and what to do next."},
        "field": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "The request field at fault, if any.",
        },
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_ERROR_RESPONSE = {"description": "Error", "content": {"application/json": {"schema": _ERROR_REF}}}
PUBLIC_OPERATIONS = frozenset({"/api/v1/health", "/api/v1/login", "/api/v1/logout"})


def _rewrite(document: dict[str, Any], bearer: bool) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["ErrorBody"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    if bearer:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code[0] in "45":  # FastAPI's 422 shape, or described without a body
                    responses[code] = {
                        "description": response.get("description", "Error"),
                        "content": _ERROR_RESPONSE["content"],
                    }
            responses["default"] = _ERROR_RESPONSE
            if bearer and path not in PUBLIC_OPERATIONS:
                operation["security"] = [{"bearer": []}]
    return document


def document_errors(app: FastAPI, *, bearer: bool) -> None:
    """Replace ``app.openapi`` with a cached generator that documents the real error body."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = _rewrite(document, bearer)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
