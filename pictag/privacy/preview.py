"""Dashboard previews: anonymise, shrink, draw boxes and ids, encode as JPEG.

Order matters: the frame is anonymised at full resolution *before* anything
else touches it, so no code path can encode an unanonymised pixel by
accident; boxes and labels are drawn after shrinking so they stay readable on
a phone.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np
import numpy.typing as npt

from pictag.detections import Detections
from pictag.privacy.masking import AnonymizeMode, Frame, anonymize

#: JPEG quality of previews: small files, boxes and labels still crisp.
DEFAULT_JPEG_QUALITY = 70
MIN_PREVIEW_WIDTH = 32

_LABEL_BG = (0, 0, 0)
_LABEL_FG = (255, 255, 255)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def track_colours(track_ids: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """A stable, well-spread BGR colour per track id (golden-angle hue), ``(n, 3)``."""
    hue = ((np.asarray(track_ids, dtype=np.int64) * 0.618033988749895) % 1.0 * 180).astype(np.uint8)
    hsv = np.stack([hue, np.full_like(hue, 200), np.full_like(hue, 255)], axis=-1)[None]
    bgr: npt.NDArray[np.uint8] = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0]
    return bgr


def draw_overlay(frame: Frame, tracks: Detections, person_ids: Mapping[int, str] | None = None) -> Frame:
    """A copy of ``frame`` with each track's box and label (person id, else ``#track``).

    Args:
        frame: ``(h, w, 3)`` uint8 image (already anonymised), not modified.
        tracks: boxes in this frame's pixel coordinates with ``track_id`` set.
        person_ids: random person ids by track id, when the identity stage knows them.
    """
    out = np.ascontiguousarray(frame).copy()
    if len(tracks) == 0:
        return out
    ids = person_ids or {}
    boxes = np.round(tracks.xyxy).astype(np.int64)
    colours = track_colours(tracks.track_id)
    thickness = max(1, round(out.shape[1] / 480))
    scale = max(0.35, out.shape[1] / 1600)
    rows = zip(boxes.tolist(), tracks.track_id.tolist(), colours.tolist(), strict=True)
    # Drawing text has no array form; n is the people in one frame (tens at most).
    for (x1, y1, x2, y2), tid, colour in rows:
        cv2.rectangle(out, (x1, y1), (x2, y2), tuple(colour), thickness, cv2.LINE_AA)
        _label(out, ids.get(int(tid)) or f"#{tid}", x1, y1, scale)
    return out


def _label(out: Frame, text: str, x: int, y: int, scale: float) -> None:
    """White text on a black plate sitting on top of the box (inside the frame)."""
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, 1)
    ty = max(y, th + base + 2)
    cv2.rectangle(out, (x, ty - th - base - 2), (x + tw + 4, ty), _LABEL_BG, -1)
    cv2.putText(out, text, (x + 2, ty - base), _FONT, scale, _LABEL_FG, 1, cv2.LINE_AA)


def shrink(frame: Frame, max_width: int) -> tuple[Frame, float]:
    """The frame scaled down to at most ``max_width`` px wide (area filter), and the scale."""
    if max_width < MIN_PREVIEW_WIDTH:
        raise ValueError(f"max_width={max_width} reason=too_small; use at least {MIN_PREVIEW_WIDTH}")
    height, width = frame.shape[:2]
    if width <= max_width:
        return frame, 1.0
    scale = max_width / width
    size = (max_width, max(1, round(height * scale)))
    small = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return small, scale


def encode_preview(frame: Frame, max_width: int, quality: int = DEFAULT_JPEG_QUALITY) -> bytes:
    """JPEG bytes of ``frame`` shrunk to at most ``max_width`` pixels wide.

    The caller must pass an anonymised frame; `render_preview` does all steps.
    """
    small, _ = shrink(frame, max_width)
    params = [cv2.IMWRITE_JPEG_QUALITY, int(np.clip(quality, 10, 95))]
    ok, buf = cv2.imencode(".jpg", small, params)
    if not ok:
        raise ValueError(f"JPEG encoding failed for a frame of shape {frame.shape}")
    return buf.tobytes()


def render_preview(  # noqa: PLR0917 - the tracking stage calls it positionally via to_thread
    frame: Frame,
    detections: Detections,
    tracks: Detections,
    person_ids: Mapping[int, str] | None,
    mode: AnonymizeMode,
    max_width: int,
    quality: int = DEFAULT_JPEG_QUALITY,
) -> bytes:
    """One dashboard preview: anonymise every detection, shrink, draw tracks, encode JPEG.

    Args:
        frame: the captured frame (read-only is fine; never modified).
        detections: EVERY person detection of the frame (low-confidence ones
            included): these are what gets hidden.
        tracks: confirmed tracks to draw (a subset of what was detected).
        person_ids: person id per track id, if known.
        mode: ``privacy.anonymize``.
        max_width: preview width cap in pixels.
        quality: JPEG quality 10..95.
    """
    hidden = anonymize(frame, np.concatenate([detections.xyxy, tracks.xyxy]), mode)
    small, scale = shrink(hidden, max_width)
    scaled = Detections(
        xyxy=tracks.xyxy * np.float32(scale),
        confidence=tracks.confidence,
        class_id=tracks.class_id,
        track_id=tracks.track_id,
    )
    return encode_preview(draw_overlay(small, scaled, person_ids), max_width, quality)
