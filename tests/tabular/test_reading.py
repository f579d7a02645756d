"""Date columns to predict read as at fit (:mod:`tsauto.tabular.reading`), on hourly bike
rentals: dates mostly written in another common format than at fit (day first for ISO dates)
read in it, with a warning naming the format; day and month in the order of the training dates
where both orders read them, refused where that order is unknown; a few dates in another format
than at fit read as missing, the others as at fit, whatever the rows predicted with them; a
column mostly unreadable as dates refused, as a numeric column mostly of text is; a few
unreadable dates read as missing with a warning (user test 56)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tsauto import Regressor
from tsauto.core.exceptions import DataValidationError

FAST = dict(time_budget=None, backend="sequential", folds=3, random_state=0, max_trials=1, learners=["lightgbm"])


def _fit(bike: pd.DataFrame, fmt: str) -> Regressor:
    """A model of the first 400 rows of ``bike``, their dates written in ``fmt``."""
    train = bike.head(400)
    return Regressor("cnt", **FAST).fit(train.assign(dteday=train["dteday"].dt.strftime(fmt)))


@pytest.fixture(scope="module")
def bike(bike_small) -> pd.DataFrame:
    """600 random hours of bike rentals, their dates as timestamps (2011-2012, days 1 to 31)."""
    df, _ = bike_small
    return df.head(600)


@pytest.fixture(scope="module")
def iso(bike):
    """The model fitted on ISO dates (2011-01-31), the 200 rows to predict (dates as
    timestamps) and its predictions of them written so."""
    reg = _fit(bike, "%Y-%m-%d")
    rows = bike.drop(columns="cnt").iloc[400:].reset_index(drop=True)
    return reg, rows, reg.predict(rows.assign(dteday=rows["dteday"].dt.strftime("%Y-%m-%d")))


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m-%d-%Y", "%d.%m.%Y %H:%M"])
def test_dates_to_predict_in_another_format_read_as_the_same_dates(iso, fmt, caplog) -> None:
    """A model fitted on ISO dates predicts rows whose dates are written day first (user test
    56: every one read as missing, with a warning; bike RMSE 66.7 -> 151.2): the same
    predictions, and a warning naming the format read."""
    reg, rows, expected = iso
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        got = reg.predict(rows.assign(dteday=rows["dteday"].dt.strftime(fmt)))
    np.testing.assert_allclose(got, expected)
    [warning] = _warnings(caplog)
    assert warning.startswith("column 'dteday': 200 of the 200 known dates to predict do not read as at fit "
                              f"(%Y-%m-%d) but are written {fmt} (")
    assert warning.endswith(f" is {rows['dteday'][0]:%Y-%m-%d}): the column is read so."), warning
    assert not np.allclose(reg.predict(rows.assign(dteday=None)), expected)  # the dates count


def test_day_and_month_are_read_in_the_order_of_the_training_dates(bike, iso, caplog) -> None:
    """Dates to predict whose days are all 12 or less read both day first and month first: in
    the order of the training dates where they told it (31/01/2011: day first), refused where
    they did not (ISO), naming the column, the value and both readings."""
    reg, rows, expected = iso
    early = rows[rows["dteday"].dt.day <= 12].reset_index(drop=True)
    assert len(early) > 50
    with pytest.raises(DataValidationError) as err:
        reg.predict(early.assign(dteday=early["dteday"].dt.strftime("%d/%m/%Y")))
    first = early["dteday"][0]
    swapped = pd.Timestamp(first.year, first.day, first.month)
    for piece in ("Column 'dteday' to predict, written otherwise than at fit (%Y-%m-%d), reads as dates "
                  "both month-first and day-first", f"'{first:%d/%m/%Y}' at row 0 is {swapped:%Y-%m-%d} or "
                  f"{first:%Y-%m-%d}): day and month cannot be told apart. Write the dates as at fit: "
                  f"{first:%Y-%m-%d} if '{first:%d/%m/%Y}' is {first.day} {first:%B %Y}, {swapped:%Y-%m-%d} if it is {swapped.day} {swapped:%B %Y}."):
        assert piece in str(err.value), (piece, str(err.value))
    assert "pd.to_datetime" not in str(err.value)
    day_first = _fit(bike, "%d/%m/%Y")
    as_fit = day_first.predict(early.assign(dteday=early["dteday"].dt.strftime("%d/%m/%Y")))
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        dashed = day_first.predict(early.assign(dteday=early["dteday"].dt.strftime("%d-%m-%Y")))
    np.testing.assert_allclose(dashed, as_fit)
    assert any("do not read as at fit (%d/%m/%Y) but are written %d-%m-%Y" in m for m in _warnings(caplog))


@pytest.fixture(scope="module")
def month_first(bike):
    """The model fitted on month-first dates (01/31/2011), 60 rows to predict of days 1 to 12
    (dates that read both month first and day first; as timestamps) and its predictions of them
    written month first."""
    reg = _fit(bike, "%m/%d/%Y")
    rows = bike.drop(columns="cnt").iloc[400:]
    rows = rows[rows["dteday"].dt.day <= 12].head(60).reset_index(drop=True)
    return reg, rows, reg.predict(rows.assign(dteday=rows["dteday"].dt.strftime("%m/%d/%Y")))


def test_one_date_in_another_format_is_read_as_missing_not_the_others_swapped(bike, month_first, caplog) -> None:
    """Review 54: a model fitted on month-first dates predicted its rows as written
    ('01/05/2012' as 5 January), but one more row written day first ('13/01/2012') turned every
    date of the batch day first (5 January read as 1 May, so other predictions), with a warning
    saying they were read "as the same dates". A row is read alike whatever rows come with it:
    the others as at fit, the stray one as missing, with a warning saying so."""
    reg, rows, expected = month_first
    stray = bike.drop(columns="cnt").iloc[400:]
    stray = stray[stray["dteday"].dt.day > 12].head(1)
    batch = pd.concat([rows, stray], ignore_index=True)
    written = pd.concat([rows["dteday"].dt.strftime("%m/%d/%Y"), stray["dteday"].dt.strftime("%d/%m/%Y")],
                        ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        got = reg.predict(batch.assign(dteday=written))
    np.testing.assert_allclose(got[:60], expected)
    np.testing.assert_allclose(got[60:], reg.predict(stray.assign(dteday=None)))
    [warning] = _warnings(caplog)
    assert warning.startswith(f"column 'dteday': 1 of the 61 known values to predict (1.64%) do not read as "
                              f"dates (%m/%d/%Y, as at fit), e.g. '{written[60]}' at row 60: they are read "
                              "as missing."), warning


def test_dates_mostly_in_another_format_are_all_read_in_it_saying_which_read_otherwise(bike, month_first, caplog) -> None:
    """Most dates written day first (days above 12) for a model fitted month first: the column
    is read day first, its dates of days 1 to 12 too, as the writer meant them; the warning
    names how many of those read otherwise as at fit, with one of them."""
    reg, _, _ = month_first
    rows = bike.drop(columns="cnt").iloc[400:].reset_index(drop=True)
    expected = reg.predict(rows.assign(dteday=rows["dteday"].dt.strftime("%m/%d/%Y")))
    late = int((rows["dteday"].dt.day > 12).sum())
    both = rows["dteday"].dt.day.le(12) & rows["dteday"].dt.day.ne(rows["dteday"].dt.month)
    assert late > len(rows) / 2 and both.any()
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        got = reg.predict(rows.assign(dteday=rows["dteday"].dt.strftime("%d/%m/%Y")))
    np.testing.assert_allclose(got, expected)
    [warning] = _warnings(caplog)
    one = rows["dteday"][both.idxmax()]
    assert warning.startswith(f"column 'dteday': {late} of the 200 known dates to predict do not read as at "
                              "fit (%m/%d/%Y) but are written %d/%m/%Y ("), warning
    assert warning.endswith(f"the column is read so; {int(both.sum())} other dates read both ways and are read "
                            f"as %d/%m/%Y too: '{one:%d/%m/%Y}' as {one:%Y-%m-%d}, not "
                            f"{pd.Timestamp(one.year, one.day, one.month):%Y-%m-%d} as at fit."), warning


def test_a_date_column_mostly_unreadable_at_predict_is_refused(iso, caplog) -> None:
    """Dates that read in no format are refused, as a numeric column mostly of text is, naming
    the column, the format at fit, examples, the rows and the fix; a few rows say too little
    (the numeric rule's: five at least), warned of."""
    reg, rows, _ = iso
    text = rows.assign(dteday="on " + rows["dteday"].dt.strftime("%Y-%m-%d"))
    with pytest.raises(DataValidationError) as err:
        reg.predict(text)
    for piece in ("column 'dteday' holds dates for the model (%Y-%m-%d at fit, e.g. 2012-01-31)",
                  "200 of its 200 known values to predict do not read as dates",
                  f"'on {rows['dteday'][0]:%Y-%m-%d}'", "rows 0, 1, 2, 3, 4 (and 195 more)",
                  "Give the dates as at fit (2012-01-31), or leave unknown dates empty"):
        assert piece in str(err.value), (piece, str(err.value))
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        reg.predict(text.head(4))
    assert any(m.startswith("column 'dteday': 4 of the 4 known values") for m in _warnings(caplog))


def test_a_few_unreadable_dates_are_read_as_missing_with_a_warning(iso, caplog) -> None:
    reg, rows, expected = iso
    dates = rows["dteday"].dt.strftime("%Y-%m-%d").astype(object)
    dates[[3, 50, 70]] = "unknown"
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        got = reg.predict(rows.assign(dteday=dates))
    [warning] = _warnings(caplog)
    assert warning == ("column 'dteday': 3 of the 200 known values to predict (1.5%) do not read as dates "
                       "(%Y-%m-%d, as at fit), e.g. 'unknown' at rows 3, 50, 70: they are read as missing.")
    np.testing.assert_allclose(got, reg.predict(rows.assign(dteday=dates.where(dates != "unknown"))))
    others = np.ones(len(rows), dtype=bool)
    others[[3, 50, 70]] = False
    np.testing.assert_allclose(got[others], expected[others])
