"""Side tests, crossing positions, point-in-polygon and polygon validity against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.footfall.geometry import (
    bottom_centre,
    crossing_position,
    distance_to_edges,
    line_sides,
    pack_polygons,
    points_in_polygons,
    polygon_problem,
    segments_intersect,
)


def test_bottom_centre_is_the_feet() -> None:
    assert bottom_centre([[10, 20, 30, 120]]).tolist() == [[20.0, 120.0]]


@pytest.mark.parametrize(
    ("point", "line", "side"),
    [
        # Horizontal line A=(0,100) -> B=(200,100): above it (smaller y) is -1, below +1.
        ((50, 50), (0, 100, 200, 100), -1),
        ((50, 150), (0, 100, 200, 100), 1),
        ((50, 100), (0, 100, 200, 100), 0),
        # The same line drawn the other way round swaps the sides.
        ((50, 50), (200, 100, 0, 100), 1),
        # Vertical line A=(100,0) -> B=(100,200): right of it is -1.
        ((150, 50), (100, 0, 100, 200), -1),
        ((50, 50), (100, 0, 100, 200), 1),
    ],
)
def test_side_is_the_sign_of_the_issue_formula(point, line, side) -> None:
    (px, py), (ax, ay, bx, by) = point, line
    assert np.sign((bx - ax) * (py - ay) - (by - ay) * (px - ax)) == side
    assert line_sides([point], [line])[0, 0] == side


def test_crossing_position_along_the_segment() -> None:
    lines = np.array([[100, 0, 100, 200]] * 3, float)
    t = crossing_position([[120, 50], [120, 300], [130, 100]], [[80, 50], [80, 300], [70, 140]], lines)
    assert t[0] == pytest.approx(0.25)
    assert t[1] == pytest.approx(1.5)  # crossed the extension, below B
    assert t[2] == pytest.approx(0.6)


def _brute_inside(p, poly) -> bool:
    x, y = p
    inside = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _brute_distance(p, poly) -> float:
    best = np.inf
    q = np.array(p, float)
    for start, end in zip(poly, poly[1:] + poly[:1], strict=True):
        a, b = np.array(start, float), np.array(end, float)
        t = np.clip(np.dot(q - a, b - a) / np.dot(b - a, b - a), 0, 1)
        best = min(best, float(np.linalg.norm(q - (a + t * (b - a)))))
    return best


def test_points_in_polygons_and_distances_match_brute_force() -> None:
    polys = [
        [(0, 0), (100, 0), (100, 100), (0, 100)],
        [(150, 10), (300, 40), (220, 90), (260, 200), (140, 120)],  # concave
        [(50, 150), (120, 300), (10, 260)],
    ]
    packed = pack_polygons(polys)
    rng = np.random.default_rng(0)
    pts = rng.uniform(-20, 320, (500, 2))
    inside = points_in_polygons(pts, packed)
    dist = distance_to_edges(pts, packed)
    for i, p in enumerate(pts):
        for z, poly in enumerate(polys):
            assert inside[i, z] == _brute_inside(tuple(p), poly)
            assert dist[i, z] == pytest.approx(_brute_distance(tuple(p), poly))


def test_no_zones_or_no_points_give_empty_results() -> None:
    assert points_in_polygons(np.zeros((3, 2)), pack_polygons([])).shape == (3, 0)
    assert points_in_polygons(np.zeros((0, 2)), pack_polygons([[(0, 0), (1, 0), (0, 1)]])).shape == (0, 1)


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        ([(0, 0), (10, 0), (10, 10), (0, 10)], None),
        ([(0, 0), (10, 0), (5, 3), (10, 10), (0, 10)], None),  # concave is fine
        ([(0, 0), (10, 0)], "at least 3 points"),
        ([(0, 0), (10, 0), (10, 0), (0, 10)], "all be different"),
        ([(0, 0), (10, 10), (10, 0), (0, 10)], "crosses itself"),  # bow tie
        ([(0, 0), (10, 0), (20, 0)], "fold back"),  # all on one line
        ([(0, 0), (10, 0), (5, 0), (5, 10)], "fold back"),  # an edge doubles back
        ([(0, 0), (10, 0), (10, 10), (5, 0), (0, 10)], "crosses itself"),  # touches an edge
    ],
)
def test_polygon_problem(points, problem) -> None:
    found = polygon_problem(points)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_segments_touching_at_an_end_intersect() -> None:
    assert segments_intersect((0, 0), (10, 0), (10, 0), (10, 10))
    assert not segments_intersect((0, 0), (10, 0), (0, 1), (10, 1))
