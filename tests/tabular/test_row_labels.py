"""The fit's messages name a training table's rows by its own labels, as predict's do (review
54): the lines of a file the command line reads (``tsauto regress``: "at rows 3, 50" at fit,
"at lines 5, 52" at predict, in one run), a DataFrame's index in Python; the model fitted is
that of the same rows under a plain index (the folds, the out-of-fold predictions and the
checks count rows by position), repeated labels included. On hourly bike rentals."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tsauto import Regressor
from tsauto.cli import main
from tsauto.core.exceptions import DataValidationError

FAST = dict(time_budget=None, backend="sequential", folds=3, random_state=0, max_trials=1, learners=["lightgbm"])


@pytest.fixture(scope="module")
def bike(bike_small) -> pd.DataFrame:
    """400 random hours of bike rentals (dates as timestamps, numbers), the
    temperature infinite at the 4th and 51st rows, the target unknown at the 10th."""
    df, _ = bike_small
    df = df.head(400).astype({"temp": float, "cnt": float})
    df.loc[[3, 50], "temp"] = np.inf
    df.loc[9, "cnt"] = np.nan
    return df


def test_the_command_line_names_file_lines_at_fit_as_at_predict(bike, tmp_path, capsys) -> None:
    """``tsauto regress FILE`` (its rows predicted too): the infinite temperatures are named by
    their lines at fit as at predict (the fit said "rows 3, 50")."""
    train, out = tmp_path / "train.csv", tmp_path / "p.csv"
    bike.to_csv(train, index=False)
    assert main(["regress", str(train), "--target", "cnt", "--max-trials", "1", "--learners", "lightgbm",
                 "--backend", "sequential", "--out", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert "column 'temp': 2 of 399 values are infinite ('inf') at lines 5, 52: read as missing, at fit" in err, err
    assert "column 'temp': 2 of the 400 values to predict are infinite ('inf') at lines 5, 52" in err, err
    assert "rows 3, 50" not in err, err


@pytest.mark.parametrize("labels", ["shuffled", "text", "repeated"])
def test_a_dataframe_index_names_the_rows_at_fit_and_the_model_is_that_of_a_plain_index(bike, labels, caplog) -> None:
    """Labels of another order (shuffled numbers), text, or repeated (each twice): the fit's
    data check and warning of infinite numbers name the rows by them, as predict does, and a
    date that does not read in a column declared of dates is refused naming its label; the model (out-of-fold score,
    predictions) is that of the same rows under a plain index."""
    index = {
        "shuffled": pd.Index(np.random.default_rng(0).permutation(len(bike)) + 1000),
        "text": pd.Index([f"h{i}" for i in range(len(bike))]),
        "repeated": pd.Index(np.arange(len(bike)) // 2),
    }[labels]
    named = bike.set_axis(index)
    plain = Regressor("cnt", **FAST).fit(bike)
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        reg = Regressor("cnt", **FAST).fit(named)
    shown = f"rows {index[3]}, {index[50]}"
    [row] = reg.guardrails().query("check == 'infinite_values'").to_dict("records")
    assert row["finding"] == f"2 of 399 values are infinite ('inf') at {shown}", row
    assert any(r.getMessage().startswith(f"column 'temp': 2 of 399 values are infinite ('inf') at {shown}")
               for r in caplog.records)
    assert reg.cv_score_ == pytest.approx(plain.cv_score_)
    np.testing.assert_allclose(reg.predict(named), plain.predict(bike))
    np.testing.assert_allclose(reg.predict(bike), plain.predict(bike))
    dates = named["dteday"].dt.strftime("%Y-%m-%d").astype(object)
    dates.iloc[7] = "someday"
    with pytest.raises(DataValidationError, match=rf"column 'dteday' is read as dates, but row {index[7]} "
                       r"\(values 'someday'\) do not read"):
        Regressor("cnt", featurization={"dteday": "datetime"}, **FAST).fit(named.assign(dteday=dates))
