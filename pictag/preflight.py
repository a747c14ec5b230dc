"""Start-up checks run before Ray starts: every model and file the configuration needs is there.

Without them `pictag up` would start, print "running" and show cameras `live` while the
detector and embedder actors died in their constructors, the reason only in Ray's worker
logs. These checks run in the CLI process in well under a second and turn that into one
message per missing thing, naming the setting, what is wrong and how to get it.

Each check is a small function of the configuration returning `Problem` records; nothing
here starts a process or touches the network (fetching is the caller's choice:
`pictag demo` downloads, `pictag up` only says how).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pictag import assets
from pictag.capture.url import SourceKind, parse_source_url
from pictag.config import PictagConfig
from pictag.errors import AssetError, CameraError, ModelError, PictagError, StorageError
from pictag.reid.model_files import SHIPPED_PREFIX, resolve_model_file
from pictag.reid.threshold import resolve_threshold


@dataclass(frozen=True)
class Problem:
    """One thing the configuration needs that is not there.

    Attributes:
        setting: the configuration key it comes from (``detector.model``, ``cameras[door].url``).
        detail: what is wrong, with the places looked in.
        fix: what to do about it, as a command or a setting.
        fetchable: asset names `pictag assets fetch` can download to fix it.
    """

    setting: str
    detail: str
    fix: str
    fetchable: tuple[str, ...] = ()

    def text(self) -> str:
        """Two lines for a terminal: the problem, then the fix."""
        return f"{self.setting}: {self.detail}\n    fix: {self.fix}"


def _fetch_fix(name: str) -> str:
    env = assets.ENV_VAR
    return (
        f"run `pictag assets fetch {name}` (downloads into ${env} or ~/.cache/pictag), or copy an assets "
        f"folder that has it and set {env}=/path/to/assets (or `assets_dir` in the config)"
    )


def _fetchable(name: str) -> bool:
    files = assets.manifest_files(name)
    return bool(files) and all(entry.url for entry in files)


def _missing_asset(setting: str, name: str, config: PictagConfig) -> Problem | None:
    """A problem when ``name`` is neither an existing path nor found in the assets folders."""
    if not assets.missing([name], config.assets_dir):
        return None
    try:
        assets.resolve(name, config.assets_dir, verify=False)
    except AssetError as err:
        detail = str(err)
    else:  # pragma: no cover - `missing` said it is missing
        return None
    if _fetchable(name):
        return Problem(setting, detail, _fetch_fix(name), (name,))
    known = assets.manifest_files(name)
    if known:
        how = next((entry.how for entry in known if entry.how), None) or "copy it by hand"
        fix = f"it has no public download: {how}; then set {assets.ENV_VAR}=/path/to/assets"
    elif Path(name).expanduser().is_absolute() or name.startswith((".", "~")):
        fix = "give the path of an existing model"
    else:
        fix = (
            f"give an existing path, or put {name} under models/ in an assets folder "
            f"(${assets.ENV_VAR}, `assets_dir` or ~/.cache/pictag)"
        )
    return Problem(setting, detail, fix)


def check_detector(config: PictagConfig) -> list[Problem]:
    """``detector.model`` resolves to an OpenVINO export (one .xml, its .bin, metadata.yaml)."""
    name = config.detector.model
    missing = _missing_asset("detector.model", name, config)
    if missing:
        return [missing]
    from pictag.detection.ultralytics_ir import locate_export  # imports OpenVINO: only when needed

    try:
        xml, _ = locate_export(assets.resolve(name, config.assets_dir))
    except (AssetError, ModelError) as err:
        return [Problem("detector.model", str(err), "fetch it again or point detector.model at a complete export")]
    if not xml.with_suffix(".bin").is_file():
        return [
            Problem(
                "detector.model",
                f"weights {xml.with_suffix('.bin')} missing beside {xml.name}",
                "copy the whole export folder (.xml, .bin and metadata.yaml)",
            )
        ]
    return []


def check_reid(config: PictagConfig) -> list[Problem]:
    """With re-id on, ``reid.model`` at ``reid.precision`` resolves to a model file with its weights."""
    reid = config.reid
    if not reid.enabled:
        return []
    if not reid.model_name.startswith(SHIPPED_PREFIX):
        missing = _missing_asset("reid.model", reid.model_name, config)
        if missing:
            return [missing]
    try:
        precision = "f32" if reid.type == "joint" else reid.precision
        path = resolve_model_file(reid.model_name, precision, config.assets_dir)
    except AssetError as err:
        return [Problem("reid.model", str(err), "pick another reid.precision or give the model file's path")]
    if path.suffix == ".xml" and not path.with_suffix(".bin").is_file():
        return [
            Problem(
                "reid.model",
                f"weights {path.with_suffix('.bin')} missing beside {path.name}",
                "copy the model's .xml and .bin together",
            )
        ]
    try:
        resolve_threshold(reid, config.assets_dir)
    except PictagError as err:
        return [Problem("reid.threshold", str(err), "run `pictag calibrate --sidecar` or set reid.threshold")]
    return []


def check_file_cameras(config: PictagConfig) -> list[Problem]:
    """Enabled file cameras of this machine (no ``node``) name a readable video file."""
    problems = []
    for camera in config.cameras:
        if not camera.enabled or camera.node is not None:
            continue
        setting = f"cameras[{camera.id}].url"
        try:
            spec = parse_source_url(camera.url, camera.id)
        except CameraError as err:
            problems.append(Problem(setting, str(err), "fix the URL"))
            continue
        if spec.kind is not SourceKind.FILE:
            continue
        path = Path(str(spec.target)).expanduser()
        if not path.is_file():
            problems.append(
                Problem(
                    setting,
                    f"video file {path} does not exist (relative paths start at {Path.cwd()})",
                    "give the video's absolute path, or disable the camera",
                )
            )
        elif not os.access(path, os.R_OK):
            problems.append(Problem(setting, f"video file {path} is not readable by this user", "fix its permissions"))
    return problems


def check_encryption_key(config: PictagConfig) -> list[Problem]:
    """A configured storage key is set and long enough, and DuckDB can write encrypted files here."""
    from pictag.storage.crypto import encryption_available, resolve_key

    storage = config.storage
    setting = "storage.encryption_key_env" if storage.encryption_key_env else "storage.encryption_key_file"
    try:
        key = resolve_key(key_env=storage.encryption_key_env, key_file=storage.encryption_key_file)
    except StorageError as err:
        return [Problem(setting, str(err), "see docs/storage.md, 'Encryption at rest'")]
    if key is not None and not encryption_available():
        return [
            Problem(
                setting,
                "this DuckDB cannot write encrypted files (no httpfs extension)",
                "`pip install duckdb-extension-httpfs==<your duckdb version>` (docs/storage.md)",
            )
        ]
    return []


def check_server_port(config: PictagConfig) -> list[Problem]:
    """Nothing else listens on the web server's address (a second `pictag up`, another server).

    Without this, Ray and every stage would start and only Serve's proxy would fail,
    tens of seconds later, with a bind error deep in Ray's logs.
    """
    server = config.server
    with socket.socket(socket.AF_INET6 if ":" in server.host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the proxy binds: TIME_WAIT is no conflict
        try:
            sock.bind((server.host, server.port))
        except OSError as err:
            return [
                Problem(
                    "server.port",
                    f"cannot listen on {server.host}:{server.port}: {err.strerror or err}",
                    "stop the program using that port (is PicTag already running?), or choose another "
                    "with server.port or --port",
                )
            ]
    return []


#: Every start-up check, in the order their problems are reported.
CHECKS: tuple[Callable[[PictagConfig], list[Problem]], ...] = (
    check_detector,
    check_reid,
    check_file_cameras,
    check_encryption_key,
    check_server_port,
)


def check_config(config: PictagConfig) -> list[Problem]:
    """Run every check in `CHECKS`; an empty list means PicTag can start."""
    return [problem for check in CHECKS for problem in check(config)]


def required_assets(config: PictagConfig) -> list[str]:
    """Names of the downloadable assets the configuration needs (what `pictag demo` fetches)."""
    names = [config.detector.model]
    if config.reid.enabled and not config.reid.model_name.startswith(SHIPPED_PREFIX):
        names.append(config.reid.model_name)
    return [name for name in names if _fetchable(name)]


def report(problems: Iterable[Problem], *, fatal: bool = True) -> str:
    """The terminal text for a list of problems (one header line, two lines per problem)."""
    items = list(problems)
    head = (
        f"{len(items)} start-up problem(s); nothing was started:"
        if fatal
        else f"{len(items)} start-up problem(s) on this machine (other nodes may have what is missing):"
    )
    return "\n".join([head, *(f"  {p.text()}" for p in items)])
