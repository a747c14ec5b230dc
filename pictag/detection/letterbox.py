"""Letterbox: fit a frame into a square network input without distorting it.

The frame is resized keeping its aspect ratio so its longer side equals
``size`` (Ultralytics' rounding, bilinear resize, grey padding 114), centred on
a ``size x size`` canvas. A frozen `Letterbox` records the transform so boxes
predicted in input pixels map back to frame pixels exactly:

    x_input = x_frame * scale_x + pad_left        y_input = y_frame * scale_y + pad_top

``scale_x`` and ``scale_y`` differ only by the rounding of the resized size,
which keeps the inverse exact to the pixel even for odd frame sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

#: Padding grey used by Ultralytics at training and export time.
PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """The transform from frame pixels to network-input pixels.

    Attributes:
        size: side of the square network input.
        frame_width, frame_height: the original frame size.
        resized_width, resized_height: the frame's size inside the input, before padding.
        pad_left, pad_top: padding before the resized frame, in input pixels.
    """

    size: int
    frame_width: int
    frame_height: int
    resized_width: int
    resized_height: int
    pad_left: int
    pad_top: int

    @property
    def scale_x(self) -> float:
        """Input pixels per frame pixel, horizontally."""
        return self.resized_width / self.frame_width

    @property
    def scale_y(self) -> float:
        """Input pixels per frame pixel, vertically."""
        return self.resized_height / self.frame_height

    def to_frame(self, xyxy: npt.ArrayLike, clip: bool = True) -> FloatArray:
        """Map ``(n, 4)`` input-pixel boxes to frame pixels (clipped to the frame by default)."""
        b = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
        offset = np.array([self.pad_left, self.pad_top] * 2, dtype=np.float32)
        scale = np.array([self.scale_x, self.scale_y] * 2, dtype=np.float32)
        out = (b - offset) / scale
        if clip:
            limit = np.array([self.frame_width, self.frame_height] * 2, dtype=np.float32)
            out = np.clip(out, 0.0, limit)
        return out.astype(np.float32, copy=False)

    def to_input(self, xyxy: npt.ArrayLike) -> FloatArray:
        """Map ``(n, 4)`` frame-pixel boxes into input pixels (the inverse of `to_frame`)."""
        b = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
        offset = np.array([self.pad_left, self.pad_top] * 2, dtype=np.float32)
        scale = np.array([self.scale_x, self.scale_y] * 2, dtype=np.float32)
        return (b * scale + offset).astype(np.float32, copy=False)


def fit(frame_width: int, frame_height: int, size: int) -> Letterbox:
    """The letterbox of a ``frame_width x frame_height`` frame in a ``size`` square (pure maths).

    Raises:
        ValueError: a non-positive size.
    """
    if frame_width <= 0 or frame_height <= 0 or size <= 0:
        raise ValueError(f"letterbox needs positive sizes, got frame={frame_width}x{frame_height} size={size}")
    ratio = min(size / frame_width, size / frame_height)
    resized_w = min(size, max(1, round(frame_width * ratio)))
    resized_h = min(size, max(1, round(frame_height * ratio)))
    return Letterbox(
        size=size,
        frame_width=frame_width,
        frame_height=frame_height,
        resized_width=resized_w,
        resized_height=resized_h,
        pad_left=(size - resized_w) // 2,
        pad_top=(size - resized_h) // 2,
    )


def letterbox_image(
    frame: npt.NDArray[np.uint8], size: int, pad_value: int = PAD_VALUE
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """Resize and pad a BGR frame onto the ``size x size`` canvas, still ``uint8`` BGR.

    The runtime detector feeds this canvas to a model that converts pixels itself
    (``uint8`` NHWC BGR → float NCHW RGB 0..1, compiled into the graph): doing that
    conversion in numpy/OpenCV costs ~4 ms per 640 px frame here, inside OpenVINO a
    fraction of it.

    Args:
        frame: ``(h, w, 3) uint8`` BGR image (OpenCV order).
        size: side of the square network input.
        pad_value: grey level of the padding.

    Returns:
        ``(size, size, 3) uint8`` BGR canvas and the `Letterbox` that maps boxes back.

    Raises:
        ValueError: the frame is not an ``h x w x 3`` uint8 image.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 BGR frame, got shape={frame.shape} dtype={frame.dtype}")
    box = fit(frame.shape[1], frame.shape[0], size)
    resized = frame
    if (box.resized_width, box.resized_height) != (frame.shape[1], frame.shape[0]):
        size_wh = (box.resized_width, box.resized_height)
        resized = np.asarray(cv2.resize(frame, size_wh, interpolation=cv2.INTER_LINEAR), np.uint8)
    canvas = np.full((size, size, 3), pad_value, dtype=np.uint8)
    rows = slice(box.pad_top, box.pad_top + box.resized_height)
    cols = slice(box.pad_left, box.pad_left + box.resized_width)
    canvas[rows, cols] = resized
    return canvas, box


def letterbox(frame: npt.NDArray[np.uint8], size: int, pad_value: int = PAD_VALUE) -> tuple[FloatArray, Letterbox]:
    """Letterbox a BGR frame into the network tensor of a raw (float-input) export.

    Args:
        frame: ``(h, w, 3) uint8`` BGR image (OpenCV order).
        size: side of the square network input.
        pad_value: grey level of the padding.

    Returns:
        ``(1, 3, size, size) float32`` RGB tensor scaled to 0..1 (NCHW, contiguous), and the
        `Letterbox` that maps boxes back.

    Raises:
        ValueError: the frame is not an ``h x w x 3`` uint8 image.
    """
    canvas, box = letterbox_image(frame, size, pad_value)
    # blobFromImage does BGR->RGB, HWC->NCHW and the 1/255 scale in one C++ pass.
    tensor = cv2.dnn.blobFromImage(canvas, scalefactor=1.0 / 255.0, swapRB=True)
    return np.asarray(tensor, dtype=np.float32), box
