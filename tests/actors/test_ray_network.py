"""Ray's network posture: the cluster warning reflects Ray's real token-auth mode; loopback detection."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pictag.actors.ray_network import is_loopback

pytestmark = pytest.mark.timeout(180)

SCRIPT = """
import logging, ray, shutil, tempfile
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from pictag.actors.ray_network import warn_if_cluster_unauthenticated
temp = tempfile.mkdtemp(prefix="pt-auth-", dir="/tmp")
ray.init(address="local", include_dashboard=False, num_cpus=1, object_store_memory=80 * 1024 * 1024,
         _temp_dir=temp, log_to_driver=False)
try:
    print("WARNED" if warn_if_cluster_unauthenticated("127.0.0.1:6379") else "QUIET")
finally:
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)
"""


@pytest.mark.parametrize(("mode", "expected"), [("disabled", "WARNED"), ("token", "QUIET")])
def test_cluster_warning_follows_rays_auth_mode(mode: str, expected: str) -> None:
    env = {**os.environ, "RAY_AUTH_MODE": mode, "RAY_USAGE_STATS_ENABLED": "0"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=150, check=False
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-2000:]
    assert expected in out.stdout, text[-2000:]
    if expected == "WARNED":
        assert "Ray token authentication is OFF" in text and "docs/cluster.md" in text


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("shop-pc", False),
    ],
)
def test_is_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback
