"""The event ring: long-poll, bounded memory, missed-event accounting."""

from __future__ import annotations

import asyncio

from pictag.event_ring import EventRing
from tests.helpers import run_async


def test_poll_returns_new_events_and_waits_for_more() -> None:
    async def run() -> None:
        ring = EventRing(size=8)
        await ring.publish([{"type": "a"}, {"type": "b"}])
        got = await ring.poll(0, timeout=0.1)
        assert [e["type"] for e in got["events"]] == ["a", "b"] and got["seq"] == 2 and got["missed"] == 0
        waiter = asyncio.create_task(ring.poll(2, timeout=5))
        await asyncio.sleep(0)
        assert not waiter.done()
        await ring.publish([{"type": "c"}])
        got = await asyncio.wait_for(waiter, 1)
        assert [e["type"] for e in got["events"]] == ["c"]

    run_async(run())


def test_poll_times_out_empty() -> None:
    async def run() -> dict:
        return await EventRing().poll(0, timeout=0.05)

    got = run_async(run())
    assert {k: got[k] for k in ("seq", "events", "missed")} == {"seq": 0, "events": [], "missed": 0}


def test_slow_reader_is_told_what_it_missed_and_memory_is_bounded() -> None:
    async def run() -> dict:
        ring = EventRing(size=4)
        await ring.publish([{"type": str(i)} for i in range(10)])
        return await ring.poll(0, timeout=0.1)

    got = run_async(run())
    assert [e["type"] for e in got["events"]] == ["6", "7", "8", "9"]
    assert got["missed"] == 6


def test_a_reader_from_before_a_restart_gets_the_new_ring_from_the_start() -> None:
    import asyncio

    from pictag.event_ring import EventRing

    async def run() -> dict:
        old, new = EventRing(), EventRing()
        await old.publish([{"type": "a"}] * 50)
        seen = await old.poll(0, 0.1)
        await new.publish([{"type": "after-restart"}])
        return await new.poll(seen["seq"], 0.1, seen["epoch"])

    got = asyncio.run(run())
    assert [e["type"] for e in got["events"]] == ["after-restart"] and got["seq"] == 1
