"""Keep the Serve replica's inter-deployment gRPC server on loopback on a single PC.

Ray Serve 2.60 starts that server in every replica with ``add_port_to_grpc_server(server,
"[::]:0")`` (ray/serve/_private/replica.py), i.e. on all interfaces, whatever the node's IP;
there is no setting for it (ray-project/ray PR #64623 adds a port range, not an address).
PicTag does not use it (no gRPC routing between deployments). When the node's IP is
loopback (single-PC mode, see `pictag.actors.ray_network`), this wraps the function the
replica module calls so the server binds to that IP instead. The replica calls it after
the deployment's constructor, which is where `restrict_replica_grpc` runs.

If a Ray upgrade renames the function, nothing is patched and a warning is logged; the
listening-socket test (tests/e2e/test_loopback_sockets.py) then fails and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import ray

from pictag.actors.ray_network import is_loopback

log = logging.getLogger(__name__)

_MARK = "_pictag_loopback"


def restrict_replica_grpc() -> bool:
    """In a Serve replica: bind its inter-deployment gRPC server to the node IP when that is loopback.

    Returns:
        True when the bind address is now loopback.
    """
    node_ip = str(ray.util.get_node_ip_address())
    if not is_loopback(node_ip):
        return False
    from ray.serve._private import replica

    original: Callable[[Any, str], int] | None = getattr(replica, "add_port_to_grpc_server", None)
    if original is None:
        log.warning("ray.serve replica has no add_port_to_grpc_server: its gRPC server may listen on all interfaces")
        return False
    if getattr(original, _MARK, False):
        return True

    def bind_loopback(server: Any, address: str) -> int:
        host, _, port = address.rpartition(":")
        if host in ("[::]", "0.0.0.0", ""):  # noqa: S104 - the wildcard addresses we replace
            address = f"{node_ip}:{port}"
        return original(server, address)

    setattr(bind_loopback, _MARK, True)
    setattr(replica, "add_port_to_grpc_server", bind_loopback)  # noqa: B010 - a module Ray does not type
    return True
