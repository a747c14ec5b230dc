"""The API of a REAL runtime (vtest.avi camera, token auth): auth, export, then schemathesis.

First, over the real Serve proxy: the token is required (header or login
cookie, WebSockets included), pages redirect to the login page, the export
holds aggregates only. Then schemathesis against our OpenAPI document.

Every operation gets a bounded number of generated requests, valid and invalid.
Checks: no 5xx, status codes and bodies as documented (every error is
``{error, detail, field}``), content types as documented, no answer slower than
`MAX_RESPONSE_S` (a hang fails the test). After the fuzzing the pipeline must
still deliver: the vtest camera is live and still processing frames.

Login is fuzzed last: random tokens trip the lockout (429) for this client.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import duckdb
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from pictag.config import parse_config
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.timeout(600)

TOKEN = "fuzz-token-0123456789abcdef"  # noqa: S105 - throwaway
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_RESPONSE_S = 10.0
#: Generated cases per operation (explicit examples come on top). PICTAG_FUZZ_EXAMPLES overrides.
EXAMPLES = int(os.environ.get("PICTAG_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every CI run: a failure reproduces
    database=None,
)


@pytest.fixture(scope="module")
def live_api(_ray_owner, asset, tmp_path_factory) -> Iterator[str]:
    """A full runtime with one looping vtest camera; yields the base URL."""
    import ray

    from pictag.actors.runtime import start_runtime
    from tests.conftest import _init_local_ray

    if not ray.is_initialized():  # like `ray_session`, but for the whole module
        _init_local_ray()

    folder = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    config = parse_config(
        {
            "cameras": [{"id": "vtest", "url": str(asset("vtest.avi")), "loop": True, "analysis_fps": 5}],
            "storage": {"path": str(folder / "pictag.duckdb"), "flush_interval_s": 0.5},
            "server": {"port": port, "auth_token": TOKEN},
        }
    )
    runtime = start_runtime(config)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _status(f"{base}/api/v1/health") == 200, 90, message="API health")
        wait_for(lambda: _processed(base) > 0, 90, message="frames processed before fuzzing")
        yield base
    finally:
        runtime.stop()


def _document() -> dict[str, Any]:
    """The OpenAPI document the runtime serves, built from the same app code at collection.

    (schemathesis' lazy fixture loader does not work with pytest 9; the served
    document is compared with this one in `test_served_document_is_the_fuzzed_one`.)
    """
    from pictag.config import ServerConfig
    from pictag.serve.app import create_app

    return create_app(ServerConfig(auth_token=TOKEN)).openapi()


def _status(url: str, **kwargs: Any) -> int | None:
    try:
        return httpx.get(url, timeout=10, **kwargs).status_code
    except httpx.HTTPError:
        return None


def _processed(base: str) -> int:
    cams = httpx.get(f"{base}/api/v1/cameras", headers=AUTH, timeout=10).json()["items"]
    return sum(c["counters"]["processed"] for c in cams if c["id"] == "vtest")


schema = schemathesis.openapi.from_dict(_document())


def test_served_document_is_the_fuzzed_one(live_api: str) -> None:
    served = httpx.get(f"{live_api}/api/v1/openapi.json", headers=AUTH, timeout=10).json()
    assert served == json.loads(json.dumps(_document()))


#: Status codes seen per operation, for the coverage check and the summary line.
SEEN: dict[str, Counter[int]] = defaultdict(Counter)


# ---- auth and export over the real Serve proxy, before the fuzzing ------------------------


def test_token_is_required_over_the_real_server(live_api: str) -> None:
    assert httpx.get(f"{live_api}/api/v1/cameras", timeout=10).status_code == 401
    assert httpx.get(f"{live_api}/api/v1/cameras", headers=AUTH, timeout=10).status_code == 200
    page = httpx.get(f"{live_api}/settings", timeout=10)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fsettings"
    assert httpx.get(f"{live_api}/api/v1/health", timeout=10).status_code == 200


def test_websockets_need_the_token_or_the_login_cookie(live_api: str) -> None:
    url = f"{live_api.replace('http', 'ws')}/ws/events"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=30).close()
    assert refused.value.response.status_code == 403
    with connect(url, open_timeout=30, additional_headers=AUTH) as ws:
        assert json.loads(ws.recv(timeout=60))["type"]
    login = httpx.post(f"{live_api}/api/v1/login", json={"token": TOKEN}, timeout=10)
    cookie = f"pictag_token={login.cookies['pictag_token']}"
    with connect(url, open_timeout=30, additional_headers={"Cookie": cookie}) as ws:
        assert json.loads(ws.recv(timeout=60))["type"]
    evil = {"Cookie": cookie, "Origin": "https://evil.example"}
    with pytest.raises(InvalidStatus):
        connect(url, open_timeout=30, additional_headers=evil).close()


def test_export_holds_aggregates_only(live_api: str) -> None:
    tracks = f"{live_api}/api/v1/tracks"
    wait_for(lambda: httpx.get(tracks, headers=AUTH, timeout=10).json()["items"], 60, message="stored tracks")
    res = httpx.get(f"{live_api}/api/v1/export", params={"format": "csv"}, headers=AUTH, timeout=30)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert "attachment" in res.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert rows and set(rows[0]) == {
        "hour_start_utc",
        "camera_id",
        "tracks",
        "visitors",
        "dwell_total_s",
        "dwell_mean_s",
        "dwell_median_s",
    }
    assert "p_" not in res.text  # no person ids
    parquet = httpx.get(f"{live_api}/api/v1/export", params={"format": "parquet"}, headers=AUTH, timeout=30)
    assert parquet.content[:4] == b"PAR1"
    with tempfile.NamedTemporaryFile(suffix=".parquet") as f:
        f.write(parquet.content)
        f.flush()
        count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{f.name}')").fetchone()
    assert count is not None and count[0] >= len(rows)  # rows may have grown in between
    empty = httpx.get(
        f"{live_api}/api/v1/export",
        headers=AUTH,
        timeout=30,
        params={"from": "2001-01-01T00:00:00Z", "to": "2001-01-02T00:00:00Z"},
    )
    assert empty.status_code == 200 and len(empty.text.strip().splitlines()) == 1  # header only
    backwards = httpx.get(
        f"{live_api}/api/v1/export",
        headers=AUTH,
        timeout=30,
        params={"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "to"


# ---- fuzzing ------------------------------------------------------------------------------


def _call(case: Any, base_url: str) -> None:
    started = time.monotonic()
    response = case.call(base_url=base_url, headers=AUTH, timeout=MAX_RESPONSE_S)
    took = time.monotonic() - started
    SEEN[f"{case.method.upper()} {case.operation.path}"][response.status_code] += 1
    assert took < MAX_RESPONSE_S, f"{case.method} {case.path} took {took:.1f} s"
    case.validate_response(response, checks=CHECKS)


@schema.exclude(path="/api/v1/login").parametrize()
@FUZZ_SETTINGS
def test_fuzz_every_operation(case: Any, live_api: str) -> None:
    _call(case, live_api)


def test_pipeline_survived_the_fuzzing(live_api: str) -> None:
    before = _processed(live_api)
    wait_for(lambda: _processed(live_api) > before, 60, message="frames processed after fuzzing")
    cams = httpx.get(f"{live_api}/api/v1/cameras/vtest", headers=AUTH, timeout=10).json()
    assert cams["status"] == "live"


@schema.include(path="/api/v1/login").parametrize()
@FUZZ_SETTINGS
def test_fuzz_login_last(case: Any, live_api: str) -> None:
    _call(case, live_api)


def test_every_operation_was_exercised() -> None:
    operations = {f"{op.method.upper()} {op.path}" for op in (r.ok() for r in schema.get_all_operations())}
    summary = {op: dict(sorted(SEEN[op].items())) for op in sorted(operations)}
    print(f"\nfuzzed {sum(sum(c.values()) for c in SEEN.values())} requests: {summary}")
    for op in operations:  # an operation without parameters has only a few distinct cases
        assert SEEN[op], f"{op} was never called"
    assert sum(sum(c.values()) for c in SEEN.values()) >= len(operations) * min(EXAMPLES, 10)
    assert not any(code >= 500 for c in SEEN.values() for code in c)
