"""Tests of the real-data loaders in :mod:`tsauto.datasets`.

The bundled aus_retail test always runs; tests that need files from the data directory
(``../shared/datasets`` or ``$TSAUTO_DATA``) skip, naming the file, when it is absent.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsauto import datasets as ds
from tsauto.core.exceptions import DatasetNotFoundError

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "tsauto" / "bundled" / "aus_retail.csv.gz"
BUNDLED_SHA256 = "488ed92028b8366d570f4636aea77c2ede2f448d79526221c2e8b7d955a0bf75"


def need(key: str) -> None:
    """Skip the test unless the data file of ``key`` is in the data directory."""
    rel = ds._FILES[key].path
    root = ds.resolve_data_dir()
    if root is None or not (root / rel).is_file():
        pytest.skip(f"real data file {rel} not found (data directory: {root})")


def is_datetime(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s)


# --------------------------------------------------------------------------- bundled aus_retail


def test_bundled_file_and_provenance() -> None:
    assert hashlib.sha256(BUNDLED.read_bytes()).hexdigest() == BUNDLED_SHA256
    readme = (REPO / "tsauto" / "bundled" / "README.md").read_text(encoding="utf-8")
    for text in (
        "tidyverts/tsibbledata@a9c811a5ca17:data/aus_retail.rda",
        "8501.0",
        "CC BY 4.0",
        "Source: Australian Bureau of Statistics",
        "1982-04",
        "2018-12",
        "152",
    ):
        assert text in readme


def test_aus_retail_bundled(tmp_path: Path) -> None:
    # an empty data_dir: the bundled copy must be used, so this never skips
    df = ds.load_aus_retail(data_dir=tmp_path)
    assert list(df.columns) == ["State", "Industry", "Series ID", "Month", "Turnover"]
    assert len(df) == 64_532
    assert df["Series ID"].nunique() == 152
    assert df.groupby(["State", "Industry"]).ngroups == 152
    assert df["State"].nunique() == 8 and df["Industry"].nunique() == 20
    assert is_datetime(df["Month"])
    assert df["Month"].min() == pd.Timestamp("1982-04-01")
    assert df["Month"].max() == pd.Timestamp("2018-12-01")
    assert (df["Month"].dt.day == 1).all()
    assert df["Turnover"].dtype == "float64" and df["Turnover"].notna().all()
    assert not df.duplicated(["Series ID", "Month"]).any()


def test_aus_retail_falls_back_to_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ds, "bundled_dir", lambda: tmp_path / "no_bundle")
    target = tmp_path / "data" / ds._FILES["aus_retail"].path
    target.parent.mkdir(parents=True)
    target.write_bytes(BUNDLED.read_bytes())
    assert len(ds.load_aus_retail(data_dir=tmp_path / "data")) == 64_532
    with pytest.raises(DatasetNotFoundError) as err:
        ds.load_aus_retail(data_dir=tmp_path / "empty")
    msg = str(err.value)
    assert "aus_retail.csv.gz" in msg
    assert str(tmp_path / "no_bundle") in msg and str(tmp_path / "empty") in msg
    assert "tidyverts/tsibbledata" in msg


# --------------------------------------------------------------------------- errors, resolution


def test_missing_file_error_names_file_dirs_and_source(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as err:
        ds.load_m4("hourly", data_dir=tmp_path)
    assert isinstance(err.value, FileNotFoundError)
    msg = str(err.value)
    assert "Hourly-long.csv.gz" in msg
    assert "forecasting/m4/Hourly-long.csv.gz" in msg
    assert str(tmp_path) in msg
    assert "Mcompetitions/M4-methods" in msg


@pytest.mark.parametrize(
    ("call", "filename"),
    [
        (lambda d: ds.load_m4("weekly", data_dir=d), "Weekly-long.csv.gz"),
        (lambda d: ds.load_m1(data_dir=d), "M1-info.csv"),
        (lambda d: ds.load_m4("daily", data_dir=d), "daily_sample_4series.csv"),
        (lambda d: ds.m4_published("hourly", data_dir=d), "m4_published_point_accuracy"),
        (lambda d: ds.load_walmart(data_dir=d), "train.csv.gz"),
        (lambda d: ds.load_vic_elec(data_dir=d), "vic_elec.csv.gz"),
        (lambda d: ds.load_etth1(data_dir=d), "ETTh1.csv.gz"),
        (lambda d: ds.load_wikipedia_traffic(data_dir=d), "wikipedia_traffic_daily.csv"),
        (lambda d: ds.load_tabular("abalone", data_dir=d), "abalone.csv"),
        (lambda d: ds.load_tabular_test("adult", data_dir=d), "adult_test.csv.gz"),
    ],
)
def test_each_loader_raises_for_missing_file(tmp_path: Path, call, filename: str) -> None:
    with pytest.raises(DatasetNotFoundError, match=filename):
        call(tmp_path)


def test_env_var_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ds.ENV_VAR, str(tmp_path))
    assert ds.resolve_data_dir() == tmp_path
    assert ds.resolve_data_dir(tmp_path / "x") == tmp_path / "x"  # argument wins
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(tmp_path))):
        ds.load_etth1()


def test_unknown_names() -> None:
    with pytest.raises(ValueError, match="monthly"):
        ds.load_m4("monthly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weekly"):
        ds.load_m1("weekly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="iris"):
        ds.load_tabular("iris")
    with pytest.raises(ValueError):
        ds.load_tabular_test("abalone")


def test_available_lists_every_file(tmp_path: Path) -> None:
    av = ds.available(data_dir=tmp_path)
    assert list(av.columns) == ["dataset", "file", "present", "path", "source"]
    expected = {"aus_retail", "m4_hourly", "walmart_train", "adult", "bike_sharing"}
    assert set(av["dataset"]) >= expected
    present = av.set_index("dataset")["present"]
    assert bool(present["aus_retail"])  # bundled
    assert not present.drop("aus_retail").any()  # empty data dir


# --------------------------------------------------------------------------- M4


def test_m4_info() -> None:
    horizons = {g: info["horizon"] for g, info in ds.M4_INFO.items()}
    seasons = {g: info["season"] for g, info in ds.M4_INFO.items()}
    assert horizons == {"hourly": 48, "weekly": 13, "daily": 14}
    assert seasons == {"hourly": 24, "weekly": 1, "daily": 1}


def _check_m4(group: str, n_series: int, n_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    h = ds.M4_INFO[group]["horizon"]
    train, test = ds.load_m4(group)  # type: ignore[arg-type]
    assert list(train.columns) == ["unique_id", "t", "y"] == list(test.columns)
    assert train["t"].dtype == "int64" and train["y"].dtype == "float64"
    assert pd.api.types.is_string_dtype(train["unique_id"])
    assert len(train) + len(test) == n_rows
    assert train["unique_id"].nunique() == n_series == test["unique_id"].nunique()
    assert (test.groupby("unique_id").size() == h).all()
    assert train["y"].notna().all() and test["y"].notna().all()
    # t runs 1..n in train and continues n+1..n+H in test
    last = train.groupby("unique_id")["t"].agg(["min", "max", "size"])
    assert (last["min"] == 1).all() and (last["max"] == last["size"]).all()
    first_test = test.groupby("unique_id")["t"].min()
    assert (first_test == last["max"].reindex(first_test.index) + 1).all()
    return train, test


def test_m4_hourly() -> None:
    need("m4_hourly")
    train, _ = _check_m4("hourly", 414, 373_372)
    lengths = train.groupby("unique_id").size()
    assert lengths.min() == 700 and lengths.max() == 960


def test_m4_weekly() -> None:
    need("m4_weekly")
    train, _ = _check_m4("weekly", 359, 371_579)
    lengths = train.groupby("unique_id").size()
    assert lengths.min() == 80 and lengths.max() == 2597


def test_m4_daily_sample() -> None:
    need("m4_daily")
    train, test = ds.load_m4("daily")
    assert list(train.columns) == ["unique_id", "ds", "y"] == list(test.columns)
    assert is_datetime(train["ds"]) and is_datetime(test["ds"])
    assert len(train) + len(test) == 9_799
    assert sorted(train["unique_id"].unique()) == ["D10", "D160", "D410", "D500"]
    assert (test.groupby("unique_id").size() == 14).all()
    gap = test.groupby("unique_id")["ds"].min() - train.groupby("unique_id")["ds"].max()
    assert (gap == pd.Timedelta(days=1)).all()


def test_m4_published() -> None:
    need("m4_published_point")
    assert ds.m4_published("hourly") == pytest.approx({"sMAPE": 18.383, "MASE": 2.395, "OWA": 1.0})
    assert ds.m4_published("weekly") == pytest.approx({"sMAPE": 9.161, "MASE": 2.777, "OWA": 1.0})
    daily = ds.m4_published("daily")
    assert daily["OWA"] == pytest.approx(1.0) and daily["sMAPE"] > 0 and daily["MASE"] > 0
    winner = ds.m4_published("hourly", method=118)
    assert winner["sMAPE"] == pytest.approx(9.328) and winner["MASE"] == pytest.approx(0.893)
    assert ds.m4_published("weekly", "Theta")["sMAPE"] == pytest.approx(9.093)
    with pytest.raises(ValueError, match="no-such-method"):
        ds.m4_published("hourly", "no-such-method")


# --------------------------------------------------------------------------- M1


def test_m1_info() -> None:
    assert {p: (i["horizon"], i["season"]) for p, i in ds.M1_INFO.items()} == {
        "yearly": (6, 1),
        "quarterly": (8, 4),
        "monthly": (18, 12),
    }


def test_m1() -> None:
    for key in ("m1_train", "m1_test", "m1_info"):
        need(key)
    train, test, info = ds.load_m1()
    assert list(train.columns) == ["unique_id", "ds", "y"] == list(test.columns)
    assert (len(train), len(test), len(info)) == (56_641, 13_816, 1_001)
    assert is_datetime(train["ds"]) and is_datetime(test["ds"])
    assert train["ds"].min() == pd.Timestamp("0001-01-01")  # dummy calendars are kept
    assert train["y"].notna().all() and test["y"].notna().all()
    info = info.set_index("unique_id")
    n_train, n_test = train.groupby("unique_id").size(), test.groupby("unique_id").size()
    np.testing.assert_array_equal(n_train.sort_index().to_numpy(), info["n"].sort_index())
    np.testing.assert_array_equal(n_test.sort_index().to_numpy(), info["h"].sort_index().to_numpy())
    assert (n_train.sort_index().index == info.sort_index().index).all()
    counts = info["period"].value_counts().to_dict()
    assert counts == {"MONTHLY": 617, "QUARTERLY": 203, "YEARLY": 181}
    for period, spec in ds.M1_INFO.items():
        tr, te, inf = ds.load_m1(period)  # type: ignore[arg-type]
        assert set(inf["period"]) == {spec["period"]} and set(inf["h"]) == {spec["horizon"]}
        assert set(tr["unique_id"]) == set(te["unique_id"]) == set(inf["unique_id"])
        months = {"yearly": 12, "quarterly": 3, "monthly": 1}[period]
        last, first = tr.groupby("unique_id")["ds"].max(), te.groupby("unique_id")["ds"].min()
        step = (first.dt.year - last.dt.year) * 12 + first.dt.month - last.dt.month
        assert (step == months).all()  # the test part continues the training part


# --------------------------------------------------------------------------- other forecasting


def test_walmart() -> None:
    need("walmart_train")
    df = ds.load_walmart()
    assert list(df.columns) == ["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]
    assert len(df) == 421_570
    assert df.groupby(["Store", "Dept"]).ngroups == 3_331
    assert df["Store"].nunique() == 45 and df["Dept"].nunique() == 81
    assert is_datetime(df["Date"]) and (df["Date"].dt.day_of_week == 4).all()
    assert df["Date"].min() == pd.Timestamp("2010-02-05")
    assert df["Date"].max() == pd.Timestamp("2012-10-26")
    assert df["IsHoliday"].dtype == bool and df["IsHoliday"].any()
    assert (df["Weekly_Sales"] < 0).sum() == 1_285
    assert df["Weekly_Sales"].sum() == pytest.approx(6_737_218_987.11, abs=1.0)


def test_walmart_with_features() -> None:
    need("walmart_features")
    need("walmart_stores")
    df = ds.load_walmart(with_features=True)
    assert len(df) == 421_570
    for col in ("Temperature", "Fuel_Price", "MarkDown1", "CPI", "Unemployment", "Type", "Size"):
        assert col in df.columns
    assert df[["Temperature", "Fuel_Price", "Type", "Size"]].notna().all().all()
    assert set(df["Type"]) == {"A", "B", "C"}
    assert df.groupby("Store")["Size"].nunique().max() == 1
    assert df["MarkDown1"].isna().any()  # markdowns only from Nov 2011


def test_vic_elec() -> None:
    need("vic_elec")
    df = ds.load_vic_elec()
    assert len(df) == 52_608
    assert is_datetime(df["Time_UTC"]) and is_datetime(df["Time_local"]) and is_datetime(df["Date"])
    assert (df["Time_UTC"].diff().dropna() == pd.Timedelta(minutes=30)).all()
    assert (df["Time_local"] == df["Time_UTC"]).all()  # same instants, other zone
    assert df["Holiday"].dtype == bool


def test_etth1() -> None:
    need("etth1")
    df = ds.load_etth1()
    assert len(df) == 17_420
    assert list(df.columns) == ["date", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    assert df["date"].iloc[0] == pd.Timestamp("2016-07-01 00:00")
    assert df["date"].iloc[-1] == pd.Timestamp("2018-06-26 19:00")


def test_wikipedia_traffic() -> None:
    need("wikipedia_traffic")
    df = ds.load_wikipedia_traffic()
    assert len(df) == 5_500 and df["unique_id"].nunique() == 10
    assert is_datetime(df["ds"])
    assert (df.groupby("unique_id").size() == 550).all()


# --------------------------------------------------------------------------- tabular

TABULAR_EXPECTED = {
    # name: (rows, columns incl. target, target, task)
    "adult": (32_561, 15, "income", "classification"),
    "bank_marketing": (45_211, 16, "y", "classification"),
    "credit_g": (1_000, 21, "class", "classification"),
    "phoneme": (5_404, 6, "Class", "classification"),
    "kc1": (2_109, 22, "Class", "classification"),
    "magic_telescope": (19_020, 11, "Class", "classification"),
    "california_housing": (20_640, 10, "median_house_value", "regression"),
    "abalone": (4_177, 9, "Rings", "regression"),
    "wine_quality": (6_497, 13, "quality", "regression"),
    "bike_sharing": (17_379, 14, "cnt", "regression"),
}


def test_tabular_names_match_registry() -> None:
    assert set(TABULAR_EXPECTED) == set(ds.TABULAR)


@pytest.mark.parametrize("name", sorted(TABULAR_EXPECTED))
def test_tabular(name: str) -> None:
    need(name)
    rows, ncols, target, task = TABULAR_EXPECTED[name]
    frame, tgt, tsk = ds.load_tabular(name)
    assert frame.shape == (rows, ncols)
    assert (tgt, tsk) == (target, task)
    assert frame[tgt].notna().all()
    if task == "regression":
        assert pd.api.types.is_numeric_dtype(frame[tgt])
    else:
        assert frame[tgt].nunique() == 2


def test_tabular_documented_changes() -> None:
    need("adult")
    adult, _, _ = ds.load_tabular("adult")
    assert not (adult == "?").any().any()
    assert adult[["workclass", "occupation", "native_country"]].isna().sum().sum() == 4_262
    assert adult["income"].value_counts().to_dict() == {"<=50K": 24_720, ">50K": 7_841}
    need("bank_marketing")
    assert "duration" not in ds.load_tabular("bank_marketing")[0].columns
    need("bike_sharing")
    bike, _, _ = ds.load_tabular("bike_sharing")
    assert not {"casual", "registered", "instant"} & set(bike.columns)
    assert is_datetime(bike["dteday"])


def test_adult_test_file() -> None:
    need("adult_test")
    frame, target, task = ds.load_tabular_test("adult")
    assert frame.shape == (16_281, 15) and (target, task) == ("income", "classification")
    assert frame["income"].value_counts().to_dict() == {"<=50K": 12_435, ">50K": 3_846}
