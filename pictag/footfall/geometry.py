"""Plane geometry of counting lines and zones, vectorised over people.

Coordinates are frame pixels, x to the right and y *down*. A person's position is the
bottom-centre of their box (where the feet touch the floor): it is what crosses a door's
threshold, whatever the person's height or the camera's tilt.

Shapes: ``points (n, 2)``, lines as ``(L, 4)`` x1, y1, x2, y2, polygons as ``(k, 2)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
Bool = npt.NDArray[np.bool_]

Point = tuple[float, float]


def bottom_centre(xyxy: npt.ArrayLike) -> F64:
    """``(n, 2)`` bottom-centre points of ``(n, 4)`` xyxy boxes (float64: side tests stay exact)."""
    b = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    out = np.empty((b.shape[0], 2), np.float64)
    np.add(b[:, 0], b[:, 2], out=out[:, 0])
    out[:, 0] *= 0.5
    out[:, 1] = b[:, 3]
    return out


@dataclass(frozen=True)
class PackedLines:
    """Lines as the per-frame side test wants them: ``(1, L)`` rows of A and B − A.

    Attributes:
        xyxy: ``(L, 4)`` x1, y1, x2, y2.
        ax, ay, dx, dy: ``(1, L)`` A's coordinates and the direction B − A.
        length: ``(1, L)`` |B − A| (the cross product divided by it is the distance to the line).
    """

    xyxy: F64
    ax: F64
    ay: F64
    dx: F64
    dy: F64
    length: F64

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])


def pack_lines(lines: npt.ArrayLike) -> PackedLines:
    """Pack ``(L, 4)`` lines x1, y1, x2, y2."""
    ln = np.asarray(lines, dtype=np.float64).reshape(-1, 4)
    dx, dy = ln[None, :, 2] - ln[None, :, 0], ln[None, :, 3] - ln[None, :, 1]
    return PackedLines(ln, ln[None, :, 0], ln[None, :, 1], dx, dy, np.hypot(dx, dy))


def line_cross(points: F64, lines: PackedLines) -> F64:
    """``(n, L)`` cross products (Bx−Ax)(Py−Ay) − (By−Ay)(Px−Ax) of ``(n, 2)`` points against every line.

    Its sign is the point's side of the line (``np.sign`` of it is issue 17's side(P)); its
    magnitude is twice the area of the triangle A, B, P, i.e. the distance to the line times
    the line's length.
    """
    cross: F64 = lines.dx * (points[:, 1:2] - lines.ay) - lines.dy * (points[:, 0:1] - lines.ax)
    return cross


def line_sides(points: npt.ArrayLike, lines: npt.ArrayLike) -> I8:
    """``(n, L)`` side of every point against every line: −1, 0 (exactly on it) or +1."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return np.sign(line_cross(p, pack_lines(lines))).astype(np.int8)


def crossing_position(q: npt.ArrayLike, p: npt.ArrayLike, lines: npt.ArrayLike) -> F64:
    """Where the step from ``q`` to ``p`` meets each line, as a fraction along A→B.

    Args:
        q: ``(m, 2)`` points before the step (strictly on one side).
        p: ``(m, 2)`` points after the step (strictly on the other side).
        lines: ``(m, 4)`` the line of each step.

    Returns:
        ``(m,)`` t with the meeting point A + t (B − A): 0 ≤ t ≤ 1 means the path crossed the
        drawn segment; outside it crossed the line's extension (the person walked round its end).
    """
    q = np.asarray(q, dtype=np.float64).reshape(-1, 2)
    p = np.asarray(p, dtype=np.float64).reshape(-1, 2)
    ln = np.asarray(lines, dtype=np.float64).reshape(-1, 4)
    a, d = ln[:, :2], ln[:, 2:] - ln[:, :2]
    cq = d[:, 0] * (q[:, 1] - a[:, 1]) - d[:, 1] * (q[:, 0] - a[:, 0])
    cp = d[:, 0] * (p[:, 1] - a[:, 1]) - d[:, 1] * (p[:, 0] - a[:, 0])
    denom = cq - cp
    u = np.divide(cq, denom, out=np.zeros_like(cq), where=denom != 0)
    x = q + u[:, None] * (p - q)
    length2 = np.maximum(np.einsum("ij,ij->i", d, d), 1e-12)
    t: F64 = np.einsum("ij,ij->i", x - a, d) / length2
    return t


@dataclass(frozen=True)
class PackedPolygons:
    """The edges of several polygons in flat arrays, for `points_in_polygons`.

    Attributes:
        x1, y1, x2, y2: ``(1, E)`` each edge's start and end.
        inv_slope: ``(1, E)`` dx/dy of each edge (0 for horizontal edges, which never straddle).
        offsets: ``(Z,)`` index of each polygon's first edge (edges of polygon z run to the next offset).
    """

    x1: F64
    y1: F64
    x2: F64
    y2: F64
    inv_slope: F64
    offsets: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.offsets.shape[0])


def pack_polygons(polygons: Sequence[npt.ArrayLike]) -> PackedPolygons:
    """Pack polygons given as ``(k, 2)`` corner lists (closed implicitly)."""
    starts, ends, offsets = [], [], []
    total = 0
    for poly in polygons:
        v = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        starts.append(v)
        ends.append(np.roll(v, -1, axis=0))
        offsets.append(total)
        total += v.shape[0]
    a = np.concatenate(starts) if starts else np.zeros((0, 2), np.float64)
    b = np.concatenate(ends) if ends else np.zeros((0, 2), np.float64)
    dy = b[:, 1] - a[:, 1]
    inv = np.divide(b[:, 0] - a[:, 0], dy, out=np.zeros_like(dy), where=dy != 0)
    return PackedPolygons(
        a[None, :, 0], a[None, :, 1], b[None, :, 0], b[None, :, 1], inv[None, :], np.asarray(offsets, np.int64)
    )


def points_in_polygons(points: npt.ArrayLike, packed: PackedPolygons) -> Bool:
    """``(n, Z)`` True where a point lies inside a polygon (even-odd ray casting, all zones at once).

    A point exactly on an edge may fall either way (the usual half-open convention: left and
    bottom edges in, right and top edges out), which is stable from frame to frame.
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(packed) == 0 or p.shape[0] == 0:
        return np.zeros((p.shape[0], len(packed)), dtype=bool)
    x, y = p[:, 0:1], p[:, 1:2]
    straddles = (packed.y1 > y) != (packed.y2 > y)
    hits = straddles & (x < packed.x1 + (y - packed.y1) * packed.inv_slope)
    counts = np.add.reduceat(hits.view(np.uint8), packed.offsets, axis=1)
    inside: Bool = (counts & 1).astype(bool)
    return inside


def distance_to_edges(points: npt.ArrayLike, packed: PackedPolygons) -> F64:
    """``(n, Z)`` distance from every point to the outline of every polygon (pixels)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(packed) == 0 or p.shape[0] == 0:
        return np.zeros((p.shape[0], len(packed)), dtype=np.float64)
    ex, ey = packed.x2 - packed.x1, packed.y2 - packed.y1
    px, py = p[:, 0:1] - packed.x1, p[:, 1:2] - packed.y1
    t = np.clip((px * ex + py * ey) / np.maximum(ex * ex + ey * ey, 1e-12), 0.0, 1.0)
    d2 = (px - t * ex) ** 2 + (py - t * ey) ** 2
    dist: F64 = np.sqrt(np.minimum.reduceat(d2, packed.offsets, axis=1))
    return dist


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, c: Point) -> bool:
    """c, known collinear with a-b, lies within the segment's bounding box."""
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True if segments a-b and c-d share at least one point (touching counts)."""
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and ((o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def _neighbours_fold(edges: list[tuple[Point, Point]], i: int, j: int) -> bool:
    """Neighbouring edges i, j (sharing one corner) overlap beyond that corner."""
    if j == i + 1:
        mine, shared, other = edges[i][0], edges[i][1], edges[j][1]
    else:  # i == 0, j == k - 1: the closing edge
        mine, shared, other = edges[i][1], edges[i][0], edges[j][0]
    return (_orient(mine, shared, other) == 0 and _on_segment(mine, shared, other)) or (
        _orient(shared, other, mine) == 0 and _on_segment(shared, other, mine)
    )


def _outline_problem(points: Sequence[Point]) -> str | None:
    """The first pair of edges that cross or fold back, if any."""
    k = len(points)
    edges = [(points[i], points[(i + 1) % k]) for i in range(k)]
    for i in range(k):
        for j in range(i + 1, k):
            if j == i + 1 or (i == 0 and j == k - 1):
                if _neighbours_fold(edges, i, j):
                    return f"edges {i} and {j} fold back over each other"
            elif segments_intersect(*edges[i], *edges[j]):
                return f"the zone's outline crosses itself (edges {i} and {j})"
    return None


def polygon_problem(points: Sequence[Point]) -> str | None:
    """Why a polygon cannot be a zone, or None when it is simple.

    A zone must be a simple polygon: at least three corners, no repeated corner, no two
    edges meeting anywhere except neighbours at their shared corner, and a non-zero area.
    Zones are small (a handful of corners), so the O(k²) edge check is cheap.
    """
    k = len(points)
    if k < 3:
        return f"a zone needs at least 3 points, got {k}"
    if len(set(points)) != k:
        return "a zone's points must all be different"
    problem = _outline_problem(points)
    if problem is None:
        area2 = sum(points[i][0] * points[(i + 1) % k][1] - points[(i + 1) % k][0] * points[i][1] for i in range(k))
        if area2 == 0:
            problem = "the zone has no area (its points lie on one line)"
    return problem
