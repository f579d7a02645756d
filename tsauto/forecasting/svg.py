"""Small inline SVG charts for the HTML report: lines with shaded bands, and horizontal bars.

No plotting library: a chart is a string of SVG elements scaled into a fixed box, with the
range of the values written at the axes (:func:`tick_labels`: no scientific notation, and a
left margin as wide as the longest), and a legend that wraps into rows rather than drop an item.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

WIDTH, HEIGHT = 640, 220
MARGIN = {"left": 12, "right": 12, "top": 26, "bottom": 30}  # left: besides the y labels
FONT = 'font-family="sans-serif" font-size="11"'
CHAR_WIDTH = 7  # px a y label's character may take at FONT's size (a digit: 0.64 em)
BAND_OPACITY = 0.25  # of a band's fill, and of its legend swatch
UNITS = ((1e9, "B"), (1e6, "M"))  # axis ranges this large are labelled in these units
SWATCH = 14  # px from a legend item's swatch to its label
LEGEND_ROW = 16  # px between the rows of a legend that wraps


@dataclass
class Line:
    """A polyline; ``x`` numeric (times as integers), gaps (nan) break it."""

    x: np.ndarray
    y: np.ndarray
    color: str
    label: str
    dashed: bool = False

    def __post_init__(self) -> None:
        self.x, self.y = np.asarray(self.x, dtype=float), np.asarray(self.y, dtype=float)


@dataclass
class Band:
    """A shaded area between ``lo`` and ``hi`` (a prediction interval)."""

    x: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    color: str
    label: str

    def __post_init__(self) -> None:
        self.x, self.lo, self.hi = (np.asarray(v, dtype=float) for v in (self.x, self.lo, self.hi))


class _Scale:
    """Maps data coordinates into the plot box (y upwards)."""

    def __init__(self, xs: np.ndarray, ys: np.ndarray, width: int, height: int, top: int = MARGIN["top"]):
        self.x0, self.x1 = _span(xs)
        self.y0, self.y1 = _span(ys)
        self.y_labels = tick_labels([self.y0, self.y1])
        self.left = MARGIN["left"] + CHAR_WIDTH * max(map(len, self.y_labels))
        self.right = width - MARGIN["right"]
        self.top, self.bottom = top, height - MARGIN["bottom"]

    def x(self, v: np.ndarray) -> np.ndarray:
        return self.left + (v - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def y(self, v: np.ndarray) -> np.ndarray:
        return self.bottom - (v - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)


def _span(values: np.ndarray) -> tuple[float, float]:
    """Finite min and max of ``values``, widened a little (not below zero when none is
    negative), or when equal or absent."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    pad = (hi - lo) * 0.04 or abs(lo) * 0.1 or 1.0
    return (lo - pad if lo < 0 else max(0.0, lo - pad)), hi + pad


def _points(x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))


def _polylines(line: Line, scale: _Scale) -> str:
    """One ``<polyline>`` per run of finite values (a lone point becomes a dot)."""
    ok = np.isfinite(line.y) & np.isfinite(line.x)
    dash = ' stroke-dasharray="5 3"' if line.dashed else ""
    out = []
    for run in np.split(np.arange(ok.size), np.flatnonzero(np.diff(ok)) + 1):
        if run.size == 0 or not ok[run[0]]:
            continue
        px, py = scale.x(line.x[run]), scale.y(line.y[run])
        if run.size == 1:
            out.append(f'<circle cx="{px[0]:.1f}" cy="{py[0]:.1f}" r="2" fill="{line.color}"/>')
        else:
            out.append(
                f'<polyline points="{_points(px, py)}" fill="none" stroke="{line.color}" '
                f'stroke-width="1.6"{dash}/>'
            )
    return "".join(out)


def _band(band: Band, scale: _Scale) -> str:
    ok = np.isfinite(band.lo) & np.isfinite(band.hi) & np.isfinite(band.x)
    if ok.sum() < 1:
        return ""
    x, lo, hi = scale.x(band.x[ok]), scale.y(band.lo[ok]), scale.y(band.hi[ok])
    outline = _points(np.concatenate([x, x[::-1]]), np.concatenate([hi, lo[::-1]]))
    return f'<polygon points="{outline}" fill="{band.color}" fill-opacity="{BAND_OPACITY}" stroke="none"/>'


def _legend(items: list[tuple[str, float, str]], left: int, right: int) -> tuple[str, int]:
    """A swatch (colour, opacity) and its label per labelled item, in rows from ``left`` that
    wrap before ``right`` (a label too long for a whole row is cut, ending in '…'): never
    dropped. Returns the SVG and the number of rows."""
    out, x, row = [], left, 0
    room = max(1, (right - left - SWATCH) // CHAR_WIDTH)  # characters a row holds after a swatch
    for color, opacity, label in dict.fromkeys((c, o, t) for c, o, t in items if t):
        label = label if len(label) <= room else label[: room - 1] + "…"
        if x > left and x + SWATCH + CHAR_WIDTH * len(label) > right:
            x, row = left, row + 1
        y = 8 + LEGEND_ROW * row
        out.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{color}" fill-opacity="{opacity:g}"/>'
            f'<text x="{x + SWATCH}" y="{y + 9}" {FONT}>{escape(label)}</text>'
        )
        x += SWATCH + 10 + CHAR_WIDTH * len(label)
    return "".join(out), row + 1


def _number(v: float) -> str:
    return f"{v:.4g}"


def tick_labels(values: Sequence[float]) -> list[str]:
    """Axis labels of ``values`` in one format chosen from their range: thousands separators
    (90,890), or millions / billions with a suffix (1.25M) from a million up, with the decimals
    that tell three digits of the range apart."""
    top = max(abs(v) for v in values)
    scale, suffix = next(((u, s) for u, s in UNITS if top >= u), (1.0, ""))
    span = (max(values) - min(values)) / scale or 1.0
    decimals = max(0, 2 - math.floor(math.log10(span)))
    return [f"{v / scale:,.{decimals}f}{suffix}" for v in values]


def line_chart(
    lines: list[Line],
    bands: list[Band] = (),
    x_labels: tuple[str, str] = ("", ""),
    title: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """An ``<svg>`` of ``bands`` under ``lines``, with the y range and ``x_labels`` (first,
    last) at the axes and a legend of every labelled one, in as many rows as it takes (the
    chart taller by the rows after the first)."""
    xs = np.concatenate([np.zeros(0), *(p.x for p in [*lines, *bands])])
    ys = np.concatenate([np.zeros(0), *(p.y for p in lines), *(v for b in bands for v in (b.lo, b.hi))])
    items = [(b.color, BAND_OPACITY, b.label) for b in bands] + [(p.color, 1.0, p.label) for p in lines]
    scale = _Scale(xs, ys, width, height)
    legend, rows = _legend(items, scale.left, scale.right)
    if rows > 1:  # the chart grows by the legend's extra rows, the plot keeping its height
        height += LEGEND_ROW * (rows - 1)
        scale = _Scale(xs, ys, width, height, MARGIN["top"] + LEGEND_ROW * (rows - 1))
    body = [_band(b, scale) for b in bands] + [_polylines(p, scale) for p in lines]
    return _frame(width, height, title, scale, x_labels, "".join(body), legend)


def _frame(
    width: int, height: int, title: str, scale: _Scale, x_labels: tuple[str, str], body: str, legend: str
) -> str:
    """The ``<svg>`` element: axes, y range, x labels, body and legend."""
    left, right, top, bottom = scale.left, scale.right, scale.top, scale.bottom
    low, high = scale.y_labels
    axes = (
        f'<path d="M{left},{top} V{bottom} H{right}" fill="none" stroke="#888" stroke-width="1"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {FONT}>{high}</text>'
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end" {FONT}>{low}</text>'
        f'<text x="{left}" y="{bottom + 16}" {FONT}>{escape(x_labels[0])}</text>'
        f'<text x="{right}" y="{bottom + 16}" text-anchor="end" {FONT}>{escape(x_labels[1])}</text>'
    )
    label = f'<title>{escape(title)}</title>' if title else ""
    return (
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">{label}{axes}{body}{legend}</svg>'
    )


def bar_chart(labels: list[str], values: list[float], color: str = "#4c78a8", width: int = WIDTH) -> str:
    """An ``<svg>`` of horizontal bars, one per label, longest for the largest value."""
    row, label_width = 18, 220
    height = row * len(labels) + 10
    top = max(max(values, default=0.0), 1e-12)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 5 + i * row
        length = max(value, 0.0) / top * (width - label_width - 70)
        bars.append(
            f'<text x="{label_width - 6}" y="{y + 12}" text-anchor="end" {FONT}>{escape(label[:36])}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="{row - 5}" fill="{color}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 12}" {FONT}>{_number(value)}</text>'
        )
    return (
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">{"".join(bars)}</svg>'
    )
