"""`pictag camera simulate|check`: try PicTag without a camera, and test a camera URL."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from pathlib import Path

from pictag.errors import PictagError

_SIZE_RE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
PASSWORD_ENV = "PICTAG_SIMULATE_PASSWORD"
_SETTLE_S = 2.5


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``camera`` command group."""
    parser = sub.add_parser(
        "camera",
        help="Simulate an RTSP camera or check a camera URL.",
        description=("Simulate an RTSP camera from a video file, or check that a camera URL delivers frames."),
    )
    group = parser.add_subparsers(dest="camera_command", metavar="ACTION", required=True)
    sim = group.add_parser(
        "simulate",
        help="Serve a looping video as an RTSP camera (needs GStreamer, see below).",
        description=(
            "Serve VIDEO as a live RTSP camera until Ctrl-C (GStreamer RTSP server fed by ffmpeg). "
            "Needs the Debian/Ubuntu packages: ffmpeg gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 "
            "gir1.2-gstreamer-1.0 python3-gi gstreamer1.0-plugins-base gstreamer1.0-plugins-good "
            "gstreamer1.0-plugins-bad (the server runs under the system /usr/bin/python3)."
        ),
    )
    sim.add_argument("video", help="Video file, or an asset name such as one-by-one-person-detection.mp4.")
    sim.add_argument("--port", type=int, default=8554, help="RTSP port (default 8554; 0 = any free port).")
    sim.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    sim.add_argument("--mount", default="/cam", help="Stream path (default /cam).")
    sim.add_argument(
        "--copies",
        type=int,
        default=1,
        help="Serve N mounts (/cam1 .. /camN) of the same video, for many-camera tests.",
    )
    sim.add_argument("--size", default=None, help="Re-scale, e.g. 1280x720 (default: keep).")
    sim.add_argument("--fps", type=float, default=None, help="Output frame rate (default: keep).")
    sim.add_argument("--user", default=None, help="Require this user name (and a password).")
    sim.add_argument(
        "--password",
        default=None,
        help=f"Password for --user; visible in the process list, prefer ${PASSWORD_ENV}.",
    )
    sim.set_defaults(func=_simulate)
    check = group.add_parser(
        "check",
        help="Open a camera URL and report its status, resolution and frame rate.",
        description="Open a camera URL for a few seconds; report live/offline/error and why.",
    )
    check.add_argument("url", help="rtsp://, rtsps://, http(s)://, a file path or device:N.")
    check.add_argument("--transport", choices=("tcp", "udp"), default="tcp", help="RTSP transport (default tcp).")
    check.add_argument("--timeout", type=float, default=15.0, help="Give up after this many seconds (default 15).")
    check.set_defaults(func=_check)


def _mounts(base: str, copies: int) -> list[str]:
    if not base.startswith("/"):
        base = "/" + base
    if copies < 1:
        raise PictagError("--copies must be at least 1")
    return [base] if copies == 1 else [f"{base}{i}" for i in range(1, copies + 1)]


def _video_path(name: str) -> Path:
    path = Path(name).expanduser()
    if path.is_file():
        return path
    from pictag import assets

    return assets.resolve(name if "/" in name else f"videos/{name}")


def _simulate(args: argparse.Namespace) -> int:
    from pictag.simulate.clips import prepare_clip
    from pictag.simulate.server import Mount, RtspSimulator, missing_requirements

    missing = missing_requirements()
    if missing:
        raise PictagError(f"camera simulate: {missing}")
    width = height = None
    if args.size:
        match = _SIZE_RE.match(args.size)
        if not match:
            raise PictagError(f"--size {args.size!r}: use WIDTHxHEIGHT, e.g. 1280x720")
        width, height = int(match.group(1)), int(match.group(2))
    password = args.password or os.environ.get(PASSWORD_ENV)
    if args.user and not password:
        raise PictagError(f"--user needs a password: set {PASSWORD_ENV} (or --password)")
    video = _video_path(args.video)
    print(f"preparing {video.name} (H.264, cached) ...", file=sys.stderr)
    clip = prepare_clip(video, width=width, height=height, fps=args.fps)
    mounts = [Mount(p, clip=clip, user=args.user, password=password) for p in _mounts(args.mount, args.copies)]
    sim = RtspSimulator(mounts, port=args.port, host=args.host)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    sim.start()
    try:
        for mount in mounts:
            url = sim.url(mount.path)
            if args.user:  # never echo the password itself
                url = url.replace("rtsp://", f"rtsp://{args.user}:<password>@", 1)
            print(url, flush=True)
        print("simulated camera running; Ctrl-C to stop", file=sys.stderr, flush=True)
        while sim.feeders_running() and sim.server_pid is not None:
            time.sleep(0.5)
        print("pictag: error: the simulator stopped unexpectedly", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        sim.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _check(args: argparse.Namespace) -> int:
    from pictag.capture import CameraSource, CameraState
    from pictag.config.cameras import CameraConfig

    cfg = CameraConfig(id="check", url=args.url, transport=args.transport, realtime=True)
    source = CameraSource(cfg)
    source.start()
    deadline = time.monotonic() + args.timeout
    try:
        status = source.status()
        while time.monotonic() < deadline:
            status = source.status()
            # Measure the rate after the burst of frames FFmpeg buffered while opening.
            if status.state is CameraState.LIVE and time.time() - status.since > _SETTLE_S:
                break
            if status.state in (CameraState.ERROR, CameraState.OFFLINE):
                break
            time.sleep(0.2)
    finally:
        source.stop(timeout=cfg.open_timeout_s + 2)
    print(f"{status.url}: {status.state.value}" + (f" - {status.reason}" if status.reason else ""))
    if status.state is CameraState.LIVE:
        print(f"  {status.width}x{status.height}, {status.fps:.1f} fps decoded, source says {status.source_fps:g} fps")
        return 0
    return 1
