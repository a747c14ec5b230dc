"""Trusted proxies: forwarded headers count only from them."""

from __future__ import annotations

import pytest

from pictag.proxies import TrustedProxies

PROXIES = TrustedProxies(["10.0.0.5", "10.1.0.0/16", "fd00::/8"])


@pytest.mark.parametrize(
    ("peer", "xff", "client"),
    [
        ("192.0.2.1", "198.51.100.7", "192.0.2.1"),  # not a proxy: the header is ignored
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.5", "203.0.113.9, 198.51.100.7", "198.51.100.7"),  # the left part is the client's say
        ("10.0.0.5", "198.51.100.7, 10.1.2.3", "198.51.100.7"),  # two trusted hops
        ("10.0.0.5", "10.1.2.3, 10.0.0.5", "10.0.0.5"),  # all trusted: the peer
        ("::ffff:10.0.0.5", "198.51.100.7", "198.51.100.7"),  # IPv4-mapped peer
        ("fd00::1", "2001:db8::7", "2001:db8::7"),
        ("10.0.0.5", "not-an-ip", "not-an-ip"),
    ],
)
def test_client_address(peer: str, xff: str | None, client: str) -> None:
    assert PROXIES.client(peer, xff) == client


@pytest.mark.parametrize(
    ("peer", "proto", "https"),
    [
        ("10.0.0.5", "https", True),
        ("10.0.0.5", "HTTPS", True),
        ("10.0.0.5", "http, https", True),
        ("10.0.0.5", "https, http", False),
        ("10.0.0.5", None, False),
        ("192.0.2.1", "https", False),
        ("testclient", "https", False),
    ],
)
def test_forwarded_https(peer: str, proto: str | None, https: bool) -> None:
    assert PROXIES.https(peer, proto) is https


def test_bad_proxy_entries_are_config_errors() -> None:
    from pictag.config import parse_config
    from pictag.errors import ConfigError

    with pytest.raises(ConfigError, match="trusted_proxies"):
        parse_config({"server": {"trusted_proxies": ["proxy.local"]}})
    assert parse_config({"server": {"trusted_proxies": ["10.0.0.0/8", "::1"]}}).server.trusted_proxies
