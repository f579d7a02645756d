"""The report's SVG charts (tsauto/forecasting/svg.py): the legend."""

from __future__ import annotations

import re

import numpy as np

from tsauto.forecasting.svg import CHAR_WIDTH, HEIGHT, WIDTH, Line, line_chart

LONG = [f"fold {k} (cutoff 2014-12-{10 + 7 * k} 12:30:00+00:00)" for k in range(3)]  # user test 46's


def _legend(svg: str) -> list[tuple[float, float, str]]:
    """Every legend label's x, y and text (a label follows its swatch)."""
    return [(float(x), float(y), text) for x, y, text in
            re.findall(r'<rect [^>]*/><text x="([\d.]+)" y="([\d.]+)" [^>]*>([^<]*)</text>', svg)]


def _lines(labels: list[str]) -> list[Line]:
    x = np.arange(10.0)
    return [Line(x, x * (k + 1), "#4c78a8", label) for k, label in enumerate(labels)]


def test_legend_wraps_rather_than_drops_labels_too_long_for_one_row() -> None:
    """User test 46 T5: three fold labels of half-hourly cutoffs overflowed the legend's row and
    ``_legend`` dropped them all (three unlabelled lines); now it wraps into rows, each label
    inside the chart, and the chart grows by the rows it adds."""
    svg = line_chart(_lines(LONG), x_labels=("step 1", "step 336"))
    legend = _legend(svg)
    assert [text for _, _, text in legend] == LONG
    rows = sorted({y for _, y, _ in legend})
    assert rows == [17.0, 33.0, 49.0]  # one label a row: two are wider than the plot
    assert all(x + CHAR_WIDTH * len(text) <= WIDTH for x, _, text in legend)
    height = int(re.search(r'<svg width="\d+" height="(\d+)"', svg).group(1))
    assert height == HEIGHT + 2 * 16
    top = float(re.search(r'<path d="M[\d.]+,([\d.]+) V', svg).group(1))
    assert top > max(y for _, y, _ in legend)  # the plot starts below the legend


def test_legend_of_short_labels_is_one_row_and_a_label_longer_than_a_row_is_cut() -> None:
    svg = line_chart(_lines(["history", "forecast"]))
    assert [(y, text) for _, y, text in _legend(svg)] == [(17.0, "history"), (17.0, "forecast")]
    assert f'height="{HEIGHT}"' in svg
    long = "x" * 200
    (x, _, text), = _legend(line_chart(_lines([long]), width=300))
    assert text.endswith("…") and x + CHAR_WIDTH * len(text) <= 300
