"""IntegrationsActor: MQTT, webhooks and alert rules of the running runtime (issue 18).

A thin shell around `pictag.integrations.hub.IntegrationHub`, on the head node, started only
when ``mqtt``, ``webhooks`` or ``alerts`` are configured. It changes nothing upstream:

- events: it long-polls the event hub the way each Serve replica does
  (`pictag.serve.broadcast`), so the identity stage publishes exactly as before; every event
  goes to ``<prefix>/events`` and to the webhooks subscribed to its type, and feeds the
  event-derived counters (lines, zone presences) of `pictag.integrations.live.LiveFigures`;
- once a second: people in view and state per camera from the controller, site occupancy and
  zones from the identity stage's ``footfall_snapshot()`` (issue 17; absent: no footfall
  figures) → retained MQTT states and the alert rules; each ``alert.raised`` /
  ``alert.cleared`` goes to the store, to the event hub (dashboard, WebSocket) when the rule
  notifies ``dashboard``, and to MQTT / webhooks per ``notify`` (inside the hub);
- webhook delivery records (from the dispatcher's threads) are batched to the store actor
  (``webhook_deliveries``).

Nothing here waits on the network: the publisher and the dispatcher queue and return.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

import ray

from pictag.actors.handles import ControllerHandle, HubHandle, IdentityHandle, StoreHandle
from pictag.config import PictagConfig
from pictag.integrations.hub import IntegrationHub
from pictag.integrations.live import CameraView, LiveFigures
from pictag.integrations.webhooks import DeliveryRecord

log = logging.getLogger(__name__)

TICK_INTERVAL_S = 1.0
#: How long one poll of the controller or the identity stage may take before the tick is skipped.
CALL_TIMEOUT_S = 5.0
POLL_TIMEOUT_S = 5.0
#: Delivery records kept for the store while it is unreachable (oldest dropped first).
MAX_PENDING_DELIVERIES = 10_000


def integrations_wanted(config: PictagConfig) -> bool:
    """True when the configuration asks for MQTT, webhooks or alert rules."""
    return config.mqtt is not None or bool(config.webhooks) or bool(config.alerts)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class IntegrationsActor:
    """Async actor: event hub → MQTT / webhooks; live figures → alert rules (see the module docstring)."""

    def __init__(
        self,
        config: PictagConfig,
        *,
        hub: HubHandle,
        store: StoreHandle,
        controller: ControllerHandle,
        identity: IdentityHandle,
        timezone: str,
    ) -> None:
        self._hub, self._store, self._controller, self._identity = hub, store, controller, identity
        self._figures = LiveFigures(ZoneInfo(timezone), config.alerts)
        self._lock = threading.Lock()
        self._deliveries: list[DeliveryRecord] = []
        self._integrations = IntegrationHub(config, delivery_sink=self._on_delivery)
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._footfall = getattr(identity, "footfall_snapshot", None) is not None
        self.counters = {"events": 0, "missed": 0, "ticks": 0, "skipped_ticks": 0, "alert_events": 0}
        # A restarted actor (max_restarts) starts itself: the runtime called `start` only once.
        ray.get_runtime_context().current_actor.start.remote()

    # ---- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Connect MQTT, start the webhook threads, the event pump and the tick loop (idempotent)."""
        if self._started:
            return
        self._started = True
        self._integrations.start()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._pump()), loop.create_task(self._tick_loop())]
        log.info(
            "integrations started mqtt=%s webhooks=%d alerts=%d footfall=%s",
            self._integrations.mqtt is not None,
            len(self._integrations.webhooks.stats()) if self._integrations.webhooks else 0,
            len(self._integrations.alerts.rules),
            self._footfall,
        )

    async def ready(self) -> bool:
        """True once started."""
        await self.start()
        return True

    async def stop(self) -> None:
        """Publish ``offline`` on MQTT, stop the threads, hand the last delivery records to the store."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        await asyncio.to_thread(self._integrations.stop, 3.0)
        await self._flush_deliveries()

    # ---- events ------------------------------------------------------------------------
    async def _pump(self) -> None:
        after: int | None = None
        while True:
            try:
                if after is None:
                    after = int(await self._hub.head.remote())
                got = await self._hub.poll.remote(after, POLL_TIMEOUT_S)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # hub restarting: retry shortly
                log.warning("event hub poll failed (%s); retrying", type(err).__name__)
                await asyncio.sleep(0.5)
                continue
            after = int(got["seq"])
            if got.get("missed"):
                self.counters["missed"] += int(got["missed"])
            events = [e for e in got["events"] if not str(e.get("type", "")).startswith("alert.")]
            if events:
                self.counters["events"] += len(events)
                self._figures.observe(events)
                self._integrations.publish(events)

    # ---- live figures and alerts -------------------------------------------------------
    async def _tick_loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self._tick()
                await self._flush_deliveries()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("integrations tick failed")
            await asyncio.sleep(max(TICK_INTERVAL_S - (time.monotonic() - started), 0.05))

    async def _tick(self) -> None:
        try:
            cameras = await asyncio.wait_for(self._controller.list_cameras.remote(), CALL_TIMEOUT_S)
            footfall = None
            if self._footfall:
                footfall = await asyncio.wait_for(self._identity.footfall_snapshot.remote(), CALL_TIMEOUT_S)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # an unknown measurement is not evidence: skip this tick
            self.counters["skipped_ticks"] += 1
            log.debug("integrations tick skipped: %s", type(err).__name__)
            return
        state = self._figures.state(time.time(), [CameraView.from_api(c) for c in cameras], footfall)
        events = self._integrations.update(state)
        self.counters["ticks"] += 1
        if not events:
            return
        self.counters["alert_events"] += len(events)
        self._store.write.remote(events, [])
        shown = [e for e in events if "dashboard" in e.get("notify", ())]
        if shown:
            self._hub.publish.remote(shown)

    async def open_alerts(self) -> dict[str, Any]:
        """``{"rules": n, "items": [open alerts, oldest first]}`` for ``GET /api/v1/alerts``."""
        return {"rules": len(self._integrations.alerts.rules), "items": self._integrations.open_alerts()}

    # ---- webhook delivery log ----------------------------------------------------------
    def _on_delivery(self, record: DeliveryRecord) -> None:
        """Called by the dispatcher's threads: keep the record for the next store write."""
        with self._lock:
            self._deliveries.append(record)
            del self._deliveries[:-MAX_PENDING_DELIVERIES]

    async def _flush_deliveries(self) -> None:
        with self._lock:
            batch, self._deliveries = self._deliveries, []
        if not batch:
            return
        try:
            await asyncio.wait_for(self._store.write_deliveries.remote(batch), CALL_TIMEOUT_S)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # keep them for the next try (bounded)
            log.warning("webhook delivery log not written (%s); retrying", type(err).__name__)
            with self._lock:
                self._deliveries = (batch + self._deliveries)[-MAX_PENDING_DELIVERIES:]

    async def stats(self) -> dict[str, Any]:
        """Counters: events read, ticks, alert events, MQTT link, webhook queues."""
        mqtt = self._integrations.mqtt
        hooks = self._integrations.webhooks
        return {
            **self.counters,
            "open_alerts": len(self._integrations.alerts.open_alerts()),
            "mqtt": asdict(mqtt.stats()) if mqtt is not None else None,
            "webhooks": [asdict(s) for s in hooks.stats()] if hooks is not None else [],
        }
