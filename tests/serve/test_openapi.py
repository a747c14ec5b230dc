"""The OpenAPI document describes every answer: a schema for each JSON route, deprecations marked.

Built from the real app (`create_app`) without Ray: generating the document reaches no actor.
"""

from __future__ import annotations

from typing import Any

import pytest

from pictag.serve.app import create_app

#: Routes whose success answer is not JSON: their media types instead of a schema.
NON_JSON = {
    ("get", "/api/v1/export"): {"text/csv; charset=utf-8", "application/vnd.apache.parquet"},
    ("get", "/api/v1/export/hourly.csv"): {"text/csv; charset=utf-8"},
    ("get", "/api/v1/cameras/{camera_id}/heatmap.png"): {"image/png"},
    ("get", "/metrics"): {"text/plain; version=1.0.0; charset=utf-8"},
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def _success(op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    code = next(c for c in op["responses"] if c.startswith("2"))
    return code, op["responses"][code]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_every_json_route_documents_its_answer(document: dict[str, Any]) -> None:
    missing = []
    for method, path, op in _operations(document):
        code, response = _success(op)
        if code == "204" or (method, path) in NON_JSON:
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if not schema.get("$ref") or not _resolve(document, schema).get("properties"):
            missing.append(f"{method.upper()} {path}")
    assert not missing, f"JSON routes without a response model: {missing}"


def test_non_json_routes_document_their_media_types(document: dict[str, Any]) -> None:
    for (method, path), media in NON_JSON.items():
        _, response = _success(document["paths"][path][method])
        assert set(response.get("content", {})) == media, path


def test_no_route_answers_a_loose_object(document: dict[str, Any]) -> None:
    """Free-form ``additionalProperties: true`` answers were what the document said before issue 15."""
    for name, schema in document["components"]["schemas"].items():
        assert schema.get("additionalProperties") is not True, name


def _param(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    return next(p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name)


#: Time filters are ``from``/``to`` on every route that filters by time.
TIME_FILTERED = ("/api/v1/tracks", "/api/v1/visits", "/api/v1/identities", "/api/v1/stats", "/api/v1/export")


@pytest.mark.parametrize("path", TIME_FILTERED)
def test_time_filters_are_from_and_to(document: dict[str, Any], path: str) -> None:
    names = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    assert {"from", "to"} <= set(names) and not names["from"].get("deprecated")
    for old in ("since", "until", "start", "end"):
        assert old not in names or names[old].get("deprecated") is True, (path, old)


@pytest.mark.parametrize(("path", "old"), [("/api/v1/tracks", "since"), ("/api/v1/tracks", "until")])
def test_old_time_filter_names_are_deprecated(document: dict[str, Any], path: str, old: str) -> None:
    param = _param(document, path, old)
    assert param["deprecated"] is True and "Deprecated" in param["description"]


def test_person_id_query_parameter_and_its_deprecated_alias(document: dict[str, Any]) -> None:
    assert not _param(document, "/api/v1/visits", "person_id").get("deprecated")
    old = _param(document, "/api/v1/visits", "identity")
    assert old["deprecated"] is True and "person_id" in old["description"]


@pytest.mark.parametrize("model", ["Visit", "Track"])
def test_answers_name_the_person_person_id_and_mark_identity_id_deprecated(
    document: dict[str, Any], model: str
) -> None:
    schemas = document["components"]["schemas"]
    props = (schemas.get(model) or schemas[f"{model}-Output"])["properties"]
    assert not props["person_id"].get("deprecated")
    assert props["identity_id"]["deprecated"] is True
