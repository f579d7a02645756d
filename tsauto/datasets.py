"""Loaders for the real, public data sets tsauto is tested and benchmarked on.

Only one data set is bundled with the package repository: the ABS Australian retail turnover
table in ``tsauto/bundled/aus_retail.csv.gz`` (CC BY 4.0, "Source: Australian Bureau of Statistics";
see ``tsauto/bundled/README.md``). Every other file is read from a *data directory* whose layout follows
the shared one (``forecasting/m4/Hourly-long.csv.gz``, ``tabular/regression/abalone.csv``, ...).
The data directory is, in this order:

1. the ``data_dir=`` argument of the loader;
2. the environment variable ``TSAUTO_DATA``;
3. ``../shared/datasets`` next to the repository, if that folder exists.

A missing file raises :class:`tsauto.core.exceptions.DatasetNotFoundError` (a ``FileNotFoundError``)
naming the file, the directories searched and the public source to get it from.

Forecasting loaders return *long* tables, one row per (series, time step):

* id columns identify a series (``unique_id``; or ``State`` + ``Industry`` for aus_retail,
  ``Store`` + ``Dept`` for Walmart);
* a time column (``t`` integer step, ``ds``/``Month``/``Date``/``date`` datetime);
* a numeric target (``y``, ``Turnover``, ``Weekly_Sales``, ``Demand``, ``OT``);
* any other column is a covariate (static per series, or time-varying).

Tabular loaders return ``(frame, target_column, task)``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from tsauto.core.exceptions import DatasetNotFoundError

__all__ = [
    "M1_INFO",
    "M1Period",
    "M4_INFO",
    "M4Group",
    "TABULAR",
    "available",
    "bundled_dir",
    "load_aus_retail",
    "load_etth1",
    "load_m1",
    "load_m4",
    "load_tabular",
    "load_tabular_test",
    "load_vic_elec",
    "load_walmart",
    "load_wikipedia_traffic",
    "m4_published",
    "resolve_data_dir",
]

logger = logging.getLogger(__name__)

ENV_VAR = "TSAUTO_DATA"

M4Group = Literal["hourly", "weekly", "daily"]
M1Period = Literal["yearly", "quarterly", "monthly"]
Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class _File:
    """One real data file: where it lies in the data directory and where it comes from."""

    path: str
    source: str
    url: str


_AUS_RETAIL = "aus_retail"
_FILES: dict[str, _File] = {
    _AUS_RETAIL: _File(
        "forecasting/aus_retail/aus_retail.csv.gz",
        "tidyverts/tsibbledata@a9c811a5ca17:data/aus_retail.rda (ABS Retail Trade cat. 8501.0, "
        "CC BY 4.0, 'Source: Australian Bureau of Statistics'; converted from R to CSV)",
        "https://github.com/tidyverts/tsibbledata",
    ),
    "m1_train": _File(
        "forecasting/m1/M1-train.csv.gz",
        "cran/Mcomp@28f4e9babfe2:data/M1.rda (Mcomp 2.8, GPL-3; M1 competition, Makridakis et "
        "al. 1982; converted from R to long CSV: unique_id,ds,y)",
        "https://github.com/cran/Mcomp",
    ),
    "m1_test": _File(
        "forecasting/m1/M1-test.csv.gz",
        "cran/Mcomp@28f4e9babfe2:data/M1.rda (the competition's hold-out, long CSV)",
        "https://github.com/cran/Mcomp",
    ),
    "m1_info": _File(
        "forecasting/m1/M1-info.csv",
        "cran/Mcomp@28f4e9babfe2:data/M1.rda (per series: st, period, seasonal_period, type, "
        "n, h, start, description)",
        "https://github.com/cran/Mcomp",
    ),
    "m4_hourly": _File(
        "forecasting/m4/Hourly-long.csv.gz",
        "Mcompetitions/M4-methods@6c1067e5a571:Dataset/Train/Hourly-train.csv and "
        "Dataset/Test/Hourly-test.csv (wide files converted to long: unique_id,t,y,split)",
        "https://github.com/Mcompetitions/M4-methods",
    ),
    "m4_weekly": _File(
        "forecasting/m4/Weekly-long.csv.gz",
        "Mcompetitions/M4-methods@6c1067e5a571:Dataset/Train/Weekly-train.csv and "
        "Dataset/Test/Weekly-test.csv (wide files converted to long: unique_id,t,y,split)",
        "https://github.com/Mcompetitions/M4-methods",
    ),
    "m4_daily": _File(
        "forecasting/m4/daily_sample_4series.csv",
        "train part: business-science/timetk@5a06bd8b5d77:data/m4_daily.rda; test part: "
        "Mcompetitions/M4-methods@6c1067e5a571:Dataset/Test/Daily-test.csv (series D10, D160, "
        "D410, D500)",
        "https://github.com/business-science/timetk",
    ),
    "m4_published_point": _File(
        "forecasting/m4/m4_published_point_accuracy_by_frequency.csv",
        "Mcompetitions/M4-methods@6c1067e5a571:'Evaluation and Ranks.xlsx', sheet "
        "'Point Forecasts-Frequency' (tidy extract: method,metric,frequency,value)",
        "https://github.com/Mcompetitions/M4-methods",
    ),
    "walmart_train": _File(
        "forecasting/walmart_store_sales/train.csv.gz",
        "Jasvinder21/WALMART-SALES-FORECASTING@5928477c9b9e:train.csv.zip (Kaggle 'Walmart "
        "Recruiting - Store Sales Forecasting')",
        "https://github.com/Jasvinder21/WALMART-SALES-FORECASTING",
    ),
    "walmart_features": _File(
        "forecasting/walmart_store_sales/features.csv",
        "Jasvinder21/WALMART-SALES-FORECASTING@5928477c9b9e:features.csv (Kaggle 'Walmart "
        "Recruiting - Store Sales Forecasting')",
        "https://github.com/Jasvinder21/WALMART-SALES-FORECASTING",
    ),
    "walmart_stores": _File(
        "forecasting/walmart_store_sales/stores.csv",
        "Jasvinder21/WALMART-SALES-FORECASTING@5928477c9b9e:stores.csv (Kaggle 'Walmart "
        "Recruiting - Store Sales Forecasting'; CR line endings converted to LF)",
        "https://github.com/Jasvinder21/WALMART-SALES-FORECASTING",
    ),
    "vic_elec": _File(
        "forecasting/other/vic_elec.csv.gz",
        "tidyverts/tsibbledata@a9c811a5ca17:data/vic_elec.rda (data: Australian Energy Market "
        "Operator; converted from R to CSV)",
        "https://github.com/tidyverts/tsibbledata",
    ),
    "etth1": _File(
        "forecasting/other/ETTh1.csv.gz",
        "zhouhaoyi/ETDataset@1d16c8f4f943:ETT-small/ETTh1.csv (CC BY-ND 4.0; gzipped)",
        "https://github.com/zhouhaoyi/ETDataset",
    ),
    "wikipedia_traffic": _File(
        "forecasting/other/wikipedia_traffic_daily.csv",
        "business-science/timetk@5a06bd8b5d77:data/wikipedia_traffic_daily.rda (converted from R)",
        "https://github.com/business-science/timetk",
    ),
    "adult": _File(
        "tabular/classification/adult_train.csv.gz",
        "jbrownlee/Datasets@d20fcb6402ae:adult-train.csv = UCI Adult adult.data (header added)",
        "https://github.com/jbrownlee/Datasets",
    ),
    "adult_test": _File(
        "tabular/classification/adult_test.csv.gz",
        "jbrownlee/Datasets@d20fcb6402ae:adult-test.csv = UCI Adult adult.test (header added, "
        "trailing '.' of labels removed)",
        "https://github.com/jbrownlee/Datasets",
    ),
    "bank_marketing": _File(
        "tabular/classification/bank_marketing.csv.gz",
        "delfikw94/Dataset@d4ebb1076dcd:bank.zip -> bank/bank-full.csv = UCI Bank Marketing",
        "https://github.com/delfikw94/Dataset",
    ),
    "credit_g": _File(
        "tabular/classification/credit_g.csv",
        "jbrownlee/Datasets@d20fcb6402ae:weka-datasets.zip -> data/credit-g.arff (ARFF -> CSV)",
        "https://github.com/jbrownlee/Datasets",
    ),
    "phoneme": _File(
        "tabular/classification/phoneme.csv.gz",
        "mcavs/imbalanced_tabular_benchmark_dataset@8924cd8d36a4:phoneme.csv (OpenML 1489)",
        "https://github.com/mcavs/imbalanced_tabular_benchmark_dataset",
    ),
    "kc1": _File(
        "tabular/classification/kc1.csv.gz",
        "mcavs/imbalanced_tabular_benchmark_dataset@8924cd8d36a4:kc1.csv (OpenML 1067)",
        "https://github.com/mcavs/imbalanced_tabular_benchmark_dataset",
    ),
    "magic_telescope": _File(
        "tabular/classification/magic_telescope.csv.gz",
        "mcavs/imbalanced_tabular_benchmark_dataset@8924cd8d36a4:MagicTelescope.csv (OpenML 1120)",
        "https://github.com/mcavs/imbalanced_tabular_benchmark_dataset",
    ),
    "california_housing": _File(
        "tabular/regression/california_housing.csv.gz",
        "ageron/handson-ml2@1e2115277b50:datasets/housing/housing.csv",
        "https://github.com/ageron/handson-ml2",
    ),
    "abalone": _File(
        "tabular/regression/abalone.csv",
        "jbrownlee/Datasets@d20fcb6402ae:abalone.csv = UCI Abalone (header added)",
        "https://github.com/jbrownlee/Datasets",
    ),
    "wine_quality": _File(
        "tabular/regression/wine_quality.csv.gz",
        "jbrownlee/Datasets@d20fcb6402ae:winequality-red.csv, winequality-white.csv "
        "(stacked with a 'color' column, header added)",
        "https://github.com/jbrownlee/Datasets",
    ),
    "bike_sharing": _File(
        "tabular/regression/bike_sharing_hour.csv.gz",
        "Rbbradle/DC-Bike-Share-Data@89bc01b2d362:Bike-Sharing-Dataset/hour.csv (UCI Bike Sharing)",
        "https://github.com/Rbbradle/DC-Bike-Share-Data",
    ),
}


# ---------------------------------------------------------------------------------------------
# Locating files
# ---------------------------------------------------------------------------------------------


def bundled_dir() -> Path:
    """The package's ``bundled/`` folder holding ``aus_retail.csv.gz`` (installed with tsauto)."""
    return Path(__file__).resolve().parent / "bundled"


def _shared_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The data directory: ``data_dir``, else ``$TSAUTO_DATA``, else ``../shared/datasets``.

    Returns ``None`` when no argument or environment variable is given and the shared folder
    does not exist.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    shared = _shared_dir()
    return shared if shared.is_dir() else None


def _not_found(key: str, searched: list[Path]) -> DatasetNotFoundError:
    info = _FILES[key]
    name = Path(info.path).name
    where = ", ".join(str(p) for p in searched) if searched else (
        f"none (no data_dir= given, ${ENV_VAR} not set, {_shared_dir()} does not exist)"
    )
    return DatasetNotFoundError(
        f"Data file '{name}' for data set '{key}' was not found. Looked for '{info.path}' in: "
        f"{where}. Get it from the public source {info.source} ({info.url}) and place it at "
        f"<data_dir>/{info.path}; then pass data_dir=<data_dir> or set ${ENV_VAR}."
    )


def _candidates(key: str, data_dir: str | os.PathLike[str] | None) -> list[tuple[Path, Path]]:
    """``(directory searched, file path)`` pairs where the file of ``key`` is looked for."""
    pairs: list[tuple[Path, Path]] = []
    if key == _AUS_RETAIL:
        pairs.append((bundled_dir(), bundled_dir() / Path(_FILES[key].path).name))
    root = resolve_data_dir(data_dir)
    if root is not None:
        pairs.append((root, root / _FILES[key].path))
    return pairs


def _locate(key: str, data_dir: str | os.PathLike[str] | None) -> Path:
    pairs = _candidates(key, data_dir)
    for _, path in pairs:
        if path.is_file():
            logger.debug("reading %s from %s", key, path)
            return path
    raise _not_found(key, [directory for directory, _ in pairs])


# ---------------------------------------------------------------------------------------------
# Forecasting
# ---------------------------------------------------------------------------------------------


def load_aus_retail(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """ABS Australian retail turnover: 152 monthly series, 1982-04..2018-12, 64,532 rows.

    Reads the copy bundled in the repository's ``datasets/`` first, else the data directory.
    Columns: ``State``, ``Industry`` (ids; one series per pair, also identified by
    ``Series ID``), ``Month`` (datetime64, first day of the month), ``Turnover`` (target,
    $ million). Season length 12. Source: Australian Bureau of Statistics (CC BY 4.0).
    """
    path = _locate(_AUS_RETAIL, data_dir)
    df = pd.read_csv(
        path,
        dtype={"State": "str", "Industry": "str", "Series ID": "str", "Turnover": "float64"},
    )
    df["Month"] = pd.to_datetime(df["Month"], format="%Y-%m-%d")
    return df


M1_INFO: dict[str, dict[str, Any]] = {
    "yearly": {"period": "YEARLY", "horizon": 6, "season": 1, "freq": "YS"},
    "quarterly": {"period": "QUARTERLY", "horizon": 8, "season": 4, "freq": "QS"},
    "monthly": {"period": "MONTHLY", "horizon": 18, "season": 12, "freq": "MS"},
}
"""Per M1 period: ``period`` (label in the info file), ``horizon`` (h), ``season`` (seasonal
period m of MASE and Naive2), ``freq`` (pandas frequency of the dates)."""


def load_m1(
    period: M1Period | None = None, data_dir: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """M1 competition (1,001 series: 181 yearly, 203 quarterly, 617 monthly) as
    ``(train, test, info)``.

    ``train`` and ``test`` are long tables with columns ``unique_id`` (str), ``ds`` (datetime64,
    first day of the period) and ``y`` (float); the test part holds the ``h`` points after each
    series. Some series carry a dummy calendar starting in year 1 (``0001-01-01``), so ``ds`` is
    ``datetime64[us]`` (pandas' nanosecond stamps end at 1677). ``info`` has one row per series:
    ``unique_id, st, period, seasonal_period, type, n, h, start, description``. ``period``
    (``"yearly"``, ``"quarterly"``, ``"monthly"``) keeps those series only; see ``M1_INFO``.
    """
    key = None if period is None else str(period).lower()
    if key is not None and key not in M1_INFO:  # a bad argument before any file is looked for
        raise ValueError(f"Unknown M1 period {period!r}; choose one of {sorted(M1_INFO)}.")
    info = pd.read_csv(
        _locate("m1_info", data_dir),
        dtype={"unique_id": "str", "period": "str", "type": "str", "description": "str"},
    )
    if key is not None:
        info = info[info["period"] == M1_INFO[key]["period"]].reset_index(drop=True)
    keep = set(info["unique_id"])
    parts = []
    for name in ("m1_train", "m1_test"):
        df = pd.read_csv(
            _locate(name, data_dir), dtype={"unique_id": "str", "ds": "str", "y": "float64"}
        )
        df = df[df["unique_id"].isin(keep)].reset_index(drop=True)
        df["ds"] = pd.to_datetime(df["ds"], format="%Y-%m-%d").astype("datetime64[us]")
        parts.append(df)
    return parts[0], parts[1], info


M4_INFO: dict[str, dict[str, Any]] = {
    "hourly": {"frequency": "Hourly", "horizon": 48, "season": 24, "key": "m4_hourly"},
    "weekly": {"frequency": "Weekly", "horizon": 13, "season": 1, "key": "m4_weekly"},
    "daily": {"frequency": "Daily", "horizon": 14, "season": 1, "key": "m4_daily"},
}
"""Per M4 group: ``frequency`` (label in the published tables), ``horizon`` (H), ``season``
(the seasonal period m used by M4's MASE and Naive2: 24 hourly, 1 weekly and daily)."""


def _m4_group(group: str) -> str:
    g = str(group).lower()
    if g not in M4_INFO:
        raise ValueError(f"Unknown M4 group {group!r}; choose one of {sorted(M4_INFO)}.")
    return g


def load_m4(
    group: M4Group, data_dir: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """M4 competition series as ``(train, test)`` long tables.

    ``hourly`` (414 series, H=48) and ``weekly`` (359 series, H=13): columns ``unique_id``
    (str), ``t`` (int64 step, 1..n in train, continuing n+1..n+H in test), ``y`` (float).
    ``daily`` (4-series sample D10, D160, D410, D500; H=14): columns ``unique_id``, ``ds``
    (datetime64), ``y``. The test part holds exactly H points per series.
    """
    g = _m4_group(group)
    path = _locate(M4_INFO[g]["key"], data_dir)
    if g == "daily":
        df = pd.read_csv(
            path, dtype={"unique_id": "str", "y": "float64", "split": "category"}
        )
        df["ds"] = pd.to_datetime(df["ds"], format="%Y-%m-%d")
        cols = ["unique_id", "ds", "y"]
    else:
        df = pd.read_csv(
            path,
            dtype={"unique_id": "str", "t": "int64", "y": "float64", "split": "category"},
        )
        cols = ["unique_id", "t", "y"]
    is_test = (df["split"] == "test").to_numpy()
    train = df.loc[~is_test, cols].reset_index(drop=True)
    test = df.loc[is_test, cols].reset_index(drop=True)
    return train, test


def m4_published(
    group: M4Group,
    method: str | int = "Naive2",
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, float]:
    """Published M4 point accuracy of ``method`` on ``group``: ``{"sMAPE", "MASE", "OWA"}``.

    Read from ``forecasting/m4/m4_published_point_accuracy_by_frequency.csv`` (the organisers'
    "Evaluation and Ranks" workbook). ``method`` is a benchmark name (``Naive2``, ``Theta``,
    ...) or a participant User ID (e.g. ``118``, the winner).
    """
    g = _m4_group(group)
    path = _locate("m4_published_point", data_dir)
    df = pd.read_csv(
        path, dtype={"method": "str", "metric": "str", "frequency": "str", "value": "float64"}
    )
    rows = df[(df["method"] == str(method)) & (df["frequency"] == M4_INFO[g]["frequency"])]
    if rows.empty:
        raise ValueError(
            f"No published M4 {M4_INFO[g]['frequency']} results for method {method!r} in {path}."
        )
    return {str(k): float(v) for k, v in zip(rows["metric"], rows["value"])}


def load_walmart(
    data_dir: str | os.PathLike[str] | None = None, with_features: bool = False
) -> pd.DataFrame:
    """Walmart store sales (Kaggle 2014): 421,570 rows, 3,331 weekly store-department series.

    Columns: ``Store``, ``Dept`` (ids), ``Date`` (datetime64, Fridays), ``Weekly_Sales``
    (target; can be negative), ``IsHoliday`` (bool, known-future covariate). Series have gaps.
    With ``with_features=True`` the per-store weekly covariates of ``features.csv``
    (``Temperature``, ``Fuel_Price``, ``MarkDown1..5`` (NaN before Nov 2011), ``CPI``,
    ``Unemployment``) are merged on (``Store``, ``Date``) and the static ``Type`` and ``Size``
    of ``stores.csv`` on ``Store``; the row count is unchanged.
    """
    bool_values = {
        "true_values": ["TRUE", "True", "true"],
        "false_values": ["FALSE", "False", "false"],
    }
    df = pd.read_csv(
        _locate("walmart_train", data_dir),
        dtype={"Store": "int64", "Dept": "int64", "Weekly_Sales": "float64", "IsHoliday": "bool"},
        **bool_values,
    )
    df["Date"] = pd.to_datetime(df["Date"], format="%Y-%m-%d")
    if not with_features:
        return df
    feats = pd.read_csv(
        _locate("walmart_features", data_dir),
        dtype={"Store": "int64", "IsHoliday": "bool"},
        **bool_values,
    )
    feats["Date"] = pd.to_datetime(feats["Date"], format="%Y-%m-%d")
    stores = pd.read_csv(
        _locate("walmart_stores", data_dir),
        dtype={"Store": "int64", "Type": "str", "Size": "int64"},
    )
    out = df.merge(feats.drop(columns=["IsHoliday"]), on=["Store", "Date"], how="left")
    out = out.merge(stores, on="Store", how="left")
    return out


def load_vic_elec(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Victoria half-hourly electricity demand 2012-2014: one series, 52,608 rows.

    Columns: ``Time_UTC`` (datetime64, UTC), ``Time_local`` (datetime64,
    Australia/Melbourne), ``Date`` (datetime64, local day), ``Demand`` (target, MWh),
    ``Temperature`` (°C) and ``Holiday`` (bool) covariates.
    """
    df = pd.read_csv(
        _locate("vic_elec", data_dir),
        dtype={"Demand": "float64", "Temperature": "float64", "Holiday": "bool"},
    )
    df["Time_UTC"] = pd.to_datetime(df["Time_UTC"], utc=True)
    df["Time_local"] = pd.to_datetime(df["Time_local"], utc=True).dt.tz_convert(
        "Australia/Melbourne"
    )
    df["Date"] = pd.to_datetime(df["Date"], format="%Y-%m-%d")
    return df


def load_etth1(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """ETTh1 electricity transformer, hourly 2016-07-01..2018-06-26: 17,420 rows.

    Columns: ``date`` (datetime64), covariates ``HUFL, HULL, MUFL, MULL, LUFL, LULL`` and
    target ``OT`` (oil temperature). Licence CC BY-ND 4.0 (Zhou et al., Informer, AAAI 2021).
    """
    df = pd.read_csv(_locate("etth1", data_dir))
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d %H:%M:%S")
    return df


def load_wikipedia_traffic(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Daily Wikipedia page views, 10 pages x 550 days (2015-07-01..2016-12-31).

    Columns: ``unique_id`` (page/access/agent), ``ds`` (datetime64), ``y`` (views, target).
    """
    df = pd.read_csv(
        _locate("wikipedia_traffic", data_dir), dtype={"unique_id": "str", "y": "float64"}
    )
    df["ds"] = pd.to_datetime(df["ds"], format="%Y-%m-%d")
    return df


# ---------------------------------------------------------------------------------------------
# Tabular
# ---------------------------------------------------------------------------------------------

TABULAR: dict[str, tuple[str, Task]] = {
    "adult": ("income", "classification"),
    "bank_marketing": ("y", "classification"),
    "credit_g": ("class", "classification"),
    "phoneme": ("Class", "classification"),
    "kc1": ("Class", "classification"),
    "magic_telescope": ("Class", "classification"),
    "california_housing": ("median_house_value", "regression"),
    "abalone": ("Rings", "regression"),
    "wine_quality": ("quality", "regression"),
    "bike_sharing": ("cnt", "regression"),
}
"""Tabular data set name -> (target column, task)."""

# Columns removed by load_tabular, with the reason.
_DROPPED: dict[str, list[str]] = {
    # known only after the call was made: it leaks the target
    "bank_marketing": ["duration"],
    # cnt = casual + registered (target leak); instant is the row number
    "bike_sharing": ["instant", "casual", "registered"],
}


def _read_tabular(key: str, name: str, data_dir: str | os.PathLike[str] | None) -> pd.DataFrame:
    kwargs: dict[str, Any] = {}
    if name == "adult":
        kwargs["na_values"] = ["?"]
    df = pd.read_csv(_locate(key, data_dir), **kwargs)
    if name == "bike_sharing":
        df["dteday"] = pd.to_datetime(df["dteday"], format="%Y-%m-%d")
    drop = [c for c in _DROPPED.get(name, []) if c in df.columns]
    return df.drop(columns=drop)


def load_tabular(
    name: str, data_dir: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, str, Task]:
    """A tabular data set as ``(frame, target_column, task)``; see :data:`TABULAR` for names.

    The frame holds the features and the target. Changes to the files: ``adult`` (training
    file only; see :func:`load_tabular_test`) reads ``?`` as missing; ``bank_marketing`` drops
    ``duration`` (known only after the call, leaks the target); ``bike_sharing`` drops
    ``casual`` and ``registered`` (they sum to the target ``cnt``) and ``instant`` (row number),
    and parses ``dteday`` as datetime64. ``kc1``'s ``Class`` is bool.
    """
    if name not in TABULAR:
        raise ValueError(f"Unknown tabular data set {name!r}; choose one of {sorted(TABULAR)}.")
    target, task = TABULAR[name]
    return _read_tabular(name, name, data_dir), target, task


def load_tabular_test(
    name: str, data_dir: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, str, Task]:
    """The separate test file of a tabular data set (only ``adult`` has one: 16,281 rows)."""
    if name != "adult":
        raise ValueError(f"Only 'adult' has a separate test file, not {name!r}.")
    target, task = TABULAR[name]
    return _read_tabular("adult_test", name, data_dir), target, task


# ---------------------------------------------------------------------------------------------
# Inventory
# ---------------------------------------------------------------------------------------------


def available(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per known data file: ``dataset``, ``file`` (path in the data directory),
    ``present`` (bool), ``path`` (where it was found, else ``None``), ``source``."""
    rows = []
    for key, info in _FILES.items():
        found = next((p for _, p in _candidates(key, data_dir) if p.is_file()), None)
        rows.append(
            {
                "dataset": key,
                "file": info.path,
                "present": found is not None,
                "path": str(found) if found is not None else None,
                "source": f"{info.source} ({info.url})",
            }
        )
    return pd.DataFrame(rows, columns=["dataset", "file", "present", "path", "source"])
