"""Irreversible anonymisation of person regions in a frame.

Every image that leaves the pipeline (dashboard previews, snapshots, exports)
goes through `anonymize` first. The caller passes *every* person box the
detector produced, low-confidence ones included: a box that is not hidden is
a face on a screen.

Modes:

- ``head``: the estimated head region of each box is pixelated with blocks of
  about a third of the region's width (8 px at least), so a head is one to three
  blocks across — nothing of a face survives;
- ``body``: the whole box (with a margin) is pixelated with four blocks across,
  then the head as in ``head`` — a person is a few coloured blocks (clothing
  colours stay, for the overview);
- ``silhouette``: the whole box is filled with one flat colour;
- ``off``: an untouched copy (allowed only with ``privacy.allow_unanonymized``).

Irreversibility: block means are also quantised to 16 levels per channel and the
original pixels are never kept; a block covers hundreds of pixels, so no
single-frame inversion exists. Blocks lie on a fixed frame grid per block size.

The head region is *estimated from the box* (no face detector runs here): the
top of the box, from slightly above it (detectors often cut the crown) down to
a quarter of its height — or half its width when the box is squat (a person
cut by the frame edge or a counter shows mostly head and shoulders) — over the
box's full width plus a margin.

The input frame is never modified: it is usually a read-only zero-copy view
from Ray's object store.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
Boxes = npt.NDArray[np.float32]
IntBoxes = npt.NDArray[np.int64]

AnonymizeMode = Literal["head", "body", "silhouette", "off"]
MODES: tuple[str, ...] = get_args(AnonymizeMode)

#: Fill colour of ``silhouette`` (BGR mid grey: visible on light and dark floors).
SILHOUETTE_BGR = (128, 128, 128)
#: Block side range in pixels (powers of two between them are used).
MIN_BLOCK, MAX_BLOCK = 8, 64
#: Blocks across a head region / a body region (a face is at most about three blocks wide).
HEAD_BLOCKS_ACROSS = 3
BODY_BLOCKS_ACROSS = 4
#: Block means are rounded to multiples of this (16 levels per channel).
QUANT_STEP = 16

# Head estimate, as fractions of the box (see the module docstring).
HEAD_ABOVE = 0.06
HEAD_HEIGHT = 0.25
HEAD_HEIGHT_OF_WIDTH = 0.5
SIDE_MARGIN = 0.1
BODY_MARGIN_Y = 0.04


def _check_inputs(frame: Frame, boxes_xyxy: npt.ArrayLike, mode: str) -> Boxes:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim not in (2, 3):
        raise ValueError(
            "frame must be a uint8 array of shape (h, w) or (h, w, c), got "
            f"{getattr(frame, 'dtype', type(frame))} {getattr(frame, 'shape', '')}"
        )
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} reason=unknown_mode; use one of {', '.join(MODES)}")
    boxes = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    if not np.isfinite(boxes).all():
        # A box we cannot place is a person we cannot hide: refuse, the caller skips the image.
        raise ValueError("boxes contain NaN or infinity; the frame cannot be anonymised")
    return boxes


def head_regions(boxes_xyxy: npt.ArrayLike, width: int, height: int) -> IntBoxes:
    """Estimated head rectangles of person boxes, clipped to the frame.

    Args:
        boxes_xyxy: ``(n, 4)`` person boxes x1, y1, x2, y2 in frame pixels.
        width, height: frame size.

    Returns:
        ``(n, 4) int64`` rectangles x1, y1, x2, y2 (exclusive ends), possibly empty
        (x2 <= x1) for a box entirely outside the frame.
    """
    b = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    w = np.clip(b[:, 2] - b[:, 0], 0, None)
    h = np.clip(b[:, 3] - b[:, 1], 0, None)
    head_h = np.minimum(np.maximum(HEAD_HEIGHT * h, HEAD_HEIGHT_OF_WIDTH * w), h)
    rect = np.stack(
        [
            b[:, 0] - SIDE_MARGIN * w,
            b[:, 1] - HEAD_ABOVE * h,
            b[:, 2] + SIDE_MARGIN * w,
            b[:, 1] + head_h,
        ],
        axis=1,
    )
    return _to_pixels(rect, width, height)


def body_regions(boxes_xyxy: npt.ArrayLike, width: int, height: int) -> IntBoxes:
    """Person boxes grown by a small margin (detector boxes are tight), clipped to the frame."""
    b = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    w = np.clip(b[:, 2] - b[:, 0], 0, None)
    h = np.clip(b[:, 3] - b[:, 1], 0, None)
    dx, dy = SIDE_MARGIN * w, BODY_MARGIN_Y * h
    grow = np.stack([-dx, -dy, dx, dy], axis=1)
    return _to_pixels(b + grow, width, height)


def _to_pixels(rect: Boxes, width: int, height: int) -> IntBoxes:
    """Round outwards (a partly covered pixel is covered) and clip."""
    out = np.concatenate([np.floor(rect[:, :2]), np.ceil(rect[:, 2:])], axis=1).astype(np.int64)
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, width)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, height)
    return out


def coverage_mask(rects: IntBoxes, height: int, width: int) -> npt.NDArray[np.bool_]:
    """``(height, width)`` mask, True inside any rectangle (summed-area trick, no per-box loop)."""
    rects = rects[(rects[:, 2] > rects[:, 0]) & (rects[:, 3] > rects[:, 1])]
    diff = np.zeros((height + 1, width + 1), dtype=np.int32)
    np.add.at(diff, (rects[:, 1], rects[:, 0]), 1)
    np.add.at(diff, (rects[:, 1], rects[:, 2]), -1)
    np.add.at(diff, (rects[:, 3], rects[:, 0]), -1)
    np.add.at(diff, (rects[:, 3], rects[:, 2]), 1)
    counts = diff.cumsum(axis=0).cumsum(axis=1)
    return counts[:height, :width] > 0


def block_sizes(rects: IntBoxes, blocks_across: int) -> npt.NDArray[np.int64]:
    """Block side per region: a power of two near width / ``blocks_across``, within the limits."""
    widths = np.maximum(rects[:, 2] - rects[:, 0], 1).astype(np.float64)
    exponent = np.round(np.log2(widths / blocks_across))
    sizes = np.exp2(exponent).astype(np.int64)
    clipped: npt.NDArray[np.int64] = np.clip(sizes, MIN_BLOCK, MAX_BLOCK)
    return clipped


def _pixelate_into(out: Frame, source: Frame, rects: IntBoxes, block: int) -> None:
    """Replace ``rects`` of ``out`` by quantised ``block``-sized means of ``source``."""
    height, width = source.shape[:2]
    x1 = int(rects[:, 0].min()) // block * block
    y1 = int(rects[:, 1].min()) // block * block
    x2 = min(-(-int(rects[:, 2].max()) // block) * block, -(-width // block) * block)
    y2 = min(-(-int(rects[:, 3].max()) // block) * block, -(-height // block) * block)
    crop = source[y1 : min(y2, height), x1 : min(x2, width)]
    pad = ((0, y2 - y1 - crop.shape[0]), (0, x2 - x1 - crop.shape[1]))
    grid = np.pad(crop, pad + ((0, 0),) * (crop.ndim - 2), mode="edge")
    rows, cols = (y2 - y1) // block, (x2 - x1) // block
    cells = grid.reshape(rows, block, cols, block, *grid.shape[2:])
    blocks = cells.mean(axis=(1, 3), dtype=np.float32)
    levels = np.floor(blocks / QUANT_STEP) * QUANT_STEP + QUANT_STEP / 2
    quantised = np.clip(levels, 0, 255).astype(np.uint8)
    pixelated = np.repeat(np.repeat(quantised, block, axis=0), block, axis=1)
    h, w = min(y2, height) - y1, min(x2, width) - x1
    local = rects - np.array([x1, y1, x1, y1], dtype=np.int64)
    mask = coverage_mask(local, h, w)
    region = out[y1 : y1 + h, x1 : x1 + w]
    region[mask] = pixelated[:h, :w][mask]


def pixelate_regions(frame: Frame, rects: IntBoxes, blocks_across: int) -> Frame:
    """A copy of ``frame`` with each rectangle pixelated at its own block size.

    Regions are grouped by block size (a handful of powers of two) and each group
    is pixelated in one array operation; larger blocks are applied last, so where
    regions overlap the coarser one wins.
    """
    out = frame.copy()
    rects = rects[(rects[:, 2] > rects[:, 0]) & (rects[:, 3] > rects[:, 1])]
    if len(rects) == 0:
        return out
    sizes = block_sizes(rects, blocks_across)
    for block in np.unique(sizes):
        _pixelate_into(out, frame, rects[sizes == block], int(block))
    return out


def fill_regions(frame: Frame, rects: IntBoxes, colour: tuple[int, ...] = SILHOUETTE_BGR) -> Frame:
    """A copy of ``frame`` with each rectangle filled flat with ``colour``."""
    out = frame.copy()
    mask = coverage_mask(rects, frame.shape[0], frame.shape[1])
    fill = np.asarray(colour[: 1 if frame.ndim == 2 else frame.shape[2]], dtype=np.uint8)
    out[mask] = fill if frame.ndim == 3 else fill[0]
    return out


def anonymize(frame: Frame, boxes_xyxy: npt.ArrayLike, mode: AnonymizeMode) -> Frame:
    """A NEW frame with every person hidden according to ``mode``; ``frame`` is not touched.

    Args:
        frame: ``(h, w, 3)`` (or ``(h, w)``) uint8 image, possibly read-only.
        boxes_xyxy: ``(n, 4)`` person boxes x1, y1, x2, y2 in frame pixels — all of
            them, whatever their confidence. Boxes may reach outside the frame.
        mode: ``head``, ``body``, ``silhouette`` or ``off`` (an unmodified copy).

    Returns:
        A new writable uint8 array of the frame's shape.

    Raises:
        ValueError: not a uint8 image, unknown mode, or a non-finite box (the caller
            must then not publish the frame at all).
    """
    boxes = _check_inputs(frame, boxes_xyxy, mode)
    height, width = frame.shape[:2]
    if mode == "off" or len(boxes) == 0:
        return frame.copy()
    if mode == "head":
        return pixelate_regions(frame, head_regions(boxes, width, height), HEAD_BLOCKS_ACROSS)
    body = body_regions(boxes, width, height)
    if mode == "body":
        # The head gets its own, coarser blocks on top: a body block may be small enough
        # to keep a face's layout on a close person.
        coarse = pixelate_regions(frame, body, BODY_BLOCKS_ACROSS)
        return pixelate_regions(coarse, head_regions(boxes, width, height), HEAD_BLOCKS_ACROSS)
    return fill_regions(frame, body)
