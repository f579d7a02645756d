"""The rule both sides read a column of numbers with a few text cells by: at most three distinct
text values, in at most a tenth of the known values (:mod:`tsauto.core.text_in_numbers`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsauto import datasets
from tsauto.core.text_in_numbers import read_as_numbers, text_among_numbers, text_cells, text_finding, text_values


def turnover(text: dict[int, str]) -> pd.Series:
    """200 monthly retail turnovers (as a CSV reads them: strings), ``text`` at some rows."""
    s = datasets.load_aus_retail()["Turnover"].head(200).astype(str).astype(object)
    for row, value in text.items():
        s[row] = value
    return s


def test_a_few_placeholders_among_numbers_are_the_text_of_a_column_of_numbers() -> None:
    s = turnover({3: "--", 9: "n/a", 40: "--"}).where(lambda x: x.index != 5)  # and one empty cell
    assert text_among_numbers(s) == ["--", "n/a"] == text_values(s)
    assert np.flatnonzero(text_cells(s)).tolist() == [3, 9, 40]
    numbers = read_as_numbers(s)
    assert numbers.dtype == np.float64 and numbers.isna().sum() == 4
    assert numbers[0] == float(s[0])
    assert text_finding(s, ["--", "n/a"]) == "numbers, but for the text value(s) '--', 'n/a' in 3 of 199 rows"


def test_more_text_values_or_a_larger_share_make_a_column_of_labels() -> None:
    assert text_among_numbers(turnover({1: "a", 2: "b", 3: "c", 4: "d"})) is None  # four values
    many = turnover({row: "--" for row in range(0, 200, 8)})  # 25 of 200: 12.5 %
    assert text_among_numbers(many) is None and text_among_numbers(many, share=1.0) == ["--"]
    assert text_among_numbers(turnover({})) is None  # numbers written as strings, no text


def test_columns_of_numbers_booleans_or_dates_hold_no_text() -> None:
    aus = datasets.load_aus_retail()
    for column in (aus["Turnover"], aus["Month"], aus["Turnover"] > 100):
        assert not text_cells(column).any() and text_among_numbers(column) is None


def test_numbers_written_in_a_format_and_category_columns_are_not_read_by_the_rule() -> None:
    """'1,024' and '5%' are numbers written so, not placeholders: read as missing, the largest
    turnovers (the ones a CSV writes with separators) were dropped. A ``category`` column is
    one its owner said holds labels."""
    s = turnover({})
    big = s.astype(float).nlargest(2).index
    formatted = s.copy()
    for row in big:
        formatted[row] = f"{float(s[row]) * 1000:,.1f}"  # in thousands: '203,000.0'
    assert "," in formatted[big[0]] and text_among_numbers(formatted) is None
    assert text_among_numbers(turnover({7: "5%", 8: "--"})) is None
    assert text_among_numbers(turnover({7: "--"}).astype("category")) is None
    assert text_among_numbers(turnover({7: "--"})) == ["--"]
