"""Start and stop the whole PicTag runtime on Ray (local or an existing cluster)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import ray

from pictag.actors import names
from pictag.actors.controller import ControllerActor
from pictag.actors.event_hub import EventHub
from pictag.actors.handles import (
    ControllerHandle,
    HubHandle,
    IdentityHandle,
    IntegrationsHandle,
    MaintenanceHandle,
    StoreHandle,
)
from pictag.actors.identity import IdentityActor
from pictag.actors.integrations import IntegrationsActor, integrations_wanted
from pictag.actors.maintenance import MAINTENANCE_NAME, MaintenanceActor
from pictag.actors.placement import Placement
from pictag.actors.ray_network import check_local_binding, use_loopback_only, warn_if_cluster_unauthenticated
from pictag.actors.remote import actor_class
from pictag.actors.store import StoreActor
from pictag.config import CameraConfig, PictagConfig
from pictag.errors import PictagError
from pictag.live_settings import with_overrides
from pictag.reid.threshold import resolve_reid
from pictag.reports.runner import ReportSettings

log = logging.getLogger(__name__)

DEFAULT_TEMP_DIR = "/tmp/pictag-ray"
START_TIMEOUT_S = 120.0


def prepare_ray_env() -> None:
    """Environment Ray reads at start-up: no usage stats, explicit auth mode."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # RAY_AUTH_MODE is deliberately left to Ray (token auth by default): Ray reads it
    # when `ray` is imported, so setting it here would be too late and would make
    # the driver disagree with the processes it starts.
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    # Serve notices a dead HTTP proxy only after 3 failed health checks; at its default period
    # (10 s) the API stayed unreachable for ~35 s after the proxy was killed. Every 2 s: ~10 s.
    os.environ.setdefault("RAY_SERVE_PROXY_HEALTH_CHECK_PERIOD_S", "2")
    os.environ.setdefault("RAY_SERVE_PROXY_HEALTH_CHECK_TIMEOUT_S", "5")
    # Ray records every task call for its dashboard's state API (which PicTag does not run):
    # tens of calls per second per camera, CPU in every worker and a table growing in the GCS.
    os.environ.setdefault("RAY_task_events_report_interval_ms", "0")
    # Likewise Ray's own Prometheus metrics export (PicTag serves /metrics itself).
    os.environ.setdefault("RAY_enable_metrics_collection", "0")
    # glibc gives every thread that allocates its own malloc arena (up to 8 per core), and freed
    # memory in them is rarely returned: captures and detectors with decoder and inference threads
    # grew by megabytes per hour. Two arenas per process keep them flat (`pictag bench soak`).
    # Ray's processes inherit this from the driver that starts them.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")


def init_ray(config: PictagConfig, address: str | None = None) -> bool:
    """Start a local Ray runtime, or join ``address`` ('auto' or HOST:PORT).

    Returns:
        True when this call connected Ray (and so should shut it down), False
        when Ray was already initialised by the caller (tests, embedding programs).
    """
    prepare_ray_env()
    if ray.is_initialized():
        return False
    target = address or config.runtime.address
    kwargs: dict[str, Any] = {
        "namespace": names.NAMESPACE,
        "log_to_driver": False,
        "include_dashboard": False,
    }
    if target:
        ray.init(address=target, **kwargs)
        warn_if_cluster_unauthenticated(target)
    else:
        use_loopback_only()  # single PC: every Ray socket on 127.0.0.1 (pictag.actors.ray_network)
        ray.init(
            address="local",
            object_store_memory=config.runtime.object_store_mb * 1024 * 1024,
            _temp_dir=config.runtime.temp_dir or DEFAULT_TEMP_DIR,
            # Raw frames must never reach a disk: with spilling off, a full object store
            # fails a put (a skipped frame) instead of writing frames to the temp folder.
            _system_config={"automatic_object_spilling_enabled": False},
            **kwargs,
        )
        check_local_binding()
    return True


def with_resolved_threshold(config: PictagConfig) -> PictagConfig:
    """The config with ``reid.threshold: auto`` replaced by the model's own threshold.

    Raises:
        ConfigError: the model carries no calibrated threshold (the message says what to do).
    """
    reid, resolved = resolve_reid(config.reid, config.assets_dir)
    log.info("reid.threshold=%.4f (%s)", resolved.value, resolved.source)
    return config.model_copy(update={"reid": reid})


def head_node_id() -> str:
    """The Ray head node's id (where global actors and Serve run)."""
    for node in ray.nodes():
        if node.get("Alive") and "node:__internal_head__" in node.get("Resources", {}):
            return str(node["NodeID"])
    return ray.get_runtime_context().get_node_id()


@dataclass
class Runtime:
    """Handles of a running PicTag runtime."""

    config: PictagConfig
    controller: ControllerHandle
    store: StoreHandle
    hub: HubHandle
    identity: IdentityHandle
    placement: Placement
    serve_started: bool
    started_at: float
    owns_ray: bool
    #: The retention job; held here because Ray ends an actor whose last handle is dropped.
    maintenance: MaintenanceHandle | None = None
    #: MQTT / webhooks / alert rules (issue 18); None when none is configured.
    integrations: IntegrationsHandle | None = None

    @property
    def url(self) -> str:
        """Dashboard URL."""
        return f"http://{self.config.server.host}:{self.config.server.port}/"

    def stop(self) -> None:
        """Stop cameras, flush the store, stop Serve, and Ray itself when this runtime started it."""
        steps = [
            ("integrations", self._stop_integrations),
            ("retention job", _kill_maintenance),
            ("cameras", lambda: ray.get(self.controller.stop.remote(), timeout=30)),
            ("identity flush", lambda: ray.get(self.identity.flush.remote(), timeout=10)),
            ("store", lambda: ray.get(self.store.close.remote(), timeout=30)),
        ]
        for name, step in steps:
            try:
                step()
            except Exception as err:
                log.warning("stopping %s failed: %s", name, err)
        if self.serve_started:
            from pictag.serve.deployment import stop_serve

            stop_serve()
        if self.owns_ray:
            ray.shutdown()
            return
        stages = {}
        try:
            stages = ray.get(self.controller.stages.remote(), timeout=10)
        except Exception as err:
            log.debug("stage lookup failed: %s", err)
        actors = [a for st in stages.values() for a in st.values()]
        extra = [self.integrations] if self.integrations is not None else []
        for actor in [*actors, *extra, self.controller, self.identity, self.hub, self.store]:
            try:
                ray.kill(actor, no_restart=True)
            except Exception as err:
                log.debug("kill failed: %s", err)

    def _stop_integrations(self) -> None:
        """Publish MQTT ``offline`` and write the last webhook deliveries before the store closes."""
        if self.integrations is not None:
            ray.get(self.integrations.stop.remote(), timeout=15)


def _kill_maintenance() -> None:
    """Stop the retention job first: no purge may start while the store closes."""
    try:
        ray.kill(ray.get_actor(MAINTENANCE_NAME, namespace=names.NAMESPACE), no_restart=True)
    except ValueError:
        return


def _kill_named() -> None:
    """Remove half-started global actors so a later start does not see a ghost runtime."""
    for name in (names.CONTROLLER, names.IDENTITY, names.EVENT_HUB, names.STORE, MAINTENANCE_NAME, names.INTEGRATIONS):
        try:
            ray.kill(ray.get_actor(name, namespace=names.NAMESPACE), no_restart=True)
        except ValueError:
            continue


def _existing(name: str) -> bool:
    try:
        ray.get_actor(name, namespace=names.NAMESPACE)
    except ValueError:
        return False
    return True


def start_runtime(config: PictagConfig, address: str | None = None, with_serve: bool = True) -> Runtime:
    """Start Ray (or join a cluster), every global actor, the cameras and the Serve app.

    Raises:
        PictagError: PicTag already runs on that cluster, or a stage failed to start.
    """
    started = time.time()
    owns_ray = init_ray(config, address)
    if _existing(names.CONTROLLER):  # before the clean-up below, which would kill the running one's actors
        if owns_ray:
            ray.shutdown()
        raise PictagError("PicTag is already running on this Ray cluster (actor pictag-controller exists)")
    try:
        placement = Placement(head_node_id())
        head = placement.head_options()
        reports = ReportSettings.from_config(config)
        store = actor_class(StoreActor).options(name=names.STORE, **head).remote(config.storage, reports)
        ray.get(store.ready.remote(), timeout=START_TIMEOUT_S)
        file_config = config
        config = with_overrides(config, ray.get(store.load_settings.remote(), timeout=START_TIMEOUT_S))
        config = with_resolved_threshold(config)
        # Retention purge now (a box off for a month must not keep old data) and on schedule.
        maintenance = actor_class(MaintenanceActor).options(name=MAINTENANCE_NAME, **head).remote(config.privacy, store)
        maintenance.start.remote()
        hub = actor_class(EventHub).options(name=names.EVENT_HUB, **head).remote()
        identity = (
            actor_class(IdentityActor)
            .options(name=names.IDENTITY, **head)
            .remote(
                config.tracking,
                store,
                hub,
                reid=config.reid,
                privacy=config.privacy,
                identity=config.identity,
                site=config.site,
            )
        )
        controller = (
            actor_class(ControllerActor)
            .options(name=names.CONTROLLER, **head)
            .remote(config, store, identity, hub, placement, file_config=file_config)
        )
        cameras = _cameras_to_run(config, ray.get(store.load_cameras.remote(), timeout=START_TIMEOUT_S))
        ray.get(controller.start.remote(cameras), timeout=START_TIMEOUT_S)
        integrations: IntegrationsHandle | None = None
        if integrations_wanted(config):
            integrations = (
                actor_class(IntegrationsActor)
                .options(name=names.INTEGRATIONS, **head)
                .remote(
                    config, hub=hub, store=store, controller=controller, identity=identity, timezone=reports.timezone
                )
            )
            ray.get(integrations.ready.remote(), timeout=START_TIMEOUT_S)
        serve_started = False
        if with_serve:
            from pictag.serve.deployment import start_serve

            start_serve(config.server)
            serve_started = True
    except BaseException:
        if owns_ray:
            ray.shutdown()
        else:
            if with_serve:
                from pictag.serve.deployment import stop_serve

                stop_serve()
            _kill_named()
        raise
    return Runtime(
        config, controller, store, hub, identity, placement, serve_started, started, owns_ray, maintenance, integrations
    )


def _cameras_to_run(config: PictagConfig, stored: list[Any]) -> list[CameraConfig]:
    """Cameras of the config file, then cameras added at run time (kept in the store).

    A camera defined in the file wins over a stored one with the same id only
    when the file's definition changed since it was stored (the user edited the
    file); otherwise run-time changes made through the API are kept.
    """
    from pictag.camera_registry import merge_cameras

    return merge_cameras(config.cameras, stored)
