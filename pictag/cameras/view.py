"""The camera view the API answers: configuration (secret-free), status and every stage's counters.

A camera's counters live in three places: its capture actor (decoded, sent, skipped ...), the
detector serving it (dropped, detected, frame age) and the identity stage (processed, latency,
occupancy). The controller gathers them; these functions merge them into one record per camera,
and count cameras by status for the health route. A running camera whose detector, embedder,
identity stage or store is down shows ``error`` naming that stage, never a silent ``live``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pictag.cameras.supervision import CameraState
from pictag.supervision import StageHealth


def camera_view(
    cam: CameraState,
    det: Mapping[str, Any],
    ident: Mapping[str, Any],
    problem: StageHealth | None = None,
) -> dict[str, Any]:
    """The API's view of one camera.

    Args:
        cam: the camera; its capture counters are ``cam.last_stats`` while it runs.
        det: the serving detector's counters for this camera (``{}`` when unknown).
        ident: the identity stage's counters for this camera (``{}`` when unknown).
        problem: a down stage the camera depends on; it overrides the status (``stage_down``).
    """
    cfg = cam.config
    stats = cam.last_stats if cam.running else {}
    sent = stats.get("sent", 0)
    skipped = stats.get("skipped", 0)
    dropped = det.get("dropped_at_detector", 0)
    offered = sent + skipped + stats.get("idle", 0)
    status = cam.status
    view: dict[str, Any] = {
        "id": cfg.id,
        "name": cfg.display_name,
        "url": cfg.redacted_url,
        "enabled": cfg.enabled,
        "analysis_fps": cfg.analysis_fps,
        "transport": cfg.transport,
        "node": cfg.node,
        "status": status.status,
        "reason": status.reason,
        "reason_code": status.reason_code,
        "since": status.since,
        "counters": {
            "decoded": stats.get("decoded", 0),
            "sent": sent,
            "skipped": skipped,
            "idle": stats.get("idle", 0),
            "stage_down": stats.get("stage_down", 0),
            "closed": stats.get("closed", 0),
            "dropped": dropped,
            "detected": det.get("detected", 0),
            "processed": ident.get("processed", 0),
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
    if problem is not None:
        view["status"] = "error"
        view["reason"] = f"{problem.kind} stage down: {problem.reason}"
        view["reason_code"] = "stage_down"
        view["since"] = problem.since
    return view


def detector_counters(results: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per node key, the per-camera counters of all its detectors (``stats()["cameras"]`` merged)."""
    out: dict[str, dict[str, Any]] = {}
    for key, stats in results:
        out.setdefault(key, {}).update(stats.get("cameras", {}))
    return out


def health_view(stages: Iterable[StageHealth], camera_statuses: Iterable[str]) -> dict[str, Any]:
    """The health route's answer: every stage's health and cameras counted by status.

    ``status`` is ``degraded`` as soon as one stage is down.
    """
    views = {h.name: h.view() for h in stages}
    by_status: dict[str, int] = {}
    for status in camera_statuses:
        by_status[status] = by_status.get(status, 0) + 1
    ok = all(view["status"] != "down" for view in views.values())
    return {"status": "ok" if ok else "degraded", "stages": views, "cameras": by_status}
