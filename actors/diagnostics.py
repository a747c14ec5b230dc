"""Runtime diagnostics read from Ray itself (works with the dashboard off)."""

from __future__ import annotations

import ray
from ray._private.internal_api import get_memory_info_reply, get_state_from_address


def object_store_used_bytes() -> int:
    """Bytes currently held in the object store, summed over all nodes."""
    address = ray.get_runtime_context().gcs_address
    reply = get_memory_info_reply(get_state_from_address(address))
    return int(reply.store_stats.object_store_bytes_used)


def ray_process_memory(root_pid: int | None = None) -> dict[str, float]:
    """RSS and PSS (MB) of the Ray processes started under ``root_pid`` (default: this process).

    A local Ray's GCS and raylet are children of the driver and its workers are
    the raylet's children, so the process tree below the driver is the runtime.
    """
    import os

    import psutil

    root = psutil.Process(root_pid or os.getpid())
    rss = pss = 0.0
    count = 0
    for proc in root.children(recursive=True):
        try:
            cmd = " ".join(proc.cmdline())
            if "ray" not in cmd:
                continue
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        count += 1
    return {"rss_mb": rss / 1e6, "pss_mb": pss / 1e6, "processes": float(count)}
