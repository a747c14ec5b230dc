"""The one-page PNG summary of a `DailyReport`, drawn with OpenCV (no plotting library at run time).

OpenCV and numpy are already run-time dependencies; matplotlib is not (it is in the
eval/test extras), so the runtime's daily report draws its charts itself: KPI tiles,
visitors per hour (bars), occupancy peak per hour (line), footfall in/out per hour
(paired bars, when counting lines exist) and a table of lines. 1240x1754 px = A4 at 150 dpi.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import numpy.typing as npt

from pictag.errors import PictagError
from pictag.reports.daily import DailyReport

Image = npt.NDArray[np.uint8]
Color = tuple[int, int, int]
W, H = 1240, 1754
FONT = cv2.FONT_HERSHEY_SIMPLEX
INK: Color = (40, 40, 40)
GREY: Color = (150, 150, 150)
GRID: Color = (225, 225, 225)
BLUE: Color = (180, 110, 30)  # BGR
ORANGE: Color = (40, 140, 240)
GREEN: Color = (90, 160, 60)
TILE: Color = (248, 244, 240)


def _text(img: Image, text: str, xy: tuple[int, int], scale: float = 0.6, color: Color = INK, *, bold: int = 1) -> None:
    cv2.putText(img, text, xy, FONT, scale, color, bold, cv2.LINE_AA)


def _text_w(text: str, scale: float, bold: int = 1) -> int:
    return int(cv2.getTextSize(text, FONT, scale, bold)[0][0])


def _nice_max(value: float) -> tuple[float, float]:
    """An axis top >= value and a tick step (1, 2, 5 x 10^k), at least 1."""
    value = max(value, 1.0)
    raw = value / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    step = max(step, 1.0)
    return step * math.ceil(value / step), step


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _chart(
    img: Image,
    box: tuple[int, int, int, int],
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], Color]],
    *,
    kind: str = "bar",
) -> None:
    """Bars (several series side by side) or lines over hour labels, with a y grid and a legend."""
    x0, y0, x1, y1 = box
    _text(img, title, (x0, y0 + 22), 0.75, INK, bold=2)
    left, top, right, bottom = x0 + 60, y0 + 50, x1 - 10, y1 - 40
    top_value, step = _nice_max(max((max(v, default=0) for _, v, _ in series), default=0))
    scale = (bottom - top) / top_value
    tick = 0.0
    while tick <= top_value + 1e-9:
        y = int(bottom - tick * scale)
        cv2.line(img, (left, y), (right, y), GRID, 1)
        label = f"{tick:g}"
        _text(img, label, (left - 10 - _text_w(label, 0.45), y + 5), 0.45, GREY)
        tick += step
    n = max(len(labels), 1)
    slot = (right - left) / n
    for i, label in enumerate(labels):
        if n <= 12 or i % 2 == 0:
            cx = int(left + (i + 0.5) * slot)
            _text(img, label, (cx - _text_w(label, 0.42) // 2, bottom + 20), 0.42, GREY)
    for k, (name, values, color) in enumerate(series):
        if kind == "bar":
            width = slot * 0.8 / len(series)
            for i, v in enumerate(values):
                bx = left + i * slot + slot * 0.1 + k * width
                if v > 0:
                    cv2.rectangle(img, (int(bx), int(bottom - v * scale)), (int(bx + width) - 1, bottom), color, -1)
        else:
            pts = np.array(
                [[int(left + (i + 0.5) * slot), int(bottom - v * scale)] for i, v in enumerate(values)], np.int32
            )
            if len(pts):
                cv2.polylines(img, [pts], False, color, 3, cv2.LINE_AA)
                for p in pts:
                    cv2.circle(img, (int(p[0]), int(p[1])), 4, color, -1, cv2.LINE_AA)
        lx = right - 170 * (len(series) - k)
        cv2.rectangle(img, (lx, y0 + 10), (lx + 16, y0 + 24), color, -1)
        _text(img, name, (lx + 22, y0 + 23), 0.5, INK)
    cv2.line(img, (left, bottom), (right, bottom), INK, 1)


def _tiles(img: Image, report: DailyReport, y: int) -> None:
    t = report.totals
    peak = f"{t.occupancy_peak}" + (f" at {t.occupancy_peak_at[11:16]}" if t.occupancy_peak_at else "")
    tiles = [
        ("Visitors", f"{t.visitors}"),
        ("Returning", f"{t.returning}"),
        ("Avg dwell", _fmt_duration(t.dwell_mean_s)),
        ("Peak occupancy", peak),
    ]
    if t.lines:
        tiles.append(("Footfall in / out", f"{t.footfall_in} / {t.footfall_out}"))
    width = (W - 80 - 20 * (len(tiles) - 1)) // len(tiles)
    for i, (name, value) in enumerate(tiles):
        x = 40 + i * (width + 20)
        cv2.rectangle(img, (x, y), (x + width, y + 110), TILE, -1)
        _text(img, name, (x + 16, y + 36), 0.6, GREY)
        scale = 1.3 if _text_w(value, 1.3, 2) < width - 30 else 0.9
        _text(img, value, (x + 16, y + 88), scale, INK, bold=2)


def _line_table(img: Image, report: DailyReport, y: int) -> None:
    _text(img, "Counting lines (today)", (40, y), 0.75, INK, bold=2)
    y += 36
    for col, head in ((40, "camera / line"), (700, "in"), (850, "out")):
        _text(img, head, (col, y), 0.55, GREY)
    for (camera, line), (n_in, n_out) in sorted(report.totals.lines.items())[:12]:
        y += 30
        _text(img, f"{camera} / {line}", (40, y), 0.55)
        _text(img, str(n_in), (700, y), 0.55)
        _text(img, str(n_out), (850, y), 0.55)


def render_summary(report: DailyReport) -> Image:
    """The page as a BGR image (H x W x 3, uint8)."""
    img = np.full((H, W, 3), 255, np.uint8)
    _text(img, f"{report.site_name} - daily report", (40, 70), 1.3, INK, bold=2)
    sub = f"{report.day.isoformat()} ({report.day.strftime('%A')}), time zone {report.timezone}"
    _text(img, sub, (40, 112), 0.7, GREY)
    _tiles(img, report, 150)
    labels = [r.label[11:13] for r in report.rows]
    rows = report.rows
    _chart(img, (40, 300, W - 40, 640), "Visitors per hour", labels, [("visitors", [r.visitors for r in rows], BLUE)])
    occupancy = [("peak", [float(r.occupancy_peak) for r in rows], ORANGE)]
    _chart(img, (40, 680, W - 40, 1000), "Occupancy peak per hour", labels, occupancy, kind="line")
    if report.totals.lines:
        series = [
            ("in", [float(r.footfall_in) for r in rows], GREEN),
            ("out", [float(r.footfall_out) for r in rows], GREY),
        ]
        _chart(img, (40, 1040, W - 40, 1360), "Footfall per hour (entrance lines)", labels, series)
        _line_table(img, report, 1410)
    else:
        _text(img, "No counting lines configured: footfall needs an entrance line (cameras[].lines).", (40, 1080))
    generated = datetime.fromtimestamp(report.generated_at, ZoneInfo(report.timezone)).isoformat(timespec="minutes")
    _text(img, f"Generated {generated} by PicTag. Aggregates only: no images, no identities.", (40, H - 40), 0.5, GREY)
    return img


def save_summary_png(report: DailyReport, path: Path) -> Path:
    """Render and write the PNG.

    Raises:
        PictagError: the file cannot be written.
    """
    ok, data = cv2.imencode(".png", render_summary(report))
    if not ok:
        raise PictagError(f"path={path} reason=png_encode_failed")
    try:
        path.write_bytes(data.tobytes())
    except OSError as err:
        raise PictagError(f"path={path} reason=cannot_write ({err.strerror})") from err
    return path
