"""Ctrl-C handling of `pictag bench demo` on real child processes: exit, and what is left behind."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from pictag.bench import demo

# A parent that starts a grandchild (like `pictag demo` starting Ray's processes).
_FAMILY = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', {child!r}], stdout=subprocess.PIPE)\n"
    "child.stdout.readline()\n"
    "print('ready', flush=True)\n"
    "time.sleep(120)\n"
)


def _start(child: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _FAMILY.format(child=child)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_ctrl_c_to_the_group_stops_the_whole_tree() -> None:
    proc = _start("import time; print('up', flush=True); time.sleep(120)")
    result = demo._interrupt(proc)
    assert result["exit_code"] is not None and result["exit_code"] != 0  # KeyboardInterrupt
    assert result["leftover_processes"] == 0, result


@pytest.mark.timeout(150)
def test_a_child_that_ignores_ctrl_c_is_reported_as_left_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(demo, "STOP_TIMEOUT_S", 2.0)
    monkeypatch.setattr(demo, "LEFTOVER_WAIT_S", 1.0)
    stubborn = (
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('up', flush=True); time.sleep(120)"
    )
    proc = _start(stubborn)
    child = psutil.Process(proc.pid).children()[0]
    try:
        result = demo._interrupt(proc)
    finally:
        if child.is_running():
            child.kill()
    assert result["leftover_processes"] >= 1
    assert any(str(child.pid) in entry for entry in result["leftover"])
