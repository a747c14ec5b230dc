"""ControllerActor: the control plane. Starts, watches and changes cameras at run time.

A thin shell over `pictag.cameras`: it holds the Ray handles (capture actors, the per-node
stages, the global stages) and does the I/O; per-camera state and restart backoff, detector
assignment, the merged camera view and request validation are plain Python there. Refused
requests raise `pictag.cameras.errors.RequestRefused` subclasses, which reach the API as
themselves (Ray re-raises an actor's exception as an instance of its class) and are mapped to
HTTP in ``pictag.serve.errors``. It never touches frames.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import ray
from ray.actor import ActorHandle

from pictag.actors.capture import CaptureActor
from pictag.actors.detector import DetectorActor
from pictag.actors.embedder import EmbedderActor
from pictag.actors.handles import (
    CaptureHandle,
    ControllerHandle,
    DetectorHandle,
    EmbedderHandle,
    HubHandle,
    IdentityHandle,
    StoreHandle,
)
from pictag.actors.placement import Placement
from pictag.actors.remote import actor_class
from pictag.camera_registry import fingerprint
from pictag.cameras.assignment import NodeStage, stage_problem
from pictag.cameras.errors import GeometryCameraUnknown
from pictag.cameras.supervision import CameraState, CameraStatus, lost_reason
from pictag.cameras.validation import camera_change, known_camera, new_camera, settings_change
from pictag.cameras.view import camera_view, detector_counters, health_view
from pictag.config import CameraConfig, PictagConfig
from pictag.events import STAGE_DOWN, CameraStatusChanged, Event, StageDown, StageUp, iso
from pictag.footfall.editing import CameraGeometry, EditAction, EditOutcome, GeometryKind, edit_geometry
from pictag.live_settings import saved_form, settings_view
from pictag.supervision import StageHealth, ping_news

log = logging.getLogger(__name__)

SUPERVISE_INTERVAL_S = 2.0
STATS_TIMEOUT_S = 2.0
#: Global stages every camera depends on, and the method that answers a health ping.
GLOBAL_STAGES = (("identity", "gallery_stats"), ("store", "ready"), ("event_hub", "head"))

Stage = NodeStage[DetectorHandle, EmbedderHandle]


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class ControllerActor:
    """Async actor: camera lifecycle, supervision and the merged camera view."""

    def __init__(
        self,
        config: PictagConfig,
        store: StoreHandle,
        identity: IdentityHandle,
        hub: HubHandle,
        placement: Placement,
        *,
        file_config: PictagConfig | None = None,
    ) -> None:
        self._config = config
        self._file_config = file_config or config
        self._store = store
        self._hub = hub
        self._identity = identity
        self._placement = placement
        self._stages: dict[str, Stage] = {}
        self._cameras: dict[str, CameraState] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._self_handle: ControllerHandle | None = None
        self._file_origin = {c.id: fingerprint(c) for c in self._file_config.cameras}
        now = time.time()
        self._global_health = {name: StageHealth(name, name, "", now) for name, _ in GLOBAL_STAGES}  # type: ignore[arg-type]
        if ray.get_runtime_context().was_current_actor_reconstructed:
            # A restarted controller: the capture and stage actors it owned died with it.
            # (An async actor's constructor runs with its event loop already going.)
            self._background.add(asyncio.get_event_loop().create_task(self._recover()))

    async def _recover(self) -> None:
        """Start every camera again after this actor was restarted (kill, crash)."""
        from pictag.camera_registry import merge_cameras

        try:
            stored = await self._store.load_cameras.remote()
        except Exception:
            log.exception("controller recovery: stored cameras unavailable; starting the file's cameras")
            stored = []
        await self.start(merge_cameras(self._config.cameras, stored))
        log.warning("controller restarted: %d cameras started again", len(self._cameras))

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self, cameras: list[CameraConfig]) -> list[str]:
        """Start the given cameras; returns their ids. Called once by the runtime."""
        self._self_handle = ray.get_runtime_context().current_actor
        for config in cameras:
            cam = self._cameras[config.id] = CameraState.new(config, time.time())
            if config.enabled:
                self._start_capture(cam)
            else:
                self._set_status(cam, "offline", "disabled in the configuration")
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        return list(self._cameras)

    def _stage(self, node: str | None) -> Stage:
        """The stage of a node, created (with its embedder) on first use."""
        key = node or ""
        stage = self._stages.get(key)
        if stage is None:
            options = self._placement.stage_options(node)
            config = self._config

            def new_embedder() -> EmbedderHandle:
                return (
                    actor_class(EmbedderActor)
                    .options(**options)
                    .remote(config.reid, config.assets_dir, config.detector)
                )

            def new_detector(embedder: EmbedderHandle | None) -> DetectorHandle:
                return (
                    actor_class(DetectorActor)
                    .options(**options)
                    .remote(
                        config.detector,
                        config.assets_dir,
                        self._identity,
                        tracking=config.tracking,
                        reid=config.reid,
                        identity_config=config.identity,
                        privacy=config.privacy,
                        hub=self._hub,
                        embedder=embedder,
                    )
                )

            # Joint re-id runs in the detector: no embedder then.
            embedder = new_embedder() if config.reid.enabled and config.reid.type != "joint" else None
            stage = self._stages[key] = NodeStage(key, embedder, new_detector, new_embedder, time.time())
        return stage

    def _start_capture(self, cam: CameraState) -> None:
        config = cam.config
        stage = self._stage(config.node)
        detector = stage.detector_for(config.id, self._config.runtime.cameras_per_detector, time.time())
        actor = (
            actor_class(CaptureActor)
            .options(**self._placement.capture_options(config))
            .remote(config, detector, self._self_handle, self._config.runtime, site=self._config.site)
        )
        self._identity.set_geometry.remote(config.id, list(config.lines), list(config.zones))
        cam.started(actor, time.time())

    async def _stop_capture(self, cam: CameraState, wait: bool = True) -> None:
        """Stop a camera's capture actor and forget its per-camera state in the stages.

        With ``wait=False`` (run-time changes from the API) the graceful stop and kill
        finish in the background, so the API answers at once and a replacement capture
        actor can start immediately.
        """
        actor = cam.stopped()
        if actor is None:
            return
        stage = self._stages.get(cam.config.node or "")
        detector = stage.release(cam.config.id) if stage is not None else None
        if detector is not None:
            detector.forget.remote(cam.config.id)
        ended = self._identity.end_camera.remote(cam.config.id)
        retire = self._retire(cam.config.id, actor)
        if wait:
            await asyncio.gather(retire, ended, return_exceptions=True)
        else:
            task = asyncio.get_running_loop().create_task(retire)
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _retire(self, camera_id: str, actor: CaptureHandle) -> None:
        try:
            await asyncio.wait_for(actor.stop.remote(), 8.0)
        except Exception as err:
            log.debug("camera=%s stop: %s", camera_id, type(err).__name__)
        ray.kill(actor, no_restart=True)

    async def stop(self) -> None:
        """Stop every camera (the runtime then shuts Ray down)."""
        if self._supervisor is not None:
            self._supervisor.cancel()
        await asyncio.gather(*(self._stop_capture(c) for c in self._cameras.values()), return_exceptions=True)

    # ---- status ----------------------------------------------------------------------
    def _set_status(self, cam: CameraState, status: str, reason: str | None) -> None:
        now = time.time()
        if cam.set_status(status, reason, now):
            event = CameraStatusChanged(
                ts=now,
                camera_id=cam.config.id,
                name=cam.config.display_name,
                status=status,
                reason_code=None,
                reason=reason,
                since=iso(now),
            )
            self._identity.publish.remote([event.to_json()])

    async def report_status(self, camera_id: str, event: dict[str, Any]) -> None:
        """A capture actor's state change (already a secret-free event)."""
        cam = self._cameras.get(camera_id)
        if cam is None or not cam.running:
            return
        cam.status = CameraStatus.from_event(event)
        self._identity.publish.remote([event])

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(SUPERVISE_INTERVAL_S)
            try:
                await self._check_stages()
                await self._check_captures()
            except Exception:
                log.exception("camera supervision failed")

    async def _check_captures(self) -> None:
        now = time.time()
        for cam in list(self._cameras.values()):
            if not cam.config.enabled:
                continue
            if cam.actor is None:
                if cam.due_for_restart(now):
                    self._start_capture(cam)
                continue
            try:
                cam.answered(await asyncio.wait_for(cam.actor.stats.remote(), STATS_TIMEOUT_S))
            except TimeoutError:
                continue
            except Exception as err:  # actor died (crash or its node went away)
                error = type(err).__name__
                log.warning("camera=%s capture actor lost (%s); restarting", cam.config.id, error)
                delay = cam.lost(now)
                node_alive = _node_alive(cam.last_stats.get("node_id"))
                self._set_status(cam, "offline", lost_reason(cam.config, error, delay, node_alive))

    # ---- stage health ----------------------------------------------------------------
    async def _check_stages(self) -> None:
        """Ping every stage; mark deaths and recoveries, re-create stages that cannot come back."""
        now = time.time()
        checks: list[tuple[StageHealth, ActorHandle[Any], str, Stage | None, int | None]] = [
            (health, actor, "stats", stage, index)
            for stage in self._stages.values()
            for health, actor, index in stage.members(now)
        ]
        handles: dict[str, ActorHandle[Any]] = {
            "identity": self._identity,
            "store": self._store,
            "event_hub": self._hub,
        }
        checks += [(self._global_health[name], handles[name], method, None, None) for name, method in GLOBAL_STAGES]
        results = await asyncio.gather(
            *(asyncio.wait_for(getattr(actor, method).remote(), STATS_TIMEOUT_S) for _, actor, method, _, _ in checks),
            return_exceptions=True,
        )
        now = time.time()
        for (health, _, _, node_stage, slot), result in zip(checks, results, strict=True):
            failed = isinstance(result, BaseException) and not isinstance(result, asyncio.TimeoutError)
            # An actor Ray will not bring back (its constructor raised): re-create it ourselves.
            permanent = isinstance(result, ray.exceptions.ActorDiedError) and node_stage is not None
            news = ping_news(
                health,
                now,
                error_text=str(result) if failed else None,
                timed_out=isinstance(result, asyncio.TimeoutError),
                recreate=permanent,
            )
            if news is not None:
                self._stage_event(news, health, node_stage, slot)
            if node_stage is not None and health.due_for_restart(now):
                self._recreate(node_stage, slot, health, now)

    def _recreate(self, stage: Stage, index: int | None, health: StageHealth, now: float) -> None:
        """A new actor for a dead node stage; everything that held the old handle gets the new one."""
        log.warning("stage=%s re-created after: %s", health.name, health.reason)
        health.restarted(now)
        if index is None:  # the node's embedder: its detectors call it
            embedder = stage.recreate_embedder()
            for detector in stage.detectors:
                detector.set_embedder.remote(embedder)
            return
        detector = stage.recreate_detector(index)
        for camera_id in stage.cameras_of(index):
            cam = self._cameras.get(camera_id)
            if cam is not None and cam.actor is not None:
                cam.actor.set_detector.remote(detector)

    def _stage_event(self, kind: str, health: StageHealth, stage: Stage | None, index: int | None) -> None:
        """``stage.down`` / ``stage.up`` straight to the hub and the store (the identity stage may be the one down)."""
        cameras = list(self._cameras) if stage is None else stage.cameras_of(index)
        log.warning("stage=%s %s: %s", health.name, health.status, health.reason or "answering again")
        event = (StageDown if kind == STAGE_DOWN else StageUp)(
            stage=health.name,
            kind=health.kind,
            node=health.node or None,
            reason=health.reason,
            cameras=sorted(cameras),
        )
        self._publish_direct([event.to_json()])

    def _publish_direct(self, events: list[Event]) -> None:
        """Events to the hub (live) and the store (kept); fire-and-forget: either may be the stage down."""
        self._hub.publish.remote(events)
        self._store.write.remote(events=events, sightings=[])

    def _stage_problem(self, cam: CameraState) -> StageHealth | None:
        """The first down stage a running camera depends on, if any."""
        if not cam.running:
            return None
        return stage_problem(self._stages.get(cam.config.node or ""), cam.config.id, self._global_health)

    async def health(self) -> dict[str, Any]:
        """Every stage's health, and cameras counted by status (for ``/api/v1/health``)."""
        stages = [*self._global_health.values(), *(h for s in self._stages.values() for h in s.health.values())]
        statuses = ("error" if self._stage_problem(c) else c.status.status for c in self._cameras.values())
        return health_view(stages, statuses)

    # ---- queries ---------------------------------------------------------------------
    async def list_cameras(self) -> list[dict[str, Any]]:
        """Every camera merged with the counters of its capture actor and stages."""
        captures = {cid: c.actor.stats.remote() for cid, c in self._cameras.items() if c.actor is not None}
        detector_refs = [(k, d.stats.remote()) for k, s in self._stages.items() for d in s.detectors]

        async def get(ref: Any, default: Any) -> Any:
            try:
                return await asyncio.wait_for(ref, STATS_TIMEOUT_S)
            except Exception:
                return default

        # All at once: a camera whose node is down must not delay the others' answers.
        capture_ids = list(captures)
        results = await asyncio.gather(
            *(get(captures[c], None) for c in capture_ids),
            *(get(r, {}) for _, r in detector_refs),
            get(self._identity.stats.remote(), {}),
        )
        for cid, stats in zip(capture_ids, results[: len(capture_ids)], strict=True):
            cam = self._cameras.get(cid)
            if stats is not None and cam is not None:
                cam.last_stats = stats
        det_results = results[len(capture_ids) : len(capture_ids) + len(detector_refs)]
        det = detector_counters((k, d) for (k, _), d in zip(detector_refs, det_results, strict=True))
        identity_stats = results[-1]
        return [
            camera_view(
                cam,
                det.get(cam.config.node or "", {}).get(cid, {}),
                identity_stats.get(cid, {}),
                self._stage_problem(cam),
            )
            for cid, cam in list(self._cameras.items())
        ]

    async def stages(self) -> dict[str, dict[str, DetectorHandle | EmbedderHandle]]:
        """Stage actors per node key, for diagnostics and tests."""
        return {k: s.actors() for k, s in self._stages.items()}

    async def watch_preview(self, camera_id: str, seconds: float = 10.0) -> bool:
        """Ask the camera's node to render anonymised previews for ``seconds``; False if not running."""
        cam = self._cameras.get(camera_id)
        stage = self._stages.get(cam.config.node or "") if cam is not None and cam.running else None
        detector = stage.serving(camera_id) if stage is not None else None
        if detector is None:
            return False
        await detector.want_preview.remote(camera_id, seconds)
        return True

    async def capture_actor(self, camera_id: str) -> CaptureHandle | None:
        """The capture actor handle of a camera (tests, diagnostics)."""
        cam = self._cameras.get(camera_id)
        return None if cam is None else cam.actor

    # ---- live settings ---------------------------------------------------------------
    async def get_settings(self) -> dict[str, Any]:
        """The settings that can change at run time."""
        return settings_view(self._config)

    async def update_settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Validate, apply to every stage, persist; returns ``{"settings": view}``.

        Raises:
            SettingsRefused: the patch does not validate (the field is named).
        """
        config = self._config = settings_change(self._config, patch)
        detectors = [d for stage in self._stages.values() for d in stage.detectors]
        for detector in detectors:
            detector.set_confidence.remote(config.detector.confidence)
            detector.set_privacy.remote(config.privacy)
        self._identity.set_threshold.remote(config.reid.threshold)
        for detector in detectors:
            detector.set_threshold.remote(config.reid.threshold)
        await self._store.save_settings.remote(saved_form(self._file_config, config))
        return {"settings": settings_view(config)}

    # ---- run-time changes ------------------------------------------------------------
    async def add_camera(self, body: dict[str, Any]) -> dict[str, Any]:
        """Validate and start a new camera; returns ``{"camera": view}``.

        Raises:
            InvalidCameraConfig, CameraExists, TooManyCameras.
        """
        config = new_camera(body, self._cameras.keys())
        cam = self._cameras[config.id] = CameraState.new(config, time.time())
        await self._store.save_camera.remote(config, self._file_origin.get(config.id))
        if config.enabled:
            self._start_capture(cam)
        else:
            self._set_status(cam, "offline", "disabled")
        return {"camera": camera_view(cam, {}, {})}

    async def update_camera(self, camera_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial change; restart the capture if anything but name, lines or zones changed.

        Raises:
            CameraNotFound, CameraIdImmutable, InvalidCameraConfig.
        """
        cam = known_camera(self._cameras, camera_id)
        size = await self._frame_size(cam) if "lines" in patch or "zones" in patch else None
        change = camera_change(cam.config, patch, size)
        config = change.config
        if change.restart:
            await self._stop_capture(cam, wait=False)
        elif change.geometry:  # applied live by the identity stage's footfall engine
            self._identity.set_geometry.remote(camera_id, list(config.lines), list(config.zones))
        cam.config = config
        await self._store.save_camera.remote(config, self._file_origin.get(config.id))
        if change.restart and config.enabled:
            self._start_capture(cam)
        elif not config.enabled:
            self._set_status(cam, "offline", "disabled")
        return {"camera": camera_view(cam, {}, {})}

    async def remove_camera(self, camera_id: str) -> dict[str, Any]:
        """Stop a camera and forget it; returns ``{"removed": camera_id}``.

        Raises:
            CameraNotFound.
        """
        cam = known_camera(self._cameras, camera_id)
        await self._stop_capture(cam, wait=False)
        del self._cameras[camera_id]
        await self._store.delete_camera.remote(camera_id, self._file_origin.get(camera_id))
        return {"removed": camera_id}

    # ---- counting lines and zones (issue 17) -------------------------------------------
    async def _frame_size(self, cam: CameraState) -> tuple[int, int] | None:
        """The size the camera delivers (its capture actor's latest frame), else the configured one."""
        if cam.actor is not None and not cam.delivered_frame_size():
            try:
                cam.last_stats = await asyncio.wait_for(cam.actor.stats.remote(), STATS_TIMEOUT_S)
            except Exception as err:
                log.debug("camera=%s stats for frame size: %s", cam.config.id, type(err).__name__)
        return cam.known_frame_size()

    async def camera_geometry(self, camera_id: str) -> CameraGeometry:
        """A camera's lines, zones and frame size.

        Raises:
            GeometryCameraUnknown: no such camera.
        """
        cam = self._cameras.get(camera_id)
        if cam is None:
            raise GeometryCameraUnknown.of(camera_id)
        size = await self._frame_size(cam)
        return CameraGeometry(camera_id, size, tuple(cam.config.lines), tuple(cam.config.zones))

    async def edit_geometry(
        self,
        camera_id: str,
        kind: GeometryKind,
        action: EditAction,
        item_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> EditOutcome:
        """Create, update or delete a line or zone: validated, persisted, applied live (no capture restart).

        Raises:
            GeometryCameraUnknown: no such camera (or it was removed meanwhile).
            GeometryEditError: the edit is refused (`pictag.footfall.editing.edit_geometry`).
        """
        cam = self._cameras.get(camera_id)
        size = await self._frame_size(cam) if cam is not None else None
        if cam is None or self._cameras.get(camera_id) is not cam:  # unknown, or removed meanwhile
            raise GeometryCameraUnknown.of(camera_id)
        config, item = edit_geometry(cam.config, kind, action, item_id=item_id, body=body, frame_size=size)
        cam.config = config  # no await since reading cam.config: concurrent edits cannot lose one
        self._identity.set_geometry.remote(camera_id, list(config.lines), list(config.zones))
        await self._store.save_camera.remote(config, self._file_origin.get(camera_id))
        return EditOutcome(CameraGeometry(camera_id, size, tuple(config.lines), tuple(config.zones)), item)


def _node_alive(node_id: str | None) -> bool | None:
    """Whether a Ray node is alive (None when unknown)."""
    if not node_id:
        return None
    for node in ray.nodes():
        if node.get("NodeID") == node_id:
            return bool(node.get("Alive"))
    return False
