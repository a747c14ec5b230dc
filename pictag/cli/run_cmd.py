"""`pictag up` and `pictag demo`: run the pipeline until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from pictag import assets, preflight
from pictag.config import PictagConfig, load_config, parse_config
from pictag.config.loader import ConfigProblems
from pictag.errors import AssetError, ConfigError

log = logging.getLogger(__name__)

DEMO_DB = "data/pictag-demo.duckdb"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``up`` and ``demo``."""
    up = sub.add_parser(
        "up",
        help="Start PicTag for your cameras (Ctrl-C stops everything).",
        description="Start the pipeline, the store and the dashboard for the cameras of a config "
        "file and/or --camera options. Without --address a local Ray runtime is started.",
    )
    up.add_argument("-c", "--config", type=Path, help="YAML configuration file.")
    up.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="[ID=]URL",
        help="A camera URL (rtsp://, http://, file path, device:N); repeatable. ID defaults to cam1, cam2, ...",
    )
    up.add_argument("--address", help="Join an existing Ray cluster ('auto' or HOST:PORT) instead of starting one.")
    up.add_argument("--host", help="Override server.host.")
    up.add_argument("--port", type=int, help="Override server.port.")
    up.add_argument("--db", help="Override storage.path.")
    up.set_defaults(func=_up)

    demo = sub.add_parser(
        "demo",
        help="Run PicTag on the bundled demo video.",
        description=f"Loop {assets.DEMO_VIDEO} as a camera through the whole pipeline and serve the dashboard.",
    )
    demo.add_argument("--port", type=int, help="HTTP port (default 8000).")
    demo.add_argument("--db", default=DEMO_DB, help=f"DuckDB file (default {DEMO_DB}).")
    demo.add_argument("--address", help="Join an existing Ray cluster instead of starting one.")
    demo.set_defaults(func=_demo)


def parse_camera_option(value: str, index: int) -> dict[str, Any]:
    """``[ID=]URL`` → camera dict; the id defaults to ``cam<index>``."""
    head, sep, tail = value.partition("=")
    if sep and "://" not in head and "/" not in head and head and not head.startswith(("device:",)):
        return {"id": head, "url": tail}
    return {"id": f"cam{index}", "url": value}


def build_up_config(args: argparse.Namespace) -> PictagConfig:
    """Config file (optional) + --camera options + overrides, validated as one tree."""
    data: dict[str, Any] = {}
    if args.config is not None:
        data = load_config(args.config).model_dump(mode="python")
        data["server"]["auth_token"] = _secret(data["server"].get("auth_token"))
    cameras = list(data.get("cameras", []))
    for i, value in enumerate(args.camera, start=len(cameras) + 1):
        cameras.append(parse_camera_option(value, i))
    data["cameras"] = cameras
    overrides = {"host": args.host, "port": args.port}
    data.setdefault("server", {}).update({k: v for k, v in overrides.items() if v is not None})
    if args.db:
        data.setdefault("storage", {})["path"] = args.db
    config = parse_config(data, str(args.config or "--camera options"))
    if not config.cameras:
        raise ConfigError("no cameras: give -c FILE with a cameras section or --camera [ID=]URL")
    return config


def _secret(value: Any) -> Any:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def _up(args: argparse.Namespace) -> int:
    try:
        config = build_up_config(args)
    except ConfigProblems as err:
        print(f"pictag: {err.source}: {len(err.lines)} problem(s)", file=sys.stderr)
        for line in err.lines:
            print(f"  {line}", file=sys.stderr)
        return 2
    return run_until_interrupted(config, args.address)


def demo_config(db: str, port: int | None) -> PictagConfig:
    """One looping demo camera on the shop-like sample video."""
    video = assets.resolve(assets.DEMO_VIDEO)
    data: dict[str, Any] = {
        "cameras": [{"id": "demo", "name": "Demo shop", "url": str(video), "loop": True, "analysis_fps": 10}],
        "storage": {"path": db},
    }
    if port:
        data["server"] = {"port": port}
    return parse_config(data, "demo")


def demo_assets() -> list[str]:
    """Everything the demo needs that can be downloaded: its video and the default models."""
    return [assets.DEMO_VIDEO, *preflight.required_assets(PictagConfig())]


def fetch_demo_assets() -> list[preflight.Problem]:
    """Download the demo's missing assets; one problem per asset that could not be had."""
    problems = []
    for name in assets.missing(demo_assets()):
        print(f"fetching missing demo asset {name}...", file=sys.stderr, flush=True)
        try:
            assets.fetch([name])
        except AssetError as err:
            problems.append(
                preflight.Problem(
                    f"demo asset {name}",
                    str(err),
                    f"connect to the internet and run `pictag assets fetch {name}`, or copy an assets folder "
                    f"that has it and set {assets.ENV_VAR}=/path/to/assets",
                )
            )
    return problems


def _demo(args: argparse.Namespace) -> int:
    problems = fetch_demo_assets()
    if problems:
        print(f"pictag: {preflight.report(problems)}", file=sys.stderr)
        return 2
    return run_until_interrupted(demo_config(args.db, args.port), args.address)


def run_until_interrupted(config: PictagConfig, address: str | None) -> int:
    """Start the runtime, print where to look, block until Ctrl-C/SIGTERM, stop cleanly."""
    cluster = bool(address or config.runtime.address)
    problems = preflight.check_config(config)
    if problems and not cluster:
        print(f"pictag: {preflight.report(problems)}", file=sys.stderr, flush=True)
        return 2
    if problems:  # the actors may run on other nodes, which this machine cannot check
        print(f"pictag: warning: {preflight.report(problems, fatal=False)}", file=sys.stderr, flush=True)
    from pictag.actors.runtime import start_runtime

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    t0 = time.time()
    print("starting PicTag...", file=sys.stderr, flush=True)
    runtime = start_runtime(config, address=address)
    try:
        host, port = config.server.host, config.server.port
        print(
            f"PicTag is running ({time.time() - t0:.1f} s): dashboard http://{host}:{port}/  "
            f"events ws://{host}:{port}/ws/events  store {config.storage.path}",
            flush=True,
        )
        print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)
        stop.wait()
    finally:
        print("stopping...", file=sys.stderr, flush=True)
        runtime.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    print("stopped.", file=sys.stderr, flush=True)
    return 0
