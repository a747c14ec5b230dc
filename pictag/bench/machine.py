"""The machine a benchmark ran on: CPU model, cores, memory, load and library versions.

Numbers without the machine are not numbers; every report starts with this.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

VERSIONED = ("openvino", "ray", "numpy", "opencv-python-headless", "duckdb")


def cpu_model(cpuinfo: str | None = None) -> str:
    """The ``model name`` line of ``/proc/cpuinfo`` (``platform.processor()`` elsewhere)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or "unknown"


def cpu_flags(
    cpuinfo: str | None = None,
    wanted: tuple[str, ...] = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"),
) -> list[str]:
    """Which of the ISA extensions OpenVINO cares about the CPU has."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags = set(value.split())
            return [f for f in wanted if f in flags]
    return []


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """CPU model, logical/physical cores, RAM, load average and library versions."""
    vm = psutil.virtual_memory()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu_model": cpu_model(),
        "cpu_flags": cpu_flags(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(vm.total / 2**30, 1),
        "ram_available_gib": round(vm.available / 2**30, 1),
        "load_average": [round(x, 2) for x in load],
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {p: _version(p) for p in VERSIONED},
    }


def machine_line(info: dict[str, Any]) -> str:
    """One human line describing the machine, for the top of a report."""
    versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items() if v)
    return (
        f"{info.get('cpu_model')} ({info.get('logical_cores')} logical / "
        f"{info.get('physical_cores')} physical cores, {' '.join(info.get('cpu_flags', []))}), "
        f"{info.get('ram_gib')} GiB RAM, load average {info.get('load_average')}; {versions}"
    )
