"""Previews: overlay, JPEG encoding and the full render path on a real vtest.avi frame."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from pictag.datasets.mot import load_sequence
from pictag.datasets.video import read_frames
from pictag.detections import Detections
from pictag.privacy import draw_overlay, encode_preview, render_preview
from pictag.privacy.preview import track_colours

FRAME_INDEX = 300


def _tracks(xyxy: npt.ArrayLike, ids: list[int]) -> Detections:
    boxes = np.asarray(xyxy, np.float32).reshape(-1, 4)
    n = len(boxes)
    return Detections(
        xyxy=boxes,
        confidence=np.full(n, 0.9, np.float32),
        class_id=np.zeros(n, np.int64),
        track_id=np.asarray(ids, np.int64),
    )


def _decode(jpeg: bytes) -> npt.NDArray[np.uint8]:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "not a decodable JPEG"
    return img


@pytest.fixture(scope="module")
def scene(asset) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    frame = read_frames(asset("videos/vtest.avi"), [FRAME_INDEX])[FRAME_INDEX]
    boxes = load_sequence(asset("mot/PETS09-S2L1")).at_video_frame(FRAME_INDEX).xyxy
    frame.setflags(write=False)
    return frame, boxes


def test_overlay_draws_each_box_and_leaves_input_alone() -> None:
    frame = np.zeros((200, 300, 3), np.uint8)
    frame.setflags(write=False)
    tracks = _tracks([[20, 40, 80, 180], [150, 30, 220, 190]], [3, 8])
    out = draw_overlay(frame, tracks, {3: "p_ab12cd"})
    assert not frame.any() and out.flags.writeable
    colours = track_colours(tracks.track_id)
    boxes = tracks.xyxy.astype(int).tolist()
    for (x1, _, _, y2), colour in zip(boxes, colours.tolist(), strict=True):
        # The left edge of each box, below the label, is drawn in the track's colour.
        assert np.abs(out[y2 - 10, x1].astype(int) - colour).max() <= 40
    label_area = out[20:40, 20:80]  # just above the box
    assert (label_area.min(axis=-1) > 200).any(), "a white label is drawn on top of the box"


def test_overlay_label_is_the_person_id_else_the_track_number() -> None:
    frame = np.zeros((120, 400, 3), np.uint8)
    tracks = _tracks([[10, 40, 190, 110], [210, 40, 390, 110]], [1, 2])
    with_id = draw_overlay(frame, tracks, {1: "p_0123456789"})
    without = draw_overlay(frame, tracks, {})
    # A long person id needs more white pixels than "#1"; track 2's label is the same in both.
    assert (with_id[:, :200].min(-1) > 200).sum() > (without[:, :200].min(-1) > 200).sum() * 2
    assert np.array_equal(with_id[:, 200:], without[:, 200:])


def test_distinct_tracks_get_distinct_colours() -> None:
    colours = track_colours(np.arange(1, 9))
    distances = np.abs(colours[:, None].astype(int) - colours[None].astype(int)).sum(-1)
    assert (distances[~np.eye(8, dtype=bool)] > 30).all()


@pytest.mark.parametrize(("width", "max_width", "expected"), [(768, 320, 320), (768, 768, 768), (200, 640, 200)])
def test_encode_preview_caps_width_and_aspect(width: int, max_width: int, expected: int) -> None:
    height = width * 3 // 4
    frame = np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)
    img = _decode(encode_preview(frame, max_width))
    assert img.shape[1] == expected
    assert abs(img.shape[0] - expected * 3 / 4) <= 1


def test_encode_preview_refuses_a_tiny_width() -> None:
    with pytest.raises(ValueError, match="too_small"):
        encode_preview(np.zeros((10, 10, 3), np.uint8), 8)


def test_render_preview_hides_low_confidence_detections_too(scene) -> None:
    frame, boxes = scene
    # Only the first person is a confirmed track; every detection must still be hidden.
    detections = _tracks(boxes, list(range(len(boxes))))
    tracks = detections[np.array([0])]
    jpeg = render_preview(frame, detections, tracks, {0: "p_x"}, mode="silhouette", max_width=384)
    img = _decode(jpeg)
    assert img.shape[1] == 384
    scale = 384 / frame.shape[1]
    for x1, y1, x2, y2 in (boxes[1:] * scale).tolist():
        cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
        centre = img[cy - 1 : cy + 2, cx - 1 : cx + 2].astype(int)
        assert np.abs(centre - 128).max() <= 12, "an untracked person is not hidden in the preview"


def test_render_preview_is_small_and_differs_from_the_raw_frame(scene) -> None:
    frame, boxes = scene
    detections = _tracks(boxes, list(range(len(boxes))))
    raw = _decode(encode_preview(frame, 384))
    for mode in ("head", "body", "silhouette"):
        jpeg = render_preview(frame, detections, detections, None, mode=mode, max_width=384)  # type: ignore[arg-type]
        assert len(jpeg) < 60_000
        assert np.abs(_decode(jpeg).astype(int) - raw.astype(int)).mean() > 0.5


def test_render_preview_takes_mode_and_width_positionally(scene) -> None:
    # actors/previews.py calls it through asyncio.to_thread with positional arguments.
    frame, boxes = scene
    detections = _tracks(boxes, list(range(len(boxes))))
    assert _decode(render_preview(frame, detections, detections, {}, "head", 320)).shape[1] == 320
