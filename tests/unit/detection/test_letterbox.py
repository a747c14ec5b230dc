"""Letterbox maths: sizes, padding, exact round trip, tensor layout."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.detection.letterbox import PAD_VALUE, fit, letterbox


@pytest.mark.parametrize(
    ("w", "h", "size", "resized", "pad"),
    [
        (768, 576, 640, (640, 480), (0, 80)),  # vtest.avi: landscape 4:3
        (1280, 720, 640, (640, 360), (0, 140)),  # 16:9
        (1920, 1080, 416, (416, 234), (0, 91)),  # odd padding total (182) splits evenly
        (480, 640, 640, (480, 640), (80, 0)),  # portrait
        (640, 640, 640, (640, 640), (0, 0)),  # already square: identity
        (320, 240, 640, (640, 480), (0, 80)),  # small frames are scaled up, as Ultralytics does
        (1001, 333, 320, (320, 106), (0, 107)),  # rounding of an odd aspect ratio
    ],
)
def test_fit_sizes_and_padding(w: int, h: int, size: int, resized: tuple[int, int], pad: tuple[int, int]) -> None:
    box = fit(w, h, size)
    assert (box.resized_width, box.resized_height) == resized
    assert (box.pad_left, box.pad_top) == pad
    assert box.pad_left * 2 + box.resized_width in (size, size - 1)
    assert box.pad_top * 2 + box.resized_height in (size, size - 1)


@pytest.mark.parametrize(("w", "h", "size"), [(768, 576, 640), (1280, 720, 416), (480, 640, 320), (1001, 333, 320)])
def test_round_trip_is_exact(w: int, h: int, size: int) -> None:
    box = fit(w, h, size)
    rng = np.random.default_rng(0)
    xy1 = rng.uniform(0, [w, h], size=(50, 2))
    xy2 = xy1 + rng.uniform(1, 200, size=(50, 2))
    frame_boxes = np.clip(np.concatenate([xy1, xy2], axis=1), 0, [w, h, w, h]).astype(np.float32)
    back = box.to_frame(box.to_input(frame_boxes))
    np.testing.assert_allclose(back, frame_boxes, atol=1e-3)


def test_frame_corners_map_to_the_resized_area() -> None:
    box = fit(1280, 720, 640)
    corners = box.to_input([[0, 0, 1280, 720]])
    np.testing.assert_allclose(corners, [[0, 140, 640, 500]], atol=1e-4)


def test_to_frame_clips_to_the_frame_unless_asked_not_to() -> None:
    box = fit(1280, 720, 640)
    outside = [[-10, 100, 650, 600]]  # input pixels, partly in the padding
    np.testing.assert_allclose(box.to_frame(outside), [[0, 0, 1280, 720]])
    assert box.to_frame(outside, clip=False)[0, 0] < 0


def test_fit_rejects_empty_sizes() -> None:
    with pytest.raises(ValueError, match="positive"):
        fit(0, 10, 640)


def test_tensor_is_nchw_rgb_in_0_1_with_grey_padding() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[..., 2] = 255  # pure red in BGR
    tensor, box = letterbox(frame, 320)
    assert tensor.shape == (1, 3, 320, 320) and tensor.dtype == np.float32 and tensor.flags.c_contiguous
    inside = tensor[0, :, box.pad_top + 5, 100]
    np.testing.assert_allclose(inside, [1.0, 0.0, 0.0])  # R, G, B
    np.testing.assert_allclose(tensor[0, :, 0, 0], PAD_VALUE / 255.0, rtol=1e-6)
    np.testing.assert_allclose(tensor[0, :, 319, 319], PAD_VALUE / 255.0, rtol=1e-6)


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 3), np.float32),
        np.zeros((10, 10, 4), np.uint8),
    ],
)
def test_letterbox_rejects_non_bgr_frames(frame: np.ndarray) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        letterbox(frame, 64)


@pytest.mark.parametrize(
    ("width", "height", "input_hw", "pad"),
    [
        (768, 576, (480, 640), (0, 0)),  # 4:3: no padding at all
        (1920, 1080, (384, 640), (0, 12)),  # 16:9: 360 rows, padded to 384
        (480, 640, (640, 480), (0, 0)),  # portrait
        (640, 640, (640, 640), (0, 0)),
    ],
)
def test_rect_letterbox_pads_only_to_the_stride(width: int, height: int, input_hw, pad) -> None:
    box = fit(width, height, 640, stride=32)
    assert box.input_hw == input_hw and (box.pad_left, box.pad_top) == pad
    frame_box = np.array([[10, 20, width - 10, height - 20]], np.float32)
    np.testing.assert_allclose(box.to_frame(box.to_input(frame_box)), frame_box, atol=1e-3)
