"""Runtime diagnostics read from Ray itself (works with the dashboard off)."""

from __future__ import annotations

import ray
from ray._private.internal_api import get_memory_info_reply, get_state_from_address


def object_store_used_bytes() -> int:
    """Bytes currently held in the object store, summed over all nodes."""
    address = ray.get_runtime_context().gcs_address
    reply = get_memory_info_reply(get_state_from_address(address))
    return int(reply.store_stats.object_store_bytes_used)
