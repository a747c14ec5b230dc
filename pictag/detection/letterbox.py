"""Letterbox: fit a frame into a network input without distorting it.

The frame is resized keeping its aspect ratio so its longer side equals
``size`` (Ultralytics' rounding, bilinear resize, grey padding 114), centred on
a ``size x size`` canvas — or, with ``stride`` (Ultralytics' "rect" inference), on the
smallest canvas whose sides are multiples of the stride: a 4:3 frame at 640 then needs a
640x480 input instead of 640x640, a quarter less work. A frozen `Letterbox` records the
transform so boxes predicted in input pixels map back to frame pixels exactly:

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
    input_width: int = 0
    input_height: int = 0

    def __post_init__(self) -> None:
        if not self.input_width:
            object.__setattr__(self, "input_width", self.size)
        if not self.input_height:
            object.__setattr__(self, "input_height", self.size)

    @property
    def input_hw(self) -> tuple[int, int]:
        """The network input's ``(height, width)``."""
        return self.input_height, self.input_width

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


def fit(frame_width: int, frame_height: int, size: int, stride: int | None = None) -> Letterbox:
    """The letterbox of a ``frame_width x frame_height`` frame in a ``size`` square (pure maths).

    With ``stride``, the canvas is the smallest one with sides that are multiples of it
    (at most ``size``): the rectangular input of Ultralytics' rect inference.

    Raises:
        ValueError: a non-positive size.
    """
    if frame_width <= 0 or frame_height <= 0 or size <= 0:
        raise ValueError(f"letterbox needs positive sizes, got frame={frame_width}x{frame_height} size={size}")
    ratio = min(size / frame_width, size / frame_height)
    resized_w = min(size, max(1, round(frame_width * ratio)))
    resized_h = min(size, max(1, round(frame_height * ratio)))
    in_w = in_h = size
    if stride:
        in_w = min(size, -(-resized_w // stride) * stride)
        in_h = min(size, -(-resized_h // stride) * stride)
    return Letterbox(
        size=size,
        frame_width=frame_width,
        frame_height=frame_height,
        resized_width=resized_w,
        resized_height=resized_h,
        pad_left=(in_w - resized_w) // 2,
        pad_top=(in_h - resized_h) // 2,
        input_width=in_w,
        input_height=in_h,
    )


def letterbox_image(
    frame: npt.NDArray[np.uint8], size: int, pad_value: int = PAD_VALUE, stride: int | None = None
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """Resize and pad a BGR frame onto the ``size x size`` canvas, still ``uint8`` BGR.

    The runtime detector feeds this canvas to a model that converts pixels itself
    (``uint8`` NHWC BGR → float NCHW RGB 0..1, compiled into the graph): doing that
    conversion in numpy/OpenCV costs ~4 ms per 640 px frame here, inside OpenVINO a
    fraction of it.

    Args:
        frame: ``(h, w, 3) uint8`` BGR image (OpenCV order).
        size: side of the square network input (the longer side of a rect one).
        pad_value: grey level of the padding.
        stride: fit to a rectangular canvas of multiples of ``stride`` (see `fit`).

    Returns:
        ``(h, w, 3) uint8`` BGR canvas (``size x size`` without ``stride``) and the `Letterbox`
        that maps boxes back.

    Raises:
        ValueError: the frame is not an ``h x w x 3`` uint8 image.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 BGR frame, got shape={frame.shape} dtype={frame.dtype}")
    box = fit(frame.shape[1], frame.shape[0], size, stride)
    resized = frame
    if (box.resized_width, box.resized_height) != (frame.shape[1], frame.shape[0]):
        size_wh = (box.resized_width, box.resized_height)
        resized = np.asarray(cv2.resize(frame, size_wh, interpolation=cv2.INTER_LINEAR), np.uint8)
    canvas = np.full((box.input_height, box.input_width, 3), pad_value, dtype=np.uint8)
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
