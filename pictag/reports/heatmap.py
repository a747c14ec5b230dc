"""Where people stood, per camera and day: a grid of box bottom-centres over a person-free background.

`HeatmapGrid` accumulates the bottom-centre (feet) of every person box into cells of
``cell_px`` pixels, weighted by the seconds the frame stands for (``1 / analysis_fps``),
so cells hold person-seconds whatever the frame rate. One `add` is a few numpy
operations on the frame's n boxes (no per-box Python loop).

`BackgroundModel` keeps a bounded reservoir of sampled frames (downscaled) whose
person boxes, widened by a margin, are blanked *before* the sample is kept: person
pixels never enter its memory. The background is the per-pixel median over the
samples where that pixel was not covered. A pixel covered in (almost) every sample
— someone who stood there the whole day, a till operator — has fewer than
``min_clean`` clean samples: it becomes a hole, filled from the surrounding clean
pixels (OpenCV inpainting), so it shows a smooth smear of the surroundings, never the
person. `Background.hole_fraction` says how much of the image that is. A person the
detector missed in a sample is outvoted by the median as long as they are missed in
a minority of the samples of that pixel.

`render_heatmap` draws the grid with a colour map over the (desaturated) background.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pictag.errors import PictagError

FloatArray = npt.NDArray[np.float32]
Frame = npt.NDArray[np.uint8]
_MASKED = np.uint16(65535)
#: JPEG codes 8x8 blocks on their own (with 4:4:4 sampling, no chroma shared across blocks).
BLOCK_PX = 8
#: Rows per stored strip: `render` decodes one strip of every sample at a time, so its scratch
#: memory (~5 MB for 32 samples at 640 px wide) does not grow with the reservoir.
STRIP_ROWS = BLOCK_PX * 4
_JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]


class HeatmapError(PictagError):
    """Heatmap inputs do not fit (frame size, box array, stored grid)."""


def _boxes(xyxy: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(xyxy, dtype=np.float32)
    if arr.size == 0:
        return np.zeros((0, 4), np.float32)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise HeatmapError(f"boxes shape={arr.shape} reason=bad_shape; expected (n, 4) x1, y1, x2, y2")
    return arr


class HeatmapGrid:
    """Person-seconds per grid cell of one camera's frame.

    Attributes:
        width, height: frame size in pixels.
        cell_px: cell size; the grid is ``ceil(height / cell_px) x ceil(width / cell_px)``.
        counts: ``(gh, gw) float32`` person-seconds per cell.
    """

    def __init__(self, width: int, height: int, cell_px: int = 8) -> None:
        if width < 1 or height < 1 or cell_px < 1:
            raise HeatmapError(f"width={width} height={height} cell_px={cell_px} reason=not_positive")
        self.width, self.height, self.cell_px = int(width), int(height), int(cell_px)
        self.counts: FloatArray = np.zeros((-(-height // cell_px), -(-width // cell_px)), np.float32)

    def add(self, xyxy: npt.ArrayLike, weight_s: float = 1.0) -> None:
        """Accumulate the bottom-centres of ``xyxy`` ``(n, 4)`` boxes, each worth ``weight_s`` seconds."""
        boxes = _boxes(xyxy)
        if not len(boxes):
            return
        gh, gw = self.counts.shape
        cx = np.clip(((boxes[:, 0] + boxes[:, 2]) * 0.5) // self.cell_px, 0, gw - 1).astype(np.intp)
        cy = np.clip((boxes[:, 3] - 1) // self.cell_px, 0, gh - 1).astype(np.intp)
        np.add.at(self.counts, (cy, cx), np.float32(weight_s))

    @property
    def total_s(self) -> float:
        """All person-seconds accumulated."""
        return float(self.counts.sum())

    def save(self, path: Path) -> None:
        """Write the grid (``.npz``): per camera and day, beside the store."""
        np.savez_compressed(path, counts=self.counts, meta=np.array([self.width, self.height, self.cell_px]))

    @classmethod
    def load(cls, path: Path) -> HeatmapGrid:
        """Read a grid written by `save`.

        Raises:
            HeatmapError: not such a file.
        """
        try:
            with np.load(path) as data:
                width, height, cell = (int(v) for v in data["meta"])
                grid = cls(width, height, cell)
                counts = np.asarray(data["counts"], np.float32)
        except (OSError, KeyError, ValueError) as err:
            raise HeatmapError(f"path={path} reason=unreadable ({err})") from None
        if counts.shape != grid.counts.shape:
            raise HeatmapError(f"path={path} reason=shape_mismatch {counts.shape} != {grid.counts.shape}")
        grid.counts = counts
        return grid


@dataclass(frozen=True)
class Background:
    """A person-free background at the model's sample size.

    Attributes:
        image: ``(h, w, 3) uint8`` BGR.
        hole_fraction: share of pixels without ``min_clean`` clean samples (inpainted).
        samples: frames the median used.
    """

    image: Frame
    hole_fraction: float
    samples: int


class BackgroundModel:
    """A bounded reservoir of person-masked frame samples of one camera; `render` gives the median.

    Samples are kept as JPEG (4:4:4, quality 90: ~75 kB for 640x480 instead of 1.2 MB raw), so
    a camera's reservoir costs a few MB and the detector process does not grow by ~40 MB per
    camera while it fills during the first half hour. JPEG codes 8x8 blocks independently, so
    the blanked person area can only disturb the blocks it touches: the covered mask is kept per
    block (`BLOCK_PX`) and every block a person box touches counts as covered as a whole. The
    clean blocks decode to within a grey level or two of the frame. Each sample is stored as
    horizontal strips (`STRIP_ROWS`, whole blocks), one JPEG each, and `render` works strip by
    strip: its transient memory stays the same whether the reservoir holds 3 samples or 256.
    """

    def __init__(
        self,
        width: int,
        height: int,
        *,
        samples: int = 32,
        min_clean: int = 3,
        keep_width: int = 640,
        margin: float = 0.1,
        seed: int = 0,
    ) -> None:
        scale = min(1.0, keep_width / width)
        self.width, self.height = int(width), int(height)
        self.size = (max(1, round(width * scale)), max(1, round(height * scale)))  # (w, h) kept
        self.scale = scale
        self.capacity, self.min_clean, self.margin = int(samples), int(min_clean), float(margin)
        w, h = self.size
        self._blocks = (-(-h // BLOCK_PX), -(-w // BLOCK_PX))  # (rows, cols) of JPEG blocks
        self._samples: list[_Sample] = []
        self._seen = 0
        self._rng = random.Random(seed)

    @property
    def kept(self) -> int:
        """Samples in the reservoir."""
        return len(self._samples)

    def _covered_blocks(self, boxes: FloatArray) -> npt.NDArray[np.bool_]:
        """The JPEG blocks any (widened) person box touches, ``(rows, cols)``."""
        w, h = self.size
        blocks = np.zeros(self._blocks, bool)
        if not len(boxes):
            return blocks
        bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        pad_x = np.maximum(bw * self.margin, 4.0)
        pad_y = np.maximum(bh * self.margin, 4.0)
        x1 = np.floor((boxes[:, 0] - pad_x) * self.scale).clip(0, w).astype(int) // BLOCK_PX
        y1 = np.floor((boxes[:, 1] - pad_y) * self.scale).clip(0, h).astype(int) // BLOCK_PX
        x2 = -(-np.ceil((boxes[:, 2] + pad_x) * self.scale).clip(0, w).astype(int) // BLOCK_PX)
        y2 = -(-np.ceil((boxes[:, 3] + pad_y) * self.scale).clip(0, h).astype(int) // BLOCK_PX)
        for a, b, c, d in zip(x1, y1, x2, y2, strict=True):  # a handful of boxes per sample, once a minute
            blocks[b:d, a:c] = True
        return blocks

    def add_sample(self, frame: Frame, xyxy: npt.ArrayLike) -> bool:
        """Offer one frame with every person box in it; True when it was kept (reservoir sampling).

        Raises:
            HeatmapError: the frame is not ``(height, width, 3) uint8`` of this camera, or it
                does not encode.
        """
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise HeatmapError(
                f"frame shape={frame.shape} dtype={frame.dtype} reason=bad_frame; "
                f"expected ({self.height}, {self.width}, 3) uint8"
            )
        self._seen += 1
        if len(self._samples) < self.capacity:
            slot = len(self._samples)
        else:
            slot = self._rng.randrange(self._seen)
            if slot >= self.capacity:
                return False
        small = frame.copy() if self.scale == 1.0 else cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        blocks = self._covered_blocks(_boxes(xyxy))
        w, h = self.size
        small[_block_pixels(blocks)[:h, :w]] = 0  # person pixels are dropped here, before anything keeps them
        strips = []
        for top in range(0, small.shape[0], STRIP_ROWS):
            ok, data = cv2.imencode(".jpg", small[top : top + STRIP_ROWS], _JPEG_PARAMS)
            if not ok:
                raise HeatmapError(f"size={self.size} reason=jpeg_encode_failed")
            strips.append(bytes(data.tobytes()))
        sample = _Sample(strips=tuple(strips), covered=blocks)
        if slot == len(self._samples):
            self._samples.append(sample)
        else:
            self._samples[slot] = sample
        return True

    def render(self) -> Background | None:
        """The per-pixel median of clean samples, holes inpainted; None before any sample."""
        k = len(self._samples)
        if k == 0:
            return None
        w, h = self.size
        covered = np.stack([sample.covered for sample in self._samples])  # (k, rows, cols)
        median = np.empty((h, w, 3), np.uint8)
        clean = np.empty((h, w), np.intp)
        for index, top in enumerate(range(0, h, STRIP_ROWS)):
            band = slice(top, min(top + STRIP_ROWS, h))
            rows = band.stop - top
            pixels = np.empty((k, rows, w, 3), np.uint8)
            for i, sample in enumerate(self._samples):
                decoded = cv2.imdecode(np.frombuffer(sample.strips[index], np.uint8), cv2.IMREAD_COLOR)
                if decoded is None or decoded.shape != (rows, w, 3):
                    raise HeatmapError(f"sample={i} strip={index} reason=jpeg_decode_failed")
                pixels[i] = decoded
            block_rows = slice(top // BLOCK_PX, -(-band.stop // BLOCK_PX))
            mask = _block_pixels(covered[:, block_rows])[:, :rows, :w]
            median[band], clean[band] = _masked_median(pixels, mask)
        holes = clean < self.min_clean
        image = np.where(holes[:, :, None], 0, median).astype(np.uint8)
        fraction = float(holes.mean())
        if holes.all():
            image[:] = 128
        elif holes.any():
            image = np.asarray(cv2.inpaint(image, holes.astype(np.uint8) * 255, 7, cv2.INPAINT_TELEA), np.uint8)
        return Background(image=image, hole_fraction=fraction, samples=k)


def _block_pixels(blocks: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """A per-block mask (its last two axes rows × columns of blocks) at pixel resolution."""
    return np.repeat(np.repeat(blocks, BLOCK_PX, axis=-2), BLOCK_PX, axis=-1)


def _masked_median(vals8: Frame, covered: npt.NDArray[np.bool_]) -> tuple[Frame, npt.NDArray[np.intp]]:
    """Per-pixel median over the samples where the pixel is not covered, and how many those are.

    ``vals8`` is ``(k, h, w, 3)``, ``covered`` ``(k, h, w)``; a pixel covered everywhere gets 0.
    """
    k = vals8.shape[0]
    vals = vals8.astype(np.uint16)
    vals[covered] = _MASKED
    vals.sort(axis=0)  # clean values first, masked ones (65535) last
    clean = (~covered).sum(axis=0)  # (h, w)
    lo = np.maximum((clean - 1) // 2, 0)[None, :, :, None]
    hi = np.maximum(clean // 2, 0)[None, :, :, None]
    lo = np.broadcast_to(lo, (1, *vals.shape[1:]))
    hi = np.broadcast_to(np.minimum(hi, k - 1), (1, *vals.shape[1:]))
    median = (np.take_along_axis(vals, lo, 0)[0] + np.take_along_axis(vals, hi, 0)[0] + 1) // 2
    median[clean == 0] = 0
    return median.astype(np.uint8), clean


@dataclass(frozen=True)
class _Sample:
    """One kept sample: the masked frame as JPEG strips and which of its blocks a person touched."""

    strips: tuple[bytes, ...]  # one JPEG per STRIP_ROWS rows, top to bottom
    covered: npt.NDArray[np.bool_]  # (rows, cols) of BLOCK_PX blocks


def render_heatmap(
    grid: HeatmapGrid, background: Frame | None, *, alpha: float = 0.6, colormap: int = cv2.COLORMAP_INFERNO
) -> Frame:
    """The heat over the background (desaturated), with a colour bar in person-seconds; BGR uint8.

    Without a background the heat is drawn on grey. The colour scale is the square root
    of person-seconds up to the 99th percentile of non-empty cells (a few hot spots do
    not wash out the rest).
    """
    if background is None:
        h = round(grid.height * min(1.0, 640 / grid.width))
        w = round(grid.width * min(1.0, 640 / grid.width))
        base: Frame = np.full((h, w, 3), 96, np.uint8)
    else:
        gray = cv2.cvtColor(background, cv2.COLOR_BGR2GRAY)
        base = np.asarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), np.uint8)
        h, w = base.shape[:2]
    heat = cv2.GaussianBlur(grid.counts, (0, 0), 1.2)
    nonzero = heat[heat > 0]
    top = float(np.percentile(nonzero, 99)) if nonzero.size else 1.0
    level = np.sqrt(np.clip(heat / max(top, 1e-9), 0, 1))
    level = cv2.resize(level, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    colour = cv2.applyColorMap((level * 255).astype(np.uint8), colormap)
    weight = (alpha * np.clip(level * 4, 0, 1))[:, :, None]
    out: Frame = np.asarray(base * (1 - weight) + colour * weight).astype(np.uint8)
    return _with_colour_bar(out, top, colormap)


def _with_colour_bar(image: Frame, top_s: float, colormap: int) -> Frame:
    h, w = image.shape[:2]
    bar_h = 36
    canvas = np.full((h + bar_h, w, 3), 255, np.uint8)
    canvas[:h] = image
    ramp = np.tile(np.sqrt(np.linspace(0, 1, w - 20))[None, :], (12, 1))
    canvas[h + 4 : h + 16, 10 : w - 10] = cv2.applyColorMap((ramp * 255).astype(np.uint8), colormap)
    cv2.putText(canvas, "0", (10, h + 31), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (60, 60, 60), 1, cv2.LINE_AA)
    label = f">= {top_s:.2g} person-s per cell" if top_s < 10 else f">= {top_s:.0f} person-s per cell"
    size = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.42, 1)[0][0]
    cv2.putText(canvas, label, (w - 10 - size, h + 31), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (60, 60, 60), 1, cv2.LINE_AA)
    return canvas


def heatmap_png(grid: HeatmapGrid, background: Frame | None) -> bytes:
    """PNG bytes for ``GET /api/v1/cameras/{id}/heatmap.png?date=``."""
    ok, data = cv2.imencode(".png", render_heatmap(grid, background))
    if not ok:
        raise HeatmapError("reason=png_encode_failed")
    return bytes(data.tobytes())
