"""Prepare a video for the simulated camera: H.264 that survives an RTP relay.

Clips are re-encoded once and cached by content (path, size, mtime, options):
``-bf 0`` (no B-frames: RTP timestamps stay monotonic), a keyframe every
second whatever the frame rate (clients join, and OpenCV finishes probing the
stream, within about a second), ``repeat-headers=1`` (SPS/PPS
before every keyframe, so late joiners can decode) and ``sliced-threads=0``
(sliced threads corrupt P-frames through the relay; see DESIGN.md §6).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from pictag.errors import PictagError

CLIP_VERSION = 1  # bump when the encoding flags change


class SimulatorError(PictagError):
    """The RTSP simulator cannot run (missing packages, bad clip, port in use)."""


def cache_dir() -> Path:
    """Where prepared clips live: ``$XDG_CACHE_HOME/pictag/simulate`` (``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pictag" / "simulate"


def prepare_clip(
    source: Path,
    *,
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    keyframe_s: float = 1.0,
    dest_dir: Path | None = None,
) -> Path:
    """Re-encode ``source`` to relay-safe H.264 MP4 (cached); returns the clip's path.

    Args:
        source: Any video FFmpeg reads (vtest.avi is MPEG-4 part 2: it must be re-encoded).
        width: Output width (with ``height``); None keeps the size.
        height: Output height.
        fps: Output frame rate; None keeps the source's.
        keyframe_s: Keyframe interval in seconds.
        dest_dir: Cache directory (default `cache_dir()`).

    Raises:
        SimulatorError: ffmpeg is missing or cannot read the source.
    """
    source = Path(source).resolve()
    if not source.is_file():
        raise SimulatorError(f"video {source} does not exist")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SimulatorError("ffmpeg is not installed; on Debian/Ubuntu: apt-get install ffmpeg")
    stat = source.stat()
    key = "|".join(
        str(v)
        for v in (
            CLIP_VERSION,
            source,
            stat.st_size,
            stat.st_mtime_ns,
            width,
            height,
            fps,
            keyframe_s,
        )
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    out_dir = dest_dir or cache_dir()
    out = out_dir / f"{source.stem}-{digest}.mp4"
    if out.is_file():
        return out
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp.mp4")
    cmd = [
        ffmpeg,
        "-hide_banner",
        "-v",
        "error",
        "-nostdin",
        "-y",
        "-i",
        str(source),
        "-map",
        "0:v:0",
        "-an",
    ]
    filters = []
    if width and height:
        filters.append(f"scale={width}:{height}")
    if filters:
        cmd += ["-vf", ",".join(filters)]
    if fps:
        cmd += ["-r", f"{fps:g}"]
    cmd += [
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-bf", "0", "-g", "250", "-force_key_frames", f"expr:gte(t,n_forced*{keyframe_s:g})",
        "-x264-params", "repeat-headers=1:sliced-threads=0",
        "-movflags", "+faststart", str(tmp),
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        tail = result.stderr.strip().splitlines()[-3:]
        raise SimulatorError(f"ffmpeg could not convert {source.name}: {' / '.join(tail)}")
    tmp.replace(out)
    return out
