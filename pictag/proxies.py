"""Which reverse proxies to believe: the client address and the scheme behind them.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` can be sent by anyone, so they count only
when the connection comes from a configured proxy (``server.trusted_proxies``). The
client is then the right-most address in ``X-Forwarded-For`` that is not itself a
trusted proxy (each proxy appends the address it saw; only the nearest ones are ours),
and the scheme is the last ``X-Forwarded-Proto`` value (the one our proxy set).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The configured proxy networks and what their headers may tell."""

    def __init__(self, entries: Sequence[str]) -> None:
        """``entries``: addresses or CIDR networks (validated by the config)."""
        self._networks: tuple[Network, ...] = tuple(ipaddress.ip_network(e, strict=False) for e in entries)

    def trusts(self, peer: str) -> bool:
        """True when ``peer`` (the connecting address) is a configured proxy."""
        address = _address(peer)
        return address is not None and any(address in network for network in self._networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The address to account a request to: the peer, or the client a trusted proxy names."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self.trusts(hop):
                address = _address(hop)
                return str(address) if address is not None else hop[:64]
        return peer

    def https(self, peer: str, forwarded_proto: str | None) -> bool:
        """True when a trusted proxy says the browser used HTTPS."""
        if not forwarded_proto or not self.trusts(peer):
            return False
        return forwarded_proto.split(",")[-1].strip().lower() == "https"
