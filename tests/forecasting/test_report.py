"""The HTML report on real data: tables, plots, no external resource; rendered in headless
Chromium (installed with apt-get when missing, else skipped with the reason), whose
screenshot is kept in ``tests/artifacts/``."""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsauto import Forecaster
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.report import pick_series

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
INSTALL_SECONDS = 540  # apt-get update and install together, under ten minutes


class Page(HTMLParser):
    """What a test reads from a page: table ids, plot elements, linked URLs, text."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: list[str] = []
        self.plots = 0
        self.links: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table":
            self.tables.append(values.get("id") or "")
        self.plots += tag in ("svg", "img")
        self.scripts += tag == "script"
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _series(aus_retail: pd.DataFrame, n: int) -> pd.DataFrame:
    df = aus_retail[aus_retail["State"] == "Tasmania"]
    df = df[df["Industry"].isin(df["Industry"].unique()[:n]) & (df["Month"] >= "2008-01-01")]
    return df.drop(columns="Series ID").reset_index(drop=True)


@pytest.fixture(scope="module")
def retail(aus_retail: pd.DataFrame) -> pd.DataFrame:
    """Five Tasmanian retail series, 2008-2018."""
    return _series(aus_retail, 5)


@pytest.fixture(scope="module")
def fitted(retail: pd.DataFrame) -> Forecaster:
    return Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=6,
        learners=["naive", "theta"], quantiles=[0.1, 0.9],
        compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(retail)


@pytest.fixture(scope="module")
def report(fitted: Forecaster, retail: pd.DataFrame, tmp_path_factory) -> Path:
    """The report of ``fitted`` with a two-fold backtest."""
    result = fitted.backtest(retail, folds=2, mode="refit")
    return fitted.report(tmp_path_factory.mktemp("report") / "report.html", backtest=result)


def test_report_holds_the_tables_and_plots_and_no_external_resource(report: Path) -> None:
    page = Page(report.read_text(encoding="utf-8"))
    assert {"overview", "data-checks", "leaderboard", "backtest-summary", "backtest-errors"} <= set(page.tables)
    assert page.plots >= 3
    assert page.scripts == 0
    assert not [link for link in page.links if "http" in link or "//" in link]
    text = " ".join(page.text)
    assert "theta" in text and "naive" in text  # the leaderboard's learners and weights
    assert "non_negative" in text  # a data check
    assert "validation fold" in text  # the plan's notes
    assert "best:" in text and "worst:" in text and "sample:" in text
    assert "fold 1 (cutoff 2018-06-01)" in text and "step 6" in text
    assert "plain naive" not in text  # the reference is seasonal: a season of 12 months


@pytest.mark.parametrize("name", ["report.md", "report.pdf", "report"])
def test_report_refuses_a_path_that_is_not_html(fitted: Forecaster, tmp_path: Path, name: str) -> None:
    """The report is HTML only: a .md or .pdf path was written HTML silently."""
    with pytest.raises(DataValidationError, match=rf"cannot write the report to '.*{name}'.*give a \.html path"):
        fitted.report(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_report_says_the_reference_of_a_model_without_season_is_plain_naive(
    retail: pd.DataFrame, tmp_path: Path
) -> None:
    """With no seasonal period the backtest's seasonal_naive reference is the last value
    repeated: the page says so (it said nothing)."""
    fc = Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=6, learners=["naive"],
        data={"seasons": []}, compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(retail)
    result = fc.backtest(retail, folds=2, mode="refit")
    text = " ".join(Page(fc.report(tmp_path / "r.html", backtest=result).read_text(encoding="utf-8")).text)
    assert "seasonal_naive is plain naive here (the last value repeated)" in text


def test_report_without_backtest_ranks_series_on_the_validation_folds(fitted: Forecaster, tmp_path: Path) -> None:
    page = Page(fitted.report(tmp_path / "plain.html").read_text(encoding="utf-8"))
    assert "backtest-errors" not in page.tables
    text = " ".join(page.text)
    assert "the validation folds" in text and "best:" in text and "worst:" in text
    assert page.plots == 5  # every series: best, worst and the three others


def test_report_shows_lightgbm_importance(aus_retail: pd.DataFrame, tmp_path: Path) -> None:
    fc = Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=6, learners=["lightgbm"],
        compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(_series(aus_retail, 3))
    html = fc.report(tmp_path / "lgb.html").read_text(encoding="utf-8")
    importance = html[html.index('id="feature-importance"'):]
    assert "<svg" in importance and "lag" in importance
    assert "No held-out forecasts" in html  # one learner, not validated: a sample of series


@pytest.mark.parametrize("time", ["Month", "step"])
def test_report_of_one_series_dated_or_in_integer_steps(retail: pd.DataFrame, time: str, tmp_path: Path) -> None:
    one = retail[retail["Industry"] == retail["Industry"].iloc[0]][["Month", "Turnover"]]
    one = one.assign(step=np.arange(len(one))) if time == "step" else one
    fc = Forecaster(
        target="Turnover", time=time, horizon=6, learners=["naive", "theta"], quantiles=[0.1, 0.9],
        compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(one.drop(columns="Month") if time == "step" else one)
    page = Page(fc.report(tmp_path / "one.html").read_text(encoding="utf-8"))
    text = " ".join(page.text)
    assert page.plots == 1 and "best: Turnover" in text and "worst:" not in text


def test_report_of_a_model_with_known_future_covariates(walmart_small: pd.DataFrame, tmp_path: Path) -> None:
    df = walmart_small[walmart_small["Dept"] <= 2]
    cut = df["Date"].max() - pd.Timedelta(weeks=4)
    fc = Forecaster(
        target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4, known_future=["IsHoliday"],
        learners=["lightgbm"], compute={"backend": "sequential"},
    ).fit(df[df["Date"] <= cut])
    without = fc.report(tmp_path / "without.html").read_text(encoding="utf-8")
    assert "No forecast: the model reads the known-future covariates ['IsHoliday']" in " ".join(Page(without).text)
    assert ">forecast<" not in without  # no forecast line in the plots' legends
    future = df.loc[df["Date"] > cut, ["Store", "Dept", "Date", "IsHoliday"]]
    with_future = fc.report(tmp_path / "with.html", future=future).read_text(encoding="utf-8")
    assert "No forecast" not in with_future and ">forecast<" in with_future


def test_pick_series_takes_best_worst_then_a_sample() -> None:
    chosen = pick_series(np.array([0.5, np.nan, 0.2, 0.9, 0.4]), 5, sample=2)
    assert chosen[:2] == [("best", 2), ("worst", 3)]
    assert [role for role, _ in chosen[2:]] == ["sample", "sample"]
    assert {i for _, i in chosen[2:]} <= {0, 1, 4}
    assert pick_series(None, 2, sample=3) == [("sample", 0), ("sample", 1)]


# ---------------------------------------------------------------------- in a browser


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary; installs Debian's ``chromium`` when missing (root and apt-get
    needed), else skips with the reason."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("no chromium binary, and apt-get as root is not available to install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=INSTALL_SECONDS // 4, check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            env=env, capture_output=True, timeout=INSTALL_SECONDS, check=True,
        )
    except (subprocess.SubprocessError, OSError) as err:
        pytest.skip(f"no chromium binary, and `apt-get install chromium` failed: {err}")
    return shutil.which("chromium") or pytest.skip("apt-get installed chromium but no binary is on PATH")


def _headless(chromium: str, *args: str) -> subprocess.CompletedProcess:
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, timeout=180, check=True)


def _png_pixels(path: Path) -> bytes:
    """The decompressed image data of a PNG (its IDAT chunks)."""
    data, pos, chunks = path.read_bytes(), 8, []
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    while pos < len(data):
        size, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + size])
        pos += 12 + size
    return zlib.decompress(b"".join(chunks))


def test_report_renders_in_headless_chromium(report: Path, chromium: str, record_property) -> None:
    dom = _headless(chromium, "--dump-dom", report.as_uri()).stdout.decode()
    assert dom.count("<svg") >= 3 and 'id="leaderboard"' in dom and 'id="data-checks"' in dom
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    _headless(chromium, f"--screenshot={shot}", "--window-size=1200,3000", report.as_uri())
    record_property("screenshot", str(shot))
    assert shot.stat().st_size > 20_000
    # one colour gives a handful of distinct bytes (filter types and the colour's channels)
    assert len(set(_png_pixels(shot))) > 32


def test_report_of_a_hierarchy_shows_wape_by_fold_and_step_per_level(retail: pd.DataFrame, tmp_path: Path) -> None:
    """The table pooled every level (each sale counted once per level: 0.00785 at a fold and step
    where the bottom had 0.0182 and the total 0.0024), unlabelled; now one table per level."""
    fc = Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6,
                    hierarchy=["State", "Industry"], learners=["naive", "seasonal_naive"]).fit(retail)
    result = fc.backtest(retail, folds=2, mode="refit")
    page = Page(fc.report(tmp_path / "r.html", backtest=result).read_text(encoding="utf-8"))
    levels = ["total", "State", "State/Industry"]
    assert [t for t in page.tables if t.startswith("backtest-errors")] == [f"backtest-errors-{lv}" for lv in levels]
    text = " ".join(page.text)
    assert "by fold and horizon step, level State/Industry (the series):" in text
    f = result.forecasts
    for level in ("total", "State/Industry"):  # fold 0, step 1 of each level's own rows
        rows = f[(f["level"] == level) & (f["fold"] == 0) & (f["step"] == 1)]
        wape = (rows["actual"] - rows["forecast"]).abs().sum() / rows["actual"].abs().sum()
        assert f"{wape:.4g}" in text


def test_report_refuses_a_backtest_that_is_not_a_backtest_result(fitted: Forecaster, retail, tmp_path: Path) -> None:
    """A table passed as backtest= raised AttributeError: 'DataFrame' object has no attribute 'forecasts'."""
    with pytest.raises(DataValidationError, match=r"backtest= takes the result of Forecaster.backtest, not a DataFrame"):
        fitted.report(tmp_path / "r.html", backtest=retail)


def test_report_of_a_hierarchy_describes_the_users_series(retail: pd.DataFrame, tmp_path: Path) -> None:
    """The overview counted the nodes as series (7: the 5 series, their State and the total) and
    the data checks named the internal id column ``node``; now the user's 5 series, the
    aggregate nodes the hierarchy adds, and the id columns State and Industry."""
    fc = Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6,
                    hierarchy=["State", "Industry"], learners=["naive"]).fit(retail)
    page = Page(fc.report(tmp_path / "r.html").read_text(encoding="utf-8"))
    text = " ".join(t.strip() for t in page.text if t.strip())
    assert " series 5 " in text
    assert "hierarchy 2 aggregate nodes (total 1, State 1) above the series, forecast with them" in text
    assert "column_role passed State id:" in text and "column_role passed Industry id:" in text
    assert "node" not in set(fc.data_checks()["column"])
