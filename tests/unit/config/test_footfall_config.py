"""Configuration of lines, zones and the site: bad input is refused with the field named."""

from __future__ import annotations

import pytest
import yaml

from pictag.config import ConfigProblems, parse_config
from pictag.config.geometry import GeometryError, LineConfig, ZoneConfig, validate_geometry
from pictag.config.site import parse_time_range

CAMERA = "cameras:\n  - id: a\n    url: x.mp4\n"


def problems(text: str) -> str:
    with pytest.raises(ConfigProblems) as err:
        parse_config(yaml.safe_load(text))
    return "\n".join(err.value.lines)


def test_lines_zones_and_site_load() -> None:
    config = parse_config(
        yaml.safe_load(
            CAMERA
            + "    frame_size: [640, 480]\n"
            + "    lines: [{id: door, name: Front door, points: [[10, 400], [600, 400]], entrance: true}]\n"
            + "    zones: [{id: q, points: [[0, 0], [100, 0], [100, 100]], kind: queue}]\n"
            + "site:\n  timezone: Asia/Seoul\n  hours: {sunday: []}\n  holidays: [2026-12-25]\n"
            + "  special_days: [{date: 2026-12-24, hours: ['09:00-14:00'], name: Christmas Eve}]\n"
        )
    )
    cam = config.cameras[0]
    assert cam.lines[0].entrance and cam.lines[0].display_name == "Front door"
    assert cam.zones[0].kind == "queue" and cam.zones[0].display_name == "q"
    assert config.site.timezone == "Asia/Seoul" and config.site.hours.sunday == []
    assert config.site.hours.monday == ["00:00-24:00"]  # default: open around the clock


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "    lines: [{id: d, points: [[0, 0], [0, 0]]}]\n",
            "cameras[0].lines[0].points: Value error, a line needs two",
        ),
        (
            "    lines: [{id: d, points: [[-1, 0], [5, 5]]}]\n",
            "cameras[0].lines[0].points[0][0]: Input should be greater",
        ),
        ("    lines: [{id: d, points: [[1, 0]]}]\n", "cameras[0].lines[0].points"),
        ("    lines: [{id: 'bad id', points: [[1, 0], [2, 2]]}]\n", "cameras[0].lines[0].id"),
        ("    lines: [{id: d, points: [[1, 0], [2, 2]], colour: red}]\n", "cameras[0].lines[0].colour"),
        (
            "    lines: [{id: d, points: [[1, 0], [2, 2]]}, {id: d, points: [[3, 0], [2, 2]]}]\n",
            "lines[1].id: duplicate id 'd'",
        ),
        (
            "    zones: [{id: z, points: [[0, 0], [10, 10], [10, 0], [0, 10]]}]\n",
            "cameras[0].zones[0].points: Value error, the zone's outline crosses itself",
        ),
        (
            "    zones: [{id: z, points: [[0, 0], [10, 10]]}]\n",
            "cameras[0].zones[0].points: List should have at least 3",
        ),
        ("    zones: [{id: z, points: [[0, 0], [10, 0], [0, 9]], kind: till}]\n", "cameras[0].zones[0].kind"),
        (
            "    zones: [{id: z, points: [[0, 0], [1, 0], [0, 1]]}, {id: z, points: [[0, 0], [2, 0], [0, 2]]}]\n",
            "zones[1].id: duplicate id 'z'",
        ),
        (
            "    frame_size: [100, 100]\n    zones: [{id: z, points: [[0, 0], [101, 0], [0, 50]]}]\n",
            "zones[0].points[1]: (101, 0) lies outside the 100x100 frame",
        ),
        ("    frame_size: [0, 100]\n", "cameras[0].frame_size"),
    ],
)
def test_bad_geometry_names_the_field(extra: str, expected: str) -> None:
    assert expected in problems(CAMERA + extra)


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("timezone: Europe/Berln", "site.timezone: Value error, unknown time zone 'Europe/Berln'"),
        ("hours: {monday: ['9-18']}", "site.hours.monday: Value error, opening hours must look like '09:00-18:00'"),
        ("hours: {monday: ['09:00-18:00', '17:00-19:00']}", "site.hours.monday: Value error, opening hours overlap"),
        ("hours: {friday: ['25:00-02:00']}", "site.hours.friday"),
        ("hours: {friday: ['10:00-10:00']}", "is empty"),
        ("hours: {someday: []}", "site.hours.someday"),
        ("holidays: [2026-12-25]\n  special_days: [{date: 2026-12-25}]", "2026-12-25 is listed twice"),
        ("special_days: [{date: '2026-02-30'}]", "site.special_days[0].date"),
        ("crossing_frames: 0", "site.crossing_frames: Input should be greater than or equal to 1"),
        ("edge_clearance: 2", "site.edge_clearance"),
        ("queue_wait_window_s: 0", "site.queue_wait_window_s"),
    ],
)
def test_bad_site_names_the_field(site: str, expected: str) -> None:
    assert expected in problems(f"site:\n  {site}\n")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("09:00-18:30", (540, 1110)),
        ("00:00-24:00", (0, 1440)),
        ("22:00-02:00", (1320, 1560)),
        ("8:00-9:15", (480, 555)),
    ],
)
def test_time_ranges(text: str, minutes: tuple[int, int]) -> None:
    assert parse_time_range(text) == minutes


def test_validate_geometry_for_the_api() -> None:
    lines = [LineConfig(id="door", points=((0, 0), (640, 480)))]
    zones = [ZoneConfig(id="q", points=[(0, 0), (640, 0), (640, 480)])]
    validate_geometry(lines, zones, 640, 480)  # the frame's edges are inside
    with pytest.raises(GeometryError) as err:
        validate_geometry(lines, zones, 320, 480)
    assert err.value.field == "lines[0].points[1]" and "outside the 320x480 frame" in str(err.value)
    with pytest.raises(GeometryError) as err:
        validate_geometry([], [*zones, zones[0]], 640, 480)
    assert err.value.field == "zones[1].id"
    with pytest.raises(GeometryError) as err:
        validate_geometry([], [], 0, 480)
    assert err.value.field == "frame_size"
