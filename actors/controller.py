"""ControllerActor: the control plane. Starts, watches and changes cameras at run time.

It owns the capture actors and the per-node stages (detectors with tracking, embedder), keeps
each camera's current status, restarts captures that crash, and answers the
API's camera questions by merging configuration, status and every stage's
counters. It never touches frames.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import ray
from pydantic import ValidationError

from pictag.actors.capture import CaptureActor
from pictag.actors.detector import DetectorActor
from pictag.actors.embedder import EmbedderActor
from pictag.actors.placement import Placement
from pictag.actors.remote import actor_class
from pictag.camera_registry import fingerprint
from pictag.config import CameraConfig, PictagConfig
from pictag.config.geometry import GeometryError, validate_geometry
from pictag.config.loader import format_validation_error
from pictag.config.root import MAX_CAMERAS
from pictag.errors import PictagError
from pictag.events import CAMERA_STATUS, STAGE_DOWN, STAGE_UP, Event, make_event
from pictag.footfall.editing import (
    CameraGeometry,
    EditAction,
    EditOutcome,
    GeometryEditError,
    GeometryKind,
    edit_geometry,
    unknown_camera,
)
from pictag.live_settings import SettingsError, apply_patch, saved_form, settings_view
from pictag.supervision import StageHealth, death_reason

log = logging.getLogger(__name__)

SUPERVISE_INTERVAL_S = 2.0
STATS_TIMEOUT_S = 2.0
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Global stages every camera depends on, and the method that answers a health ping.
GLOBAL_STAGES = (("identity", "gallery_stats"), ("store", "ready"), ("event_hub", "head"))


class _Stage:
    """The detectors (with tracking inside) and the embedder serving the cameras of one node.

    Detectors scale with the node's cameras: each serves up to
    ``runtime.cameras_per_detector`` of them (one OpenVINO model, async requests
    shared across its cameras, and those cameras' trackers); the embedder stays single.
    """

    def __init__(self, key: str, embedder: Any | None, new_detector: Any, new_embedder: Any) -> None:
        self.key = key
        self.embedder = embedder
        self._new_detector = new_detector
        self.new_embedder = new_embedder
        self.detectors: list[Any] = []
        self.assignment: dict[str, int] = {}
        self.health: dict[str, StageHealth] = {}
        if embedder is not None:
            self.health["embedder"] = StageHealth(f"embedder@{key or 'head'}", "embedder", key, time.time())

    def new_detector(self) -> Any:
        """A new detector actor for this node (sharing the node's embedder)."""
        return self._new_detector(self.embedder)

    def detector_health(self, index: int) -> StageHealth:
        """The health record of detector ``index`` (created on first use)."""
        name = f"detector{index}"
        if name not in self.health:
            self.health[name] = StageHealth(f"detector@{self.key or 'head'}#{index}", "detector", self.key, time.time())
        return self.health[name]

    def cameras_of(self, index: int) -> list[str]:
        """Cameras served by detector ``index``."""
        return [cam for cam, i in self.assignment.items() if i == index]

    def problem_for(self, camera_id: str) -> StageHealth | None:
        """A down stage of this node that the camera needs (its detector, the node's embedder)."""
        index = self.assignment.get(camera_id)
        candidates = [self.health.get(f"detector{index}")] if index is not None else []
        candidates.append(self.health.get("embedder"))
        return next((h for h in candidates if h is not None and h.status == "down"), None)

    def detector_for(self, camera_id: str, per_detector: int) -> Any:
        """The detector serving a camera, creating one when all are full."""
        if camera_id in self.assignment:
            return self.detectors[self.assignment[camera_id]]
        load = [0] * len(self.detectors)
        for index in self.assignment.values():
            load[index] += 1
        free = [i for i, n in enumerate(load) if n < per_detector]
        if free:
            index = min(free, key=lambda i: load[i])
        else:
            self.detectors.append(self.new_detector())
            index = len(self.detectors) - 1
            self.detector_health(index)
        self.assignment[camera_id] = index
        return self.detectors[index]

    def serving(self, camera_id: str) -> Any | None:
        """The detector serving a camera, if it has one."""
        index = self.assignment.get(camera_id)
        return None if index is None else self.detectors[index]

    def release(self, camera_id: str) -> Any | None:
        """Forget a camera's detector assignment; returns that detector."""
        index = self.assignment.pop(camera_id, None)
        return None if index is None else self.detectors[index]

    def actors(self) -> dict[str, Any]:
        """The stage's actors by role."""
        out: dict[str, Any] = {f"detector{i}": d for i, d in enumerate(self.detectors)}
        if self.embedder is not None:
            out["embedder"] = self.embedder
        return out


class _Camera:
    def __init__(self, config: CameraConfig) -> None:
        self.config = config
        self.actor: Any | None = None
        self.status: dict[str, Any] = {"status": "connecting", "reason": None, "since": time.time()}
        self.restarts = 0
        self.next_restart_at = 0.0
        self.last_stats: dict[str, Any] = {}


def _error(status: int, error: str, detail: str, field: str | None = None) -> dict[str, Any]:
    return {"status": status, "error": error, "detail": detail, "field": field}


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class ControllerActor:
    """Async actor: camera lifecycle, supervision and the merged camera view."""

    def __init__(
        self,
        config: PictagConfig,
        store: Any,
        identity: Any,
        hub: Any,
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
        self._stages: dict[str, _Stage] = {}
        self._cameras: dict[str, _Camera] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._self_handle: Any | None = None
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
        for cam in cameras:
            self._cameras[cam.id] = _Camera(cam)
            if cam.enabled:
                self._start_capture(self._cameras[cam.id])
            else:
                self._set_status(cam.id, "offline", "disabled in the configuration")
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        return list(self._cameras)

    def _stage(self, node: str | None) -> _Stage:
        key = node or ""
        stage = self._stages.get(key)
        if stage is None:
            options = self._placement.stage_options(node)
            config = self._config

            def new_embedder() -> Any:
                return (
                    actor_class(EmbedderActor)
                    .options(**options)
                    .remote(config.reid, config.assets_dir, config.detector)
                )

            embedder = None
            if config.reid.enabled and config.reid.type != "joint":  # joint re-id runs in the detector
                embedder = new_embedder()

            def new_detector(embedder: Any | None) -> Any:
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

            stage = self._stages[key] = _Stage(key, embedder, new_detector, new_embedder)
        return stage

    def _start_capture(self, cam: _Camera) -> None:
        stage = self._stage(cam.config.node)
        options = self._placement.capture_options(cam.config)
        detector = stage.detector_for(cam.config.id, self._config.runtime.cameras_per_detector)
        runtime = self._config.runtime
        cam.actor = (
            actor_class(CaptureActor)
            .options(**options)
            .remote(cam.config, detector, self._self_handle, runtime, site=self._config.site)
        )
        self._identity.set_geometry.remote(cam.config.id, list(cam.config.lines), list(cam.config.zones))
        if cam.restarts == 0:
            cam.status = {"status": "connecting", "reason": None, "since": time.time()}
        # After a loss the status stays "offline" with its reason until the new capture
        # actor reports (it may wait for its node to come back).

    async def _stop_capture(self, cam: _Camera, wait: bool = True) -> None:
        """Stop a camera's capture actor and forget its per-camera state in the stages.

        With ``wait=False`` (run-time changes from the API) the graceful stop and kill
        finish in the background, so the API answers at once and a replacement capture
        actor can start immediately.
        """
        actor, cam.actor = cam.actor, None
        if actor is None:
            return
        stage = self._stages.get(cam.config.node or "")
        if stage is not None:
            detector = stage.release(cam.config.id)
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

    async def _retire(self, camera_id: str, actor: Any) -> None:
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
    def _set_status(self, camera_id: str, status: str, reason: str | None) -> None:
        cam = self._cameras.get(camera_id)
        if cam is None:
            return
        if cam.status.get("status") == status and cam.status.get("reason") == reason:
            return
        cam.status = {"status": status, "reason": reason, "since": time.time()}
        event = make_event(
            CAMERA_STATUS, camera_id=camera_id, name=cam.config.display_name, status=status, reason=reason
        )
        self._identity.publish.remote([event])

    async def report_status(self, camera_id: str, event: dict[str, Any]) -> None:
        """A capture actor's state change (already a secret-free event)."""
        cam = self._cameras.get(camera_id)
        if cam is None or cam.actor is None:
            return
        cam.status = {
            "status": event["status"],
            "reason": event.get("reason"),
            "reason_code": event.get("reason_code"),
            "since": event["ts_unix"],
        }
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
                if now >= cam.next_restart_at:
                    self._start_capture(cam)
                continue
            try:
                cam.last_stats = await asyncio.wait_for(cam.actor.stats.remote(), STATS_TIMEOUT_S)
                cam.restarts = 0
            except TimeoutError:
                continue
            except Exception as err:  # actor died (crash or its node went away)
                log.warning("camera=%s capture actor lost (%s); restarting", cam.config.id, type(err).__name__)
                cam.actor = None
                delay = RESTART_BACKOFF_S[min(cam.restarts, len(RESTART_BACKOFF_S) - 1)]
                cam.restarts += 1
                cam.next_restart_at = now + delay
                self._set_status(cam.config.id, "offline", _lost_reason(cam, type(err).__name__, delay))

    # ---- stage health ----------------------------------------------------------------
    async def _check_stages(self) -> None:
        """Ping every stage; mark deaths and recoveries, re-create stages that cannot come back."""
        checks: list[tuple[StageHealth, Any, str, _Stage | None, int | None]] = []
        for stage in self._stages.values():
            for index, detector in enumerate(stage.detectors):
                checks.append((stage.detector_health(index), detector, "stats", stage, index))
            if stage.embedder is not None:
                checks.append((stage.health["embedder"], stage.embedder, "stats", stage, None))
        handles = {"identity": self._identity, "store": self._store, "event_hub": self._hub}
        for name, method in GLOBAL_STAGES:
            checks.append((self._global_health[name], handles[name], method, None, None))
        results = await asyncio.gather(
            *(asyncio.wait_for(getattr(actor, method).remote(), STATS_TIMEOUT_S) for _, actor, method, _, _ in checks),
            return_exceptions=True,
        )
        now = time.time()
        for (health, _, _, node_stage, slot), result in zip(checks, results, strict=True):
            if not isinstance(result, BaseException):
                if health.answered(now):
                    self._stage_event(STAGE_UP, health, node_stage, slot)
            elif isinstance(result, asyncio.TimeoutError):
                if health.unanswered(now):
                    self._stage_event(STAGE_DOWN, health, node_stage, slot)
            else:
                # An actor Ray will not bring back (its constructor raised): re-create it ourselves.
                permanent = isinstance(result, ray.exceptions.ActorDiedError) and node_stage is not None
                if health.died(death_reason(str(result)), now, recreate=permanent):
                    self._stage_event(STAGE_DOWN, health, node_stage, slot)
            if node_stage is not None and health.due_for_restart(now):
                self._recreate(node_stage, slot, health, now)

    def _recreate(self, stage: _Stage, index: int | None, health: StageHealth, now: float) -> None:
        """A new actor for a dead node stage; everything that held the old handle gets the new one."""
        log.warning("stage=%s re-created after: %s", health.name, health.reason)
        health.restarted(now)
        if index is None:  # the node's embedder: its detectors call it
            stage.embedder = stage.new_embedder()
            for detector in stage.detectors:
                detector.set_embedder.remote(stage.embedder)
            return
        detector = stage.detectors[index] = stage.new_detector()
        for camera_id in stage.cameras_of(index):
            cam = self._cameras.get(camera_id)
            if cam is not None and cam.actor is not None:
                cam.actor.set_detector.remote(detector)

    def _stage_event(self, kind: str, health: StageHealth, stage: _Stage | None, index: int | None) -> None:
        """``stage.down`` / ``stage.up`` straight to the hub and the store (the identity stage may be the one down)."""
        if stage is None:
            cameras = list(self._cameras)
        elif index is None:
            cameras = list(stage.assignment)
        else:
            cameras = stage.cameras_of(index)
        log.warning("stage=%s %s: %s", health.name, health.status, health.reason or "answering again")
        event = make_event(
            kind,
            stage=health.name,
            kind=health.kind,
            node=health.node or None,
            reason=health.reason,
            cameras=sorted(cameras),
        )
        self._publish_direct([event])

    def _publish_direct(self, events: list[Event]) -> None:
        """Events to the hub (live) and the store (kept); fire-and-forget: either may be the stage down."""
        self._hub.publish.remote(events)
        self._store.write.remote(events=events, sightings=[])

    def _stage_problem(self, cam: _Camera) -> StageHealth | None:
        """The first down stage a camera depends on, if any."""
        stage = self._stages.get(cam.config.node or "")
        problem = stage.problem_for(cam.config.id) if stage is not None else None
        if problem is None:
            problem = next(
                (h for name in ("identity", "store") if (h := self._global_health[name]).status == "down"), None
            )
        return problem

    async def health(self) -> dict[str, Any]:
        """Every stage's health, and cameras counted by status (for ``/api/v1/health``)."""
        stages = {h.name: h.view() for h in self._global_health.values()}
        for stage in self._stages.values():
            stages.update({h.name: h.view() for h in stage.health.values()})
        by_status: dict[str, int] = {}
        for cam in self._cameras.values():
            status = "error" if cam.actor is not None and self._stage_problem(cam) else cam.status["status"]
            by_status[status] = by_status.get(status, 0) + 1
        ok = all(view["status"] != "down" for view in stages.values())
        return {"status": "ok" if ok else "degraded", "stages": stages, "cameras": by_status}

    # ---- queries ---------------------------------------------------------------------
    async def list_cameras(self) -> list[dict[str, Any]]:
        """Every camera merged with the counters of its capture actor and stages."""
        captures = {cid: c.actor.stats.remote() for cid, c in self._cameras.items() if c.actor is not None}
        detector_refs = [(k, d.stats.remote()) for k, s in self._stages.items() for d in s.detectors]
        identity_ref = self._identity.stats.remote()

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
            get(identity_ref, {}),
        )
        capture_stats = dict(zip(capture_ids, results[: len(capture_ids)], strict=True))
        det_results = results[len(capture_ids) : len(capture_ids) + len(detector_refs)]
        det_by_stage: dict[str, dict[str, Any]] = {k: {} for k in self._stages}
        for (k, _), det in zip(detector_refs, det_results, strict=True):
            det_by_stage[k].update(det.get("cameras", {}))
        identity_stats = results[-1]
        out = []
        for cid, cam in self._cameras.items():
            stats = capture_stats.get(cid)
            if stats is not None:
                cam.last_stats = stats
            det = det_by_stage.get(cam.config.node or "", {})
            view = _camera_view(cam, det.get(cid, {}), identity_stats.get(cid, {}))
            problem = self._stage_problem(cam) if cam.actor is not None else None
            if problem is not None:
                view["status"] = "error"
                view["reason"] = f"{problem.kind} stage down: {problem.reason}"
                view["reason_code"] = "stage_down"
                view["since"] = problem.since
            out.append(view)
        return out

    async def stages(self) -> dict[str, Any]:
        """Stage actors per node key, for diagnostics and tests."""
        return {k: s.actors() for k, s in self._stages.items()}

    async def watch_preview(self, camera_id: str, seconds: float = 10.0) -> bool:
        """Ask the camera's node to render anonymised previews for ``seconds``; False if not running."""
        cam = self._cameras.get(camera_id)
        if cam is None or cam.actor is None:
            return False
        stage = self._stages.get(cam.config.node or "")
        if stage is None:
            return False
        detector = stage.serving(camera_id)
        if detector is None:
            return False
        await detector.want_preview.remote(camera_id, seconds)
        return True

    async def capture_actor(self, camera_id: str) -> Any:
        """The capture actor handle of a camera (tests, diagnostics)."""
        cam = self._cameras.get(camera_id)
        return None if cam is None else cam.actor

    # ---- live settings ---------------------------------------------------------------
    async def get_settings(self) -> dict[str, Any]:
        """The settings that can change at run time."""
        return settings_view(self._config)

    async def update_settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Validate, apply to every stage, persist. Returns the new view or an error."""
        try:
            config = apply_patch(self._config, patch)
            if isinstance(config.reid.threshold, str):  # "auto": back to the model's own threshold
                from pictag.actors.runtime import with_resolved_threshold

                config = with_resolved_threshold(config)
        except SettingsError as err:
            return _error(422, "invalid_setting", err.detail, err.field)
        except PictagError as err:
            return _error(422, "invalid_setting", str(err), "reid.threshold")
        self._config = config
        for stage in self._stages.values():
            for detector in stage.detectors:
                detector.set_confidence.remote(config.detector.confidence)
                detector.set_privacy.remote(config.privacy)
        self._identity.set_threshold.remote(config.reid.threshold)
        for stage in self._stages.values():
            for detector in stage.detectors:
                detector.set_threshold.remote(config.reid.threshold)
        await self._store.save_settings.remote(saved_form(self._file_config, config))
        return {"settings": settings_view(config)}

    # ---- run-time changes ------------------------------------------------------------
    async def add_camera(self, body: dict[str, Any]) -> dict[str, Any]:
        """Validate and start a new camera."""
        try:
            config = CameraConfig.model_validate(body)
        except ValidationError as err:
            return _validation_error(err)
        if config.id in self._cameras:
            return _error(409, "conflict", f"camera {config.id!r} already exists", "id")
        if len(self._cameras) >= MAX_CAMERAS:
            return _error(409, "too_many_cameras", f"{MAX_CAMERAS} cameras at most; remove one first")
        cam = self._cameras[config.id] = _Camera(config)
        await self._store.save_camera.remote(config, self._file_origin.get(config.id))
        if config.enabled:
            self._start_capture(cam)
        else:
            self._set_status(config.id, "offline", "disabled")
        return {"camera": _camera_view(cam, {}, {})}

    async def update_camera(self, camera_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial change; restart the capture if anything but the name changed."""
        cam = self._cameras.get(camera_id)
        if cam is None:
            return _error(404, "not_found", f"no camera {camera_id!r}", "camera_id")
        if "id" in patch and patch["id"] != camera_id:
            return _error(400, "invalid_request", "a camera's id cannot change", "id")
        size = await self._frame_size(cam) if "lines" in patch or "zones" in patch else None
        merged = {**cam.config.model_dump(), **patch}
        try:
            config = CameraConfig.model_validate(merged)
            if size is not None:
                validate_geometry(config.lines, config.zones, *size)
        except ValidationError as err:
            return _validation_error(err)
        except GeometryError as err:
            return _error(422, "invalid_camera", str(err), err.field)
        # Names, lines and zones apply live (lines/zones: the identity stage's footfall engine).
        live = {"name", "lines", "zones"}
        restart = config.model_dump(exclude=live) != cam.config.model_dump(exclude=live)
        geometry = (config.lines, config.zones) != (cam.config.lines, cam.config.zones)
        if restart:
            await self._stop_capture(cam, wait=False)
        elif geometry:
            self._identity.set_geometry.remote(camera_id, list(config.lines), list(config.zones))
        cam.config = config
        await self._store.save_camera.remote(config, self._file_origin.get(config.id))
        if restart and config.enabled:
            self._start_capture(cam)
        elif not config.enabled:
            self._set_status(camera_id, "offline", "disabled")
        return {"camera": _camera_view(cam, {}, {})}

    # ---- counting lines and zones (issue 17) -------------------------------------------
    async def _frame_size(self, cam: _Camera) -> tuple[int, int] | None:
        """The size the camera delivers (its capture actor's latest frame), else the configured one."""
        size = cam.last_stats.get("frame_size") if cam.actor is not None else None
        if size is None and cam.actor is not None:
            try:
                cam.last_stats = await asyncio.wait_for(cam.actor.stats.remote(), STATS_TIMEOUT_S)
                size = cam.last_stats.get("frame_size")
            except Exception as err:
                log.debug("camera=%s stats for frame size: %s", cam.config.id, type(err).__name__)
        return (int(size[0]), int(size[1])) if size else cam.config.frame_size

    async def camera_geometry(self, camera_id: str) -> CameraGeometry | None:
        """A camera's lines, zones and frame size; None for an unknown camera."""
        cam = self._cameras.get(camera_id)
        if cam is None:
            return None
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
        """Create, update or delete a line or zone: validated, persisted, applied live (no capture restart)."""
        cam = self._cameras.get(camera_id)
        if cam is None:
            return EditOutcome(refusal=unknown_camera(camera_id))
        size = await self._frame_size(cam)
        if self._cameras.get(camera_id) is not cam:  # removed meanwhile
            return EditOutcome(refusal=unknown_camera(camera_id))
        try:
            config, item = edit_geometry(cam.config, kind, action, item_id=item_id, body=body, frame_size=size)
        except GeometryEditError as err:
            return EditOutcome(refusal=err.refusal())
        cam.config = config  # no await since reading cam.config: concurrent edits cannot lose one
        self._identity.set_geometry.remote(camera_id, list(config.lines), list(config.zones))
        await self._store.save_camera.remote(config, self._file_origin.get(camera_id))
        return EditOutcome(CameraGeometry(camera_id, size, tuple(config.lines), tuple(config.zones)), item)

    async def remove_camera(self, camera_id: str) -> dict[str, Any]:
        """Stop a camera and forget it."""
        cam = self._cameras.get(camera_id)
        if cam is None:
            return _error(404, "not_found", f"no camera {camera_id!r}", "camera_id")
        await self._stop_capture(cam, wait=False)
        del self._cameras[camera_id]
        await self._store.delete_camera.remote(camera_id, self._file_origin.get(camera_id))
        return {"removed": camera_id}


def _node_alive(node_id: str | None) -> bool | None:
    """Whether a Ray node is alive (None when unknown)."""
    if not node_id:
        return None
    for node in ray.nodes():
        if node.get("NodeID") == node_id:
            return bool(node.get("Alive"))
    return False


def _lost_reason(cam: _Camera, error: str, delay: float) -> str:
    """Why a capture actor is gone, in words an owner understands."""
    if _node_alive(cam.last_stats.get("node_id")) is False:
        where = f"node {cam.config.node!r}" if cam.config.node else "its machine"
        return f"{where} is down; the camera resumes when it is back"
    return f"capture process lost ({error}); retrying in {delay:.0f} s"


def _validation_error(err: ValidationError) -> dict[str, Any]:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    return _error(422, "invalid_camera", "; ".join(format_validation_error(err)), field)


def _camera_view(cam: _Camera, det: dict[str, Any], ident: dict[str, Any]) -> dict[str, Any]:
    """The API's view of one camera: configuration (secret-free), status and counters."""
    cfg = cam.config
    stats = cam.last_stats if cam.actor is not None else {}
    sent = stats.get("sent", 0)
    skipped = stats.get("skipped", 0)
    dropped = det.get("dropped_at_detector", 0)
    processed = ident.get("processed", 0)
    offered = sent + skipped + stats.get("idle", 0)
    return {
        "id": cfg.id,
        "name": cfg.display_name,
        "url": cfg.redacted_url,
        "enabled": cfg.enabled,
        "analysis_fps": cfg.analysis_fps,
        "transport": cfg.transport,
        "node": cfg.node,
        "status": cam.status["status"],
        "reason": cam.status.get("reason"),
        "reason_code": cam.status.get("reason_code"),
        "since": cam.status.get("since"),
        "counters": {
            "decoded": stats.get("decoded", 0),
            "sent": sent,
            "skipped": skipped,
            "idle": stats.get("idle", 0),
            "stage_down": stats.get("stage_down", 0),
            "closed": stats.get("closed", 0),
            "dropped": dropped,
            "detected": det.get("detected", 0),
            "processed": processed,
            "reconnects": stats.get("reconnects", 0),
            "restarts": cam.restarts,
        },
        "skip_rate": round((skipped + dropped) / offered, 4) if offered else 0.0,
        "decode_fps": stats.get("decode_fps"),
        "frame_age_ms": det.get("frame_age_ms", {"p50": None, "p95": None}),
        "latency_ms": ident.get("latency_ms", {"p50": None, "p95": None, "p99": None}),
        "stages_ms": {**ident.get("stages_ms", {})},
        "occupancy": ident.get("occupancy", 0),
        "node_id": stats.get("node_id"),
        "frame_size": stats.get("frame_size") or cfg.frame_size,
    }
