"""Run-time edits of lines and zones: each refusal names the request field and its kind (the API maps the kind
to the HTTP status: tests/unit/serve/test_refusal_status.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pictag.cameras.errors import FrameSizeUnknown, GeometryEditError, GeometryItemNotFound, InvalidGeometry
from pictag.config import CameraConfig
from pictag.footfall.editing import edit_geometry

CAM = CameraConfig(
    id="door",
    url="rtsp://cam/stream",
    lines=[{"id": "in", "points": [[10, 10], [100, 10]], "entrance": True}],
    zones=[{"id": "till", "points": [[0, 0], [50, 0], [50, 50]], "kind": "queue"}],
)
SIZE = (640, 480)
SQUARE = [[100, 100], [200, 100], [200, 200], [100, 200]]


def test_create_update_delete_a_line() -> None:
    cam, item = edit_geometry(
        CAM, "lines", "create", body={"id": "aisle", "points": [[0, 0], [640, 480]]}, frame_size=SIZE
    )
    assert [ln.id for ln in cam.lines] == ["in", "aisle"] and item is not None and item.entrance is False
    cam, item = edit_geometry(
        cam, "lines", "update", item_id="aisle", body={"name": "Aisle", "points": [[1, 1], [2, 2]]}, frame_size=SIZE
    )
    assert cam.lines[1].name == "Aisle" and cam.lines[1].points == ((1.0, 1.0), (2.0, 2.0))
    cam, item = edit_geometry(cam, "lines", "delete", item_id="in")
    assert [ln.id for ln in cam.lines] == ["aisle"] and item is None
    assert [ln.id for ln in CAM.lines] == ["in"]  # the input is not changed


def test_create_a_zone_with_the_configured_frame_size() -> None:
    cam = CAM.model_copy(update={"frame_size": (320, 240)})
    cam, _ = edit_geometry(cam, "zones", "create", body={"id": "aisle", "points": SQUARE, "kind": "area"})
    assert [z.id for z in cam.zones] == ["till", "aisle"]


@pytest.mark.parametrize(
    "case",
    [
        (
            "lines",
            "create",
            None,
            {"id": "x", "points": [[0, 0], [700, 10]]},
            SIZE,
            InvalidGeometry,
            "points[1]",
            "outside the 640x480",
        ),
        (
            "zones",
            "create",
            None,
            {"id": "z", "points": [[0, 0], [9, 9], [0, 9], [9, 0]]},
            SIZE,
            InvalidGeometry,
            "points",
            "crosses",
        ),
        (
            "lines",
            "create",
            None,
            {"id": "in", "points": [[0, 0], [5, 5]]},
            SIZE,
            InvalidGeometry,
            "id",
            "duplicate id 'in'",
        ),
        ("zones", "create", None, {"id": "till", "points": SQUARE}, SIZE, InvalidGeometry, "id", "duplicate"),
        ("lines", "create", None, {"id": "bad id", "points": [[0, 0], [5, 5]]}, SIZE, InvalidGeometry, "id", "pattern"),
        (
            "lines",
            "create",
            None,
            {"id": "x", "points": [[5, 5], [5, 5]]},
            SIZE,
            InvalidGeometry,
            "points",
            "two different",
        ),
        (
            "lines",
            "create",
            None,
            {"id": "x", "points": [[0, 0], [5, 5]]},
            None,
            FrameSizeUnknown,
            "frame_size",
            "not known",
        ),
        (
            "lines",
            "update",
            "nope",
            {"points": [[0, 0], [5, 5]]},
            SIZE,
            GeometryItemNotFound,
            "line_id",
            "no line 'nope'",
        ),
        ("zones", "delete", "nope", None, SIZE, GeometryItemNotFound, "zone_id", "no zone 'nope'"),
        (
            "lines",
            "update",
            "in",
            {"id": "other", "points": [[0, 0], [5, 5]]},
            SIZE,
            InvalidGeometry,
            "id",
            "cannot change",
        ),
        (
            "zones",
            "update",
            "till",
            {"points": [[0, 0], [9, 9], [0, 999]]},
            SIZE,
            InvalidGeometry,
            "points[2]",
            "outside",
        ),
    ],
)
def test_refusals_name_the_field(case: tuple[Any, ...]) -> None:
    kind, action, item_id, body, size, refusal, field, words = case
    with pytest.raises(GeometryEditError) as err:
        edit_geometry(CAM, kind, action, item_id=item_id, body=body, frame_size=size)
    assert (type(err.value), err.value.field) == (refusal, field)
    assert words in err.value.detail


def test_too_many_lines() -> None:
    cam = CAM
    for k in range(31):
        cam, _ = edit_geometry(
            cam, "lines", "create", body={"id": f"l{k}", "points": [[0, 0], [5, 5]]}, frame_size=SIZE
        )
    with pytest.raises(GeometryEditError) as err:
        edit_geometry(cam, "lines", "create", body={"id": "one-more", "points": [[0, 0], [5, 5]]}, frame_size=SIZE)
    assert (type(err.value), err.value.field) == (InvalidGeometry, "lines")
