"""A hierarchy's ``future=`` table is named by its own rows: text in a column of numbers at fit,
in a table given per some of the id columns (Walmart's temperatures per store, for series of
stores and departments) and so read for each of their series, is named by the row of the table
given (its label in Python, its line in the file on the command line), once; it was named by
its place in the table read for each series, numbered afresh 0 to n, which the user never sees
(user test 56). So is an empty cell (NaN) the forecast needs: it was named by the rows of the
nodes' table the forecaster of all nodes reads (review 54)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster, datasets
from tsauto.cli import main
from tsauto.core.exceptions import DataValidationError

WALMART = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"])


@pytest.fixture(scope="module")
def per_store() -> tuple[Forecaster, pd.DataFrame]:
    """A hierarchy of Walmart's stores 1 and 2, departments 1 and 2, with each store's weekly
    temperature (features.csv) known in the future, fitted; and the temperatures of the 4 weeks
    after the table, per store (no Dept column), as features.csv labels its rows."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    features = pd.read_csv(shared_file("forecasting/walmart_store_sales/features.csv"), parse_dates=["Date"])
    df = datasets.load_walmart()
    df = df[df["Store"].isin([1, 2]) & df["Dept"].isin([1, 2])]
    df = df.drop(columns="IsHoliday").merge(features[["Store", "Date", "Temperature"]], on=["Store", "Date"])
    fc = Forecaster(**WALMART, horizon=4, known_future=["Temperature"], hierarchy=["Store", "Dept"],
                    learners=["lightgbm"]).fit(df)
    end = df["Date"].max()
    later = features[features["Store"].isin([1, 2]) & (features["Date"] > end)
                     & (features["Date"] <= end + pd.Timedelta(weeks=4))]
    return fc, later[["Store", "Date", "Temperature"]]


def test_text_in_a_future_table_per_store_names_its_own_row(per_store) -> None:
    """Store 2's third week given as '--', in the row features.csv labels 327 (read for both of
    its departments): named "row 327", once (it was "rows 12, 13", of the table read per
    department); explain() reads future= as predict() does."""
    fc, later = per_store
    assert len(fc.predict(future=later)) > 0  # per store: read for each department
    text = later.astype({"Temperature": object})
    row = text.index[(text["Store"] == 2) & (text["Date"] == text["Date"].min() + pd.Timedelta(weeks=2))][0]
    assert row not in range(16)  # no row of the table read per department
    text.loc[row, "Temperature"] = "--"
    named = (rf"^column 'Temperature' of the future table holds the text '--' at row {row} \(read as missing: "
             r"the column was numeric at fit\)")
    with pytest.raises(DataValidationError, match=named):
        fc.predict(future=text)
    with pytest.raises(DataValidationError, match=named):
        fc.explain(series="total", future=text)


def test_text_in_a_future_file_per_store_names_its_line(per_store, tmp_path: Path, capsys) -> None:
    """On the command line, the line of the file: its header is line 1."""
    fc, later = per_store
    model, future = tmp_path / "m.tsauto", tmp_path / "future.csv"
    fc.save(model)
    text = later.astype({"Temperature": object}).reset_index(drop=True)
    text.loc[[2, 6], "Temperature"] = "--"  # lines 4 and 8
    text.to_csv(future, index=False)
    assert [future.read_text().splitlines()[k].endswith(",--") for k in (3, 7)] == [True, True]
    assert main(["predict", str(model), "--future", str(future), "--out", str(tmp_path / "f.csv"), "-q"]) == 2
    err = capsys.readouterr().err
    assert ("tsauto: error: column 'Temperature' of the future table holds the text '--' at lines 4, 8 (read as "
            "missing: the column was numeric at fit)") in err, err


def test_an_empty_cell_of_a_future_table_per_store_names_its_own_row(per_store) -> None:
    """Store 2's second week left empty (NaN), in the row features.csv labels 326 (read for both
    of its departments): named "row 326", once, with the user's series (Store, Dept), by
    predict() and explain() (it was "rows 9, 21, 25" in series [{'node': 'Store=2'}, ...], rows
    of the nodes' table the forecaster of all nodes reads: review 54). An empty cell after the
    horizon is not read, so not refused."""
    fc, later = per_store
    empty = later.copy()
    row = empty.index[(empty["Store"] == 2) & (empty["Date"] == empty["Date"].min() + pd.Timedelta(weeks=1))][0]
    assert row not in range(32)  # no row of the nodes' table, nor of the table read per department
    empty.loc[row, "Temperature"] = float("nan")
    named = (rf"^column 'Temperature' of the future table is missing at row {row} \(2012-11-09 \(Friday\)\) in "
             r"series \[\{'Store': 2, 'Dept': 1\}, \{'Store': 2, 'Dept': 2\}\]: known-future covariates need a "
             r"value at every future step; fill them in\.$")
    with pytest.raises(DataValidationError, match=named):
        fc.predict(future=empty)
    with pytest.raises(DataValidationError, match=named):
        fc.explain(series="total", future=empty)
    after = later.assign(Date=later["Date"] + pd.Timedelta(weeks=4)).assign(Temperature=float("nan"))
    assert len(fc.predict(future=pd.concat([later, after]))) == len(fc.predict(future=later))


def test_an_empty_cell_of_a_future_file_per_store_names_its_line(per_store, tmp_path: Path, capsys) -> None:
    """On the command line, the lines of the file holding the empty cells (header: line 1)."""
    fc, later = per_store
    model, future = tmp_path / "m.tsauto", tmp_path / "future.csv"
    fc.save(model)
    empty = later.reset_index(drop=True)
    empty.loc[[1, 6], "Temperature"] = float("nan")  # lines 3 and 8
    empty.to_csv(future, index=False)
    assert [future.read_text().splitlines()[k].endswith(",") for k in (2, 7)] == [True, True]
    assert main(["predict", str(model), "--future", str(future), "--out", str(tmp_path / "f.csv"), "-q"]) == 2
    err = capsys.readouterr().err
    assert ("tsauto: error: column 'Temperature' of the future table is missing at lines 3, 8 (2012-11-09 (Friday), "
            "2012-11-16 (Friday)) in series [{'Store': 1, 'Dept': 1}, {'Store': 1, 'Dept': 2}, {'Store': 2, 'Dept': "
            "1}] and 1 more: known-future covariates need a value at every future step; fill them in.") in err, err
