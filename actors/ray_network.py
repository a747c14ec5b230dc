"""Where Ray listens: loopback only on a single PC, and a warning when a cluster runs without token auth.

Ray 2.60 binds its gRPC servers (GCS, raylet node and object managers, every worker, the
dashboard and runtime-env agents, metrics export) to all interfaces unless the node's IP
is loopback, and it resolves ``--node-ip-address=127.0.0.1`` / ``_node_ip_address`` back to
the machine's network address. The one switch it honours is
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (its single-node mode on macOS and Windows): the node
IP is then 127.0.0.1 and every server binds to it. Ray reads the variable when
``ray._private.ray_constants`` is imported, in the driver and in every process it starts,
so `use_loopback_only` sets it in the environment (children inherit it) and, when Ray was
imported earlier in this process, the driver's already-read copy as well.

The Serve replica's own inter-deployment gRPC server ignores the node IP (``[::]:0`` in
Ray 2.60): `pictag.serve.loopback` handles it inside the replica.
"""

from __future__ import annotations

import ipaddress
import logging
import os

import ray

log = logging.getLogger(__name__)

#: Ray's switch for single-node (loopback) mode; "0" = loopback node IP.
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback; names are not loopback."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address == "localhost"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def use_loopback_only() -> bool:
    """Before a local ``ray.init``: make every Ray process of this PC listen on 127.0.0.1.

    Returns:
        False when the user opted out by setting the variable to something else than "0".
    """
    os.environ.setdefault(LOOPBACK_ENV, "0")
    if os.environ[LOOPBACK_ENV] != "0":
        log.warning(
            "%s=%s: Ray listens on the network interfaces (not loopback only)", LOOPBACK_ENV, os.environ[LOOPBACK_ENV]
        )
        return False
    from ray._private import ray_constants  # read once at import: too late to take the variable

    ray_constants.ENABLE_RAY_CLUSTER = False
    return True


def check_local_binding() -> None:
    """After a local ``ray.init``: warn if the node still has a network address."""
    node_ip = str(ray.util.get_node_ip_address())
    if not is_loopback(node_ip):
        log.warning(
            "Ray's node address is %s: its processes listen on the network. Set %s=0 before Ray starts "
            "(pictag up does) to keep a single-PC install on 127.0.0.1.",
            node_ip,
            LOOPBACK_ENV,
        )


def warn_if_cluster_unauthenticated(address: str) -> bool:
    """After joining a cluster: warn (and return True) when Ray's token authentication is off.

    Without it, anyone who can reach the cluster's ports can run code on every node.
    """
    try:
        from ray._private.authentication.authentication_utils import is_token_auth_enabled

        enabled = bool(is_token_auth_enabled())
    except ImportError:  # another Ray version: fall back to the documented variable
        enabled = os.environ.get("RAY_AUTH_MODE", "token").lower() == "token"
    if enabled:
        return False
    log.warning(
        "Ray token authentication is OFF on the cluster at %s (RAY_AUTH_MODE=disabled): anyone who can "
        "reach its ports can run code on every node. Turn it on (docs/cluster.md, 'Security of the cluster') "
        "or firewall the cluster ports to the PicTag PCs.",
        address,
    )
    return True
