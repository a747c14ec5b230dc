"""Find models, videos and ground truth on disk, check them, and fetch missing ones.

Assets are never part of the project: they live in a directory given by the
configuration, ``$PICTAG_ASSETS``, or ``~/.cache/pictag`` (first hit wins),
laid out as ``models/…``, ``videos/…``, ``mot/…``. Every known file is checked
against the sha256 in ``assets_manifest.json`` so a truncated download or a
swapped model is caught before it produces silent garbage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from pictag.errors import AssetError

log = logging.getLogger(__name__)

ENV_VAR = "PICTAG_ASSETS"
DEFAULT_CACHE = Path("~/.cache/pictag")
#: Sub-folders an asset name is looked up in, in order.
KINDS = ("models", "videos", "mot", "")
DEMO_VIDEO = "one-by-one-person-detection.mp4"


@dataclass(frozen=True)
class ManifestEntry:
    """One known asset file: where it lives in the layout, its hash, where to get it."""

    relpath: str
    sha256: str
    url: str | None
    how: str | None


@cache
def manifest() -> dict[str, ManifestEntry]:
    """The shipped manifest, keyed by relative path (``models/…/x.xml``)."""
    text = resources.files("pictag").joinpath("assets_manifest.json").read_text(encoding="utf-8")
    raw = json.loads(text)["files"]
    return {path: ManifestEntry(path, item["sha256"], item.get("url"), item.get("how")) for path, item in raw.items()}


def search_dirs(configured: str | os.PathLike[str] | None = None) -> list[Path]:
    """Directories searched for assets, in priority order."""
    dirs: list[Path] = []
    if configured:
        dirs.append(Path(configured).expanduser())
    env = os.environ.get(ENV_VAR)
    if env:
        dirs.append(Path(env).expanduser())
    dirs.append(DEFAULT_CACHE.expanduser())
    return dirs


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@cache
def _verified(path: str, size: int, mtime_ns: int) -> str:
    # Keyed on size and mtime so a replaced file is hashed again.
    return sha256_of(Path(path))


def verify_file(path: Path, relpath: str) -> None:
    """Raise `AssetError` if a known file's sha256 differs from the manifest."""
    entry = manifest().get(relpath)
    if entry is None:
        return
    st = path.stat()
    actual = _verified(str(path), st.st_size, st.st_mtime_ns)
    if actual != entry.sha256:
        raise AssetError(
            f"asset {relpath} at {path} is corrupt or a different version "
            f"(sha256 {actual[:12]}…, expected {entry.sha256[:12]}…): delete it and run `pictag assets fetch`"
        )


def _candidates(name: str) -> Iterable[str]:
    name = name.strip("/")
    for kind in KINDS:
        yield f"{kind}/{name}" if kind else name


def _files_under(relpath: str) -> list[str]:
    prefix = relpath.rstrip("/") + "/"
    return [p for p in manifest() if p == relpath or p.startswith(prefix)]


def manifest_files(name: str) -> list[ManifestEntry]:
    """The manifest files an asset name stands for (a file or every file under a folder); [] if unknown."""
    for candidate in _candidates(name):
        rels = _files_under(candidate)
        if rels:
            return [manifest()[rel] for rel in rels]
    return []


def resolve(name: str, configured: str | os.PathLike[str] | None = None, verify: bool = True) -> Path:
    """Path of an asset given by name (``vtest.avi``, ``yolo11n_int8_openvino_model``,
    ``intel/person-reidentification-retail-0287``) or by an existing path.

    Raises:
        AssetError: one line naming the file, where it was looked for and how to get it.
    """
    direct = Path(name).expanduser()
    if direct.is_absolute() or name.startswith((".", "~")) or (direct.exists() and os.sep in name):
        if direct.exists():
            return direct
        raise AssetError(f"asset file {direct} does not exist")
    dirs = search_dirs(configured)
    for base in dirs:
        for rel in _candidates(name):
            path = base / rel
            if path.exists():
                if verify:
                    for known in _files_under(rel):
                        verify_file(base / known, known)
                return path
    fetchable = [rel for rel in _candidates(name) if _files_under(rel)]
    hint = "run `pictag assets fetch`" if fetchable else "check the name or give a path"
    looked = ", ".join(str(d) for d in dirs)
    raise AssetError(f"asset {name!r} not found (looked in {looked}; set ${ENV_VAR} or {hint})")


def missing(names: Iterable[str], configured: str | None = None) -> list[str]:
    """The names among ``names`` that `resolve` cannot find."""
    out = []
    for name in names:
        try:
            resolve(name, configured, verify=False)
        except AssetError:
            out.append(name)
    return out


ProgressFactory = Callable[[int, str], Callable[[int], object]]


def _tqdm_progress(total: int, label: str) -> Callable[[int], object]:
    from tqdm import tqdm

    bar = tqdm(total=total or None, unit="B", unit_scale=True, desc=label, leave=False)
    update: Callable[[int], object] = bar.update
    return update


def download(
    entry: ManifestEntry, dest_root: Path, progress: ProgressFactory = _tqdm_progress, timeout: float = 30.0
) -> Path:
    """Download one manifest file into ``dest_root``, checking its sha256 before it is moved in place.

    Raises:
        AssetError: no public origin, network failure or checksum mismatch.
    """
    if not entry.url:
        raise AssetError(f"asset {entry.relpath} has no direct download: {entry.how or 'copy it by hand'}")
    target = dest_root / entry.relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        tmp_path = Path(tmp.name)
        try:
            with urllib.request.urlopen(entry.url, timeout=timeout) as resp:  # noqa: S310 - https URLs from our manifest
                update = progress(int(resp.headers.get("Content-Length") or 0), Path(entry.relpath).name)
                while block := resp.read(1 << 16):
                    tmp.write(block)
                    digest.update(block)
                    update(len(block))
        except OSError as err:
            tmp_path.unlink(missing_ok=True)
            raise AssetError(f"download of {entry.relpath} from {entry.url} failed: {err}") from None
    if digest.hexdigest() != entry.sha256:
        tmp_path.unlink(missing_ok=True)
        raise AssetError(f"download of {entry.relpath} has the wrong sha256: not installed")
    shutil.move(str(tmp_path), target)
    return target


def fetch(
    names: Iterable[str] | None = None,
    dest_root: Path | None = None,
    configured: str | None = None,
    progress: ProgressFactory = _tqdm_progress,
) -> list[str]:
    """Download the manifest files of ``names`` (all when None) that no search dir holds.

    Returns:
        The relative paths fetched.
    """
    dest = dest_root or search_dirs(configured)[0]
    wanted: list[str] = []
    if names is None:
        wanted = [p for p, e in manifest().items() if e.url]
    else:
        for name in names:
            rels = next((r for r in (_files_under(c) for c in _candidates(name)) if r), [])
            if not rels:
                raise AssetError(f"unknown asset {name!r}: not in the manifest")
            wanted.extend(rels)
    fetched = []
    dirs = search_dirs(configured)
    for rel in wanted:
        if any((d / rel).exists() for d in dirs):
            continue
        download(manifest()[rel], dest, progress)
        fetched.append(rel)
    return fetched
