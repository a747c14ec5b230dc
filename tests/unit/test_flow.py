"""Backpressure primitives: latest-wins mailbox and in-flight window."""

from __future__ import annotations

import asyncio

from pictag.flow import InFlightWindow, LatestWinsMailbox
from tests.helpers import run_async


def test_mailbox_keeps_only_newest_item_per_key_and_counts_drops() -> None:
    dropped: list[tuple[str, int]] = []
    box: LatestWinsMailbox[str, int] = LatestWinsMailbox(on_replaced=lambda k, v: dropped.append((k, v)))
    assert box.put("a", 1) is None
    assert box.put("a", 2) == 1
    assert box.put("b", 10) is None
    assert box.put("a", 3) == 2
    assert box.depth() == 2
    assert dropped == [("a", 1), ("a", 2)]
    assert box.pop_nowait() == ("a", 3)  # a waited longest, keeps its place
    assert box.pop_nowait() == ("b", 10)
    assert box.pop_nowait() is None
    assert box.stats("a").received == 3 and box.stats("a").replaced == 2 and box.stats("a").delivered == 1


def test_mailbox_get_waits_for_an_item() -> None:
    async def run() -> tuple[str, int]:
        box: LatestWinsMailbox[str, int] = LatestWinsMailbox()
        getter = asyncio.create_task(box.get())
        await asyncio.sleep(0)
        assert not getter.done()
        box.put("cam", 7)
        return await asyncio.wait_for(getter, timeout=1.0)

    assert run_async(run()) == ("cam", 7)


def test_mailbox_memory_is_bounded_by_keys() -> None:
    box: LatestWinsMailbox[int, int] = LatestWinsMailbox()
    for i in range(10_000):
        box.put(i % 4, i)
    assert box.depth() == 4


def test_in_flight_window_skips_when_full() -> None:
    finished: set[int] = set()
    window: InFlightWindow[int] = InFlightWindow(2, lambda pending: [p for p in pending if p in finished])
    assert window.has_room()
    window.add(1)
    window.add(2)
    assert not window.has_room()
    finished.add(1)
    assert window.has_room()
    assert window.pending == 1
