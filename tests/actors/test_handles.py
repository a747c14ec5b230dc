"""Typed actor handles cost nothing at run time: importing the aliases imports no actor module."""

from __future__ import annotations

import json
import subprocess
import sys

ACTOR_MODULES = [
    "pictag.actors.capture",
    "pictag.actors.controller",
    "pictag.actors.detector",
    "pictag.actors.embedder",
    "pictag.actors.event_hub",
    "pictag.actors.identity",
    "pictag.actors.integrations",
    "pictag.actors.maintenance",
    "pictag.actors.store",
]

PROBE = f"""
import json, sys
import pictag.actors.handles as h
from ray.actor import ActorHandle
aliases = {{n: getattr(h, n) for n in dir(h) if n.endswith("Handle") and n not in ("Handle", "ActorHandle")}}
print(json.dumps({{
    "loaded": sorted(m for m in {ACTOR_MODULES!r} if m in sys.modules),
    "aliases": {{n: [a.__origin__ is ActorHandle, a.__args__[0].__forward_arg__] for n, a in aliases.items()}},
}}))
"""


def test_handle_aliases_import_no_actor_module() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["loaded"] == [], f"importing pictag.actors.handles loaded {got['loaded']} (keep them TYPE_CHECKING-only)"
    assert got["aliases"]["StoreHandle"] == [True, "StoreActor"]
    assert got["aliases"]["HubHandle"] == [True, "EventHub"]
    assert len(got["aliases"]) == len(ACTOR_MODULES)
    assert all(is_handle for is_handle, _ in got["aliases"].values())
