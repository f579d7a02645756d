"""The HTML report on real data: tables, plots, no external resource; rendered in headless
Chromium (installed with apt-get when missing, else skipped with the reason), whose
screenshot is kept in ``tests/artifacts/``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zlib
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_file
from tsauto import Forecaster, datasets
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.intervals import Intervals
from tsauto.forecasting.learners.lightgbm import LightGBMLearner
from tsauto.forecasting.report import pick_series, render

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
def backtest(fitted: Forecaster, retail: pd.DataFrame):
    """A two-fold backtest of ``fitted`` (refit)."""
    return fitted.backtest(retail, folds=2, mode="refit")


@pytest.fixture(scope="module")
def report(fitted: Forecaster, backtest, tmp_path_factory) -> Path:
    """The report of ``fitted`` with a two-fold backtest."""
    return fitted.report(tmp_path_factory.mktemp("report") / "report.html", backtest=backtest)


@pytest.fixture(scope="module")
def walmart_report(walmart_small: pd.DataFrame, tmp_path_factory) -> Path:
    """The report of two Walmart departments (weekly sales of 14,000 to 66,000), with
    intervals and a backtest."""
    df = walmart_small[walmart_small["Dept"] <= 2].drop(columns="IsHoliday")
    fc = Forecaster(
        target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4,
        learners=["naive", "seasonal_naive"], quantiles=[0.1, 0.9], compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(df)
    result = fc.backtest(df, folds=2, mode="refit")
    return fc.report(tmp_path_factory.mktemp("walmart") / "walmart.html", backtest=result)


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


def test_report_says_a_lightgbm_that_made_no_split_is_constant(aus_retail: pd.DataFrame, tmp_path: Path) -> None:
    """24 rows of one series: no split. The report listed its 15 "top features", all at 0 (user
    test 48); now a sentence, and no chart."""
    fc = Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=6,
        learners=[LightGBMLearner(max_samples_per_series=24)], compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(_series(aus_retail, 1))
    html = fc.report(tmp_path / "constant.html").read_text(encoding="utf-8")
    importance = html[html.index('id="feature-importance"'):html.index("</section>", html.index('id="feature-importance"'))]
    assert "lightgbm (weight 1.00) made no split: one value of its transformed target" in importance
    assert "<svg" not in importance and "top 15 features" not in importance


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


# ---------------------------------------------------------------------- charts and backtest wording

EM = {**dict.fromkeys("0123456789", 0.636), ",": 0.318, ".": 0.318, "-": 0.361, "M": 0.863, "B": 0.686}  # DejaVu Sans
Y_LABEL = re.compile(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end" font-family="sans-serif" '
                     r'font-size="11">([^<]*)</text>')


def test_report_y_labels_are_plain_numbers_that_fit_left_of_the_axis(walmart_report: Path) -> None:
    """The series charts' y labels read 9.089e+04 with the leading digit cut by the left edge
    (the 64 px margin was narrower than the label); now 90,890, the margin from the longest."""
    html = walmart_report.read_text(encoding="utf-8")
    charts = re.findall(r"<svg.*?</svg>", html)
    labels = [(float(x), text) for chart in charts for x, text in Y_LABEL.findall(chart)
              if float(x) < 200]  # not the last x label, at the right end
    assert len(labels) == 2 * 3  # top and bottom of the two series' charts and the WAPE chart
    assert all(re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?[MB]?", text) for _, text in labels), labels
    assert any("," in text for _, text in labels)  # sales in the tens of thousands: 90,890
    for x, text in labels:  # right-aligned at x, 11 px: the label starts inside the svg
        assert x - 11 * sum(EM[c] for c in text) >= 0, (x, text)


def test_report_interval_legend_swatch_has_the_bands_fill(walmart_report: Path) -> None:
    """The q0.1–q0.9 swatch was the forecast line's solid blue; the band is that blue at 25 %."""
    chart = re.findall(r"<svg.*?</svg>", walmart_report.read_text(encoding="utf-8"))[-1]
    fills = set(re.findall(r'<polygon points="[^"]*" fill="([^"]+)" fill-opacity="([^"]+)"', chart))
    swatches = re.findall(r'<rect [^>]*fill="([^"]+)"( fill-opacity="[^"]+")?/><text [^>]*>([^<]+)</text>', chart)
    swatch = {label: (color, opacity.split('"')[1] if opacity else "1") for color, opacity, label in swatches}
    assert swatch["q0.1–q0.9"] in fills
    assert swatch["forecast"][0] == swatch["q0.1–q0.9"][0] and swatch["forecast"][1] == "1"


def test_report_y_labels_are_not_clipped_in_chromium(walmart_report: Path, chromium: str, tmp_path: Path) -> None:
    """Laid out by Chromium, no text of a chart starts left of its svg (9.089e+04 did)."""
    measure = (
        "<script>window.onload = () => { const out = document.createElement('pre'); out.id = 'boxes';"
        "out.textContent = JSON.stringify([...document.querySelectorAll('svg text')].map("
        "t => [t.textContent, t.getBBox().x])); document.body.appendChild(out); };</script>"
    )
    page = tmp_path / "measured.html"
    page.write_text(walmart_report.read_text(encoding="utf-8").replace("</body>", measure + "</body>"))
    dom = _headless(chromium, "--dump-dom", page.as_uri()).stdout.decode()
    boxes = json.loads(re.search(r'<pre id="boxes">(.*?)</pre>', dom).group(1))
    assert len(boxes) > 20
    assert min(x for _, x in boxes) >= 0, sorted(boxes, key=lambda b: b[1])[:3]


def _text(path: Path) -> str:
    return " ".join(t.strip() for t in Page(path.read_text(encoding="utf-8")).text if t.strip())


def test_report_says_whether_the_model_beat_seasonal_naive(report: Path, backtest) -> None:
    """The backtest showed the model's and seasonal naive's rows without a word on which was
    better; now one sentence per headline metric (the model's metric, MASE, and WAPE)."""
    text = _text(report)
    model, naive = backtest.summary.iloc[0], backtest.summary.iloc[1]
    for metric in ("mase", "wape"):
        mine, base = model[metric], naive[metric]
        side, outcome = ("better", "beats") if mine < base else ("worse", "does not beat")
        name = {"mase": "MASE", "wape": "WAPE (fraction)"}[metric]
        sentence = (f"On these 2 folds the model's {name} {mine:.4g} is {abs(mine / base - 1) * 100:.1f} % "
                    f"{side} than seasonal_naive's {base:.4g} (lower is better): the model {outcome} the "
                    f"benchmark on {metric.upper()}.")
        assert sentence in text
    assert "MAPE is unreliable" not in text  # retail turnover is far from zero


def test_verdict_is_honest_both_ways(backtest) -> None:
    """The same numbers, the rows swapped: the sentence turns from beats to does not beat."""
    from tsauto.forecasting.report import verdict

    summary = backtest.summary
    assert summary["mase"].iloc[0] < summary["mase"].iloc[1]  # the premise: the blend beats seasonal naive
    better = verdict(summary, "mase", 2)
    worse = verdict(summary.assign(mase=summary["mase"].to_numpy()[::-1]), "mase", 2)
    assert "% better than" in better and better.endswith("the model beats the benchmark on MASE.")
    assert "% worse than" in worse and worse.endswith("the model does not beat the benchmark on MASE.")
    assert verdict(summary.assign(mase=1.0), "mase", 1) == (
        "On this fold the model's MASE 1 is the same as seasonal_naive's 1 (lower is better): the model "
        "does not beat the benchmark on MASE."
    )


@pytest.fixture(scope="module")
def nested(fitted: Forecaster, retail: pd.DataFrame):
    """A two-fold nested backtest of ``fitted``."""
    return fitted.backtest(retail, folds=2)


def test_report_lists_the_model_chosen_at_each_fold_of_a_nested_backtest(
    fitted: Forecaster, nested, tmp_path: Path
) -> None:
    """A nested backtest's model cell joined the folds' blends with ' | ' and was cut with '…',
    with nothing saying the parts are folds; now one line per fold. The summary says how many
    (user test 48: 12 blends made one string of 500 characters), BacktestResult.models which."""
    result = nested
    parts = result.models["model"].tolist()
    assert len(set(parts)) == 2 and result.models["fold"].tolist() == [0, 1]  # different weights
    assert result.summary["model"].iloc[0] == "chosen per fold: 2 models over 2 folds (BacktestResult.models)"
    text = _text(fitted.report(tmp_path / "nested.html", backtest=result))
    cutoffs = result.forecasts.groupby("fold")["cutoff"].max()
    assert "The model chosen at each fold (the selection was rerun before each cutoff):" in text
    for fold, part in zip(cutoffs.index, parts):
        assert f"fold {fold} (cutoff {cutoffs[fold]:%Y-%m-%d}): {part}" in text
    assert "chosen per fold (listed above)" in text and " | " not in text


def test_report_flags_a_mape_blown_up_by_actuals_near_zero(tmp_path: Path) -> None:
    """Walmart store 1's department 99 sells a few cents to a few dollars in some weeks: MAPE was
    printed as 6.89e+04 with no comment; now written out in full and called unreliable."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart()
    df = df[(df["Store"] == 1) & df["Dept"].isin([1, 99])].drop(columns="IsHoliday")
    fc = Forecaster(
        target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4, learners=["seasonal_naive"],
        compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(df)
    result = fc.backtest(df, folds=2, mode="refit")
    mape, wape = result.summary["mape"].iloc[0], result.summary["wape"].iloc[0]
    assert mape > 1000 and mape > 100 * 10 * wape  # the premise: huge, from a few small actuals
    page = fc.report(tmp_path / "r.html", backtest=result)
    html = page.read_text(encoding="utf-8")
    start = html.index('id="backtest-summary"')
    summary = html[start:html.index("</table>", start)]
    assert f"<td>{mape:,.0f}</td>" in summary and "e+" not in summary
    assert (f"MAPE is unreliable here: {mape:,.0f} % against a WAPE of {wape * 100:.1f} % comes from actuals "
            "near zero, each error being divided by its actual; judge the forecasts by WAPE or MASE.") in _text(page)



# ---------------------------------------------------------------------- user test ut39 (F21, F28)


def _table(html: str, table_id: str) -> str:
    start = html.index(f'<table id="{table_id}">')
    return html[start:html.index("</table>", start)]


def test_report_lists_alerts_then_fixes_then_passed_checks(fitted: Forecaster, report: Path) -> None:
    """The data checks were listed in table order, the non-passed rows among dozens of passed
    ones; now alerts first, then fixes, then the passed ones, each kind in table order."""
    checks = fitted.data_checks()
    rank = checks["status"].map({"alert": 0, "fixed": 1, "passed": 2})
    assert not rank.is_monotonic_increasing  # the premise: a fix (non_negative) among passed rows
    expected = checks.iloc[np.argsort(rank.to_numpy(), kind="stable")]
    rows = re.findall(r'<tr class="(\w+)"><td>([^<]*)</td>', _table(report.read_text(encoding="utf-8"), "data-checks"))
    assert rows == list(zip(expected["status"], expected["check"]))
    assert rows[0] == ("fixed", "non_negative")


def _forecasts_lead(html: str) -> str:
    """The Forecasts section's text above its first chart."""
    start = html.index('<section id="forecasts">')
    return " ".join(Page(html[start:html.index("<svg", start)]).text)


def test_report_says_what_the_intervals_rest_on_above_the_forecasts(
    fitted: Forecaster, report: Path, tmp_path: Path, monkeypatch
) -> None:
    """The interval method and its error count were only a plan note; now above the forecast
    charts, with a warning where the bands undercovered on held-out folds."""
    described = fitted.intervals_.describe()
    assert described.startswith("quantiles: conformal, from 90 out-of-fold errors over 3 fold(s)")
    lead = _forecasts_lead(report.read_text(encoding="utf-8"))
    assert f"Intervals — {described}." in lead and "too narrow" not in lead
    monkeypatch.setattr(Intervals, "undercovers", lambda self: True)
    lead = _forecasts_lead(fitted.report(tmp_path / "narrow.html").read_text(encoding="utf-8"))
    assert f"Intervals — {described}. The bands may be too narrow: their held-out coverage fell more than " \
           "10 points short of nominal" in lead


def test_report_names_the_members_by_leaderboard_trial(fitted: Forecaster, report: Path) -> None:
    """The overview's model named learners only (vic_elec: 0.08×lightgbm + 0.68×lightgbm + ...,
    no telling which leaderboard rows); now the members as weight×learner#trial, heaviest first,
    in the overview and above the leaderboard."""
    board = fitted.leaderboard()
    weighted = board[board["weight"] > 0].sort_values("weight", ascending=False)
    names = [f"{w:.2f}×{lrn}#{n}" for n, lrn, w in weighted[["trial", "learner", "weight"]].itertuples(index=False)]
    assert names == ["0.86×theta#0", "0.14×naive#1"]
    html = report.read_text(encoding="utf-8")
    assert f"<td>members</td><td>{' + '.join(names)}</td>" in _table(html, "overview")
    leaderboard = html[html.index('<section id="leaderboard">'):html.index('<table id="leaderboard">')]
    assert "".join(f"<li>{n}</li>" for n in names) in leaderboard


@pytest.fixture(scope="module")
def long_horizon(retail: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A two-fold backtest of an 18-month horizon and its report's html."""
    fc = Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=18,
        learners=["seasonal_naive", "naive"], compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(retail)
    result = fc.backtest(retail, folds=2, mode="refit")
    return result.forecasts, render(fc, result)


def test_report_pools_the_steps_of_a_long_horizon_in_the_wape_table(long_horizon) -> None:
    """18 (vic_elec: 48) step columns ran off the page; now at most 12 columns, each run of
    steps pooled as the steps are (absolute errors summed over absolute actuals); the chart
    keeps every step."""
    forecasts, html = long_horizon
    errors = _table(html, "backtest-errors")
    heads = re.findall(r"<th>([^<]*)</th>", errors)
    assert heads == ["fold", *(f"steps {s}–{s + 1}" for s in range(1, 19, 2))]

    def wape(rows: pd.DataFrame) -> float:
        return (rows["actual"] - rows["forecast"]).abs().sum() / rows["actual"].abs().sum()

    cells = [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", errors)[1:]]
    last = forecasts[forecasts["step"].isin([17, 18])]
    assert cells[0][-1] == f"{wape(last[last['fold'] == 0]):.4g}"
    assert cells[-1][0] == "all folds" and cells[-1][-1] == f"{wape(last):.4g}"
    assert "by fold and horizon step, steps pooled in runs of 2" in " ".join(Page(html).text)
    chart = html[html.index("<svg", html.index('id="backtest-errors"')):]
    chart = chart[:chart.index("</svg>")]
    points = re.findall(r'<polyline points="([^"]*)"', chart)
    assert points and all(len(p.split()) == 18 for p in points)  # one point per step
    assert ">step 18<" in chart


# ---------------------------------------------------------------------- user test ut40 (G7, G8, G10)


def test_report_of_a_partitioned_model_points_to_its_partitions_importance(
    aus_small: pd.DataFrame, tmp_path: Path
) -> None:
    """A partitioned model's report said "No member of the model reports feature importance
    (LightGBM does)" though LightGBM was a member of every partition; now it says each partition
    has its own model and how to see one's importance."""
    df = aus_small[aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    fc = Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=6, partition_by=["State"],
        learners=["lightgbm", "naive"], compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(df)
    board = fc.leaderboard()
    assert set(board.loc[(board["learner"] == "lightgbm") & (board["weight"] > 0), "State"]) == {
        "Tasmania", "Victoria"}  # the premise: LightGBM is a member of both partitions
    html = render(fc)
    text = " ".join(Page(html[html.index('<section id="feature-importance">'):]).text)
    assert "No member" not in text
    assert text.endswith(
        "A partitioned model: each of its 2 partitions has its own model; in 2 of them a member reports feature "
        "importance (LightGBM). Report or explain a partition for it: forecaster.partitions_[('Tasmania',)]"
        ".report(path) or forecaster.partitions_[('Tasmania',)].explain()."
    )
    child = fc.partitions_[("Tasmania",)].report(tmp_path / "tasmania.html").read_text(encoding="utf-8")
    assert "<svg" in child[child.index('id="feature-importance"'):]  # what the pointer leads to


def test_report_names_a_covariate_lightgbm_barely_used(walmart_small: pd.DataFrame) -> None:
    """User test 57 F8: a covariate given to the model but hardly used by it (temperature at
    half-hourly demand) was not said; the report names it with its share of the gain (Walmart's
    IsHoliday: 0.8 % of LightGBM's, the lags at 52 weeks carry the holidays), and not where none is
    under 1 %."""
    fc = Forecaster(
        target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4, known_future=["IsHoliday"],
        learners=["lightgbm"], compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(walmart_small)
    share = fc.explain().importance.set_index("family").loc["IsHoliday", "share"]
    assert share < 0.01  # the premise
    text = " ".join(Page(render(fc)).text)
    assert (f"lightgbm barely used the covariate IsHoliday ({share * 100:.1f} %) (under 1 % of its gain): it changes "
            "its forecasts little") in text
    from tsauto.forecasting.report import _little_used

    assert _little_used("lightgbm", fc.explain().importance.assign(share=0.5), ["IsHoliday"]) == ""


def _validation_sentence(fitted: Forecaster, result, tested: float | None = None, mode: str = "nested") -> str:
    """The report's sentence on the overview's validation score, the backtest's score set to ``tested``."""
    summary = result.summary if tested is None else result.summary.assign(
        mase=[tested, *result.summary["mase"].iloc[1:]])
    text = " ".join(Page(render(fitted, replace(result, summary=summary, mode=mode))).text)
    return next(s for s in text.split(". ") if "overview's validation" in s)


def test_report_calls_validation_optimistic_only_where_the_nested_backtest_is_worse(fitted: Forecaster, nested) -> None:
    """The report called the validation score optimistic even where the nested backtest's was
    better (M4 Hourly: validation 1.044, nested 1.043); now only where it is worse, else it says it
    was not optimistic there; a refit backtest cannot tell: it may be optimistic."""
    score = fitted.cv_score_
    tested = nested.summary["mase"].iloc[0]
    worse, better = max(tested, score * 1.1), min(tested, score * 0.9)
    assert _validation_sentence(fitted, nested, worse) == (
        f"The overview's validation mase {score:.4g} is optimistic: the model was chosen and weighted on those "
        f"folds; this nested backtest's {worse:.4g}, which reran that choice before each cutoff, is worse")
    assert _validation_sentence(fitted, nested, better) == (
        f"The overview's validation mase {score:.4g} was not optimistic here: this nested backtest, which reran "
        f"the model's choice before each cutoff, scores {better:.4g}, better (on its own windows)")
    assert _validation_sentence(fitted, nested, score).endswith(f"scores {score:.4g}, the same (on its own windows)")
    assert _validation_sentence(fitted, nested, mode="refit") == (
        f"The overview's validation mase {score:.4g} may be optimistic: the model was chosen and weighted on "
        "those folds")


def _headers(html: str, table_id: str) -> list[str]:
    return re.findall(r"<th>([^<]*)</th>", _table(html, table_id))


def test_report_labels_metric_units_and_the_nominal_coverage(report: Path, backtest, fitted: Forecaster) -> None:
    """MAPE and sMAPE (percent) stood unlabelled beside WAPE (a fraction: 0.02544 next to MAPE
    3.73), and coverage 0.78 without its nominal level; now the headers say so, the numbers as
    they were."""
    html = report.read_text(encoding="utf-8")
    summary = backtest.summary
    coverage = "coverage of [q0.1, q0.9] (nominal 80 %)"
    heads = _headers(html, "backtest-summary")
    assert {"mape %", "smape %", "wape (fraction)", coverage} <= set(heads)
    assert not {"mape", "smape", "wape", "coverage"} & set(heads)
    cells = re.findall(r"<td>([^<]*)</td>", _table(html, "backtest-summary"))[: len(heads)]
    for column in ("mape", "smape", "wape", "coverage"):
        assert cells[list(summary.columns).index(column)] == f"{summary[column].iloc[0]:.4g}"
    assert coverage in _headers(html, "leaderboard") and "coverage" not in _headers(html, "leaderboard")
    assert "WAPE as a fraction (sum of absolute errors / sum of absolute actuals) by fold" in _text(report)


def test_metric_and_coverage_labels() -> None:
    from tsauto.forecasting.report import coverage_label, metric_label

    assert [metric_label(m) for m in ("mape", "smape_fold0", "wape", "mase", "SMAPE")] == [
        "mape %", "smape_fold0 %", "wape (fraction)", "mase", "SMAPE %"]
    assert coverage_label([0.025, 0.1, 0.5, 0.9, 0.975]) == "coverage of [q0.025, q0.975] (nominal 95 %)"
    assert coverage_label([0.05, 0.5]) == "coverage"


# ---------------------------------------------------------------------- user test 46


def _charts(html: str, section: str) -> list[str]:
    """The svg charts of a section of the page (by its id)."""
    start = html.index(f'<section id="{section}">')
    return re.findall(r"<svg.*?</svg>", html[start:html.index("</section>", start)], re.S)


def _texts(chart: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", chart)


@pytest.fixture(scope="module")
def later(retail: pd.DataFrame) -> tuple[Forecaster, object]:
    """``retail``'s model fitted up to a year before its end, and a refit backtest of it on the
    whole table: its two folds run past that history, the last six months past its forecast."""
    fit_end = retail["Month"].max() - pd.DateOffset(months=12)
    fc = Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=6, learners=["naive", "theta"],
        quantiles=[0.1, 0.9], compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(retail[retail["Month"] <= fit_end])
    return fc, fc.backtest(retail, folds=2, mode="refit")


def test_series_chart_ends_at_the_last_time_drawn_with_the_actuals_past_the_history(
    later, retail: pd.DataFrame
) -> None:
    """User test 46 T4: the right x label read the forecast's end (6 months after the fit's) while
    the backtest's held-out forecasts drawn in the same chart ran 6 months further, with no actual
    drawn beside them; now the label is the last time drawn, and the backtest's actuals past the
    history are drawn (light grey)."""
    fc, result = later
    charts = _charts(render(fc, result), "forecasts")
    assert len(charts) == 5
    end = f"{retail['Month'].max():%Y-%m-%d}"
    forecast_end = f"{fc.predict()['Month'].max():%Y-%m-%d}"
    assert forecast_end < end  # the premise: the held-out forecasts go further than the forecast
    for chart in charts:
        texts = _texts(chart)
        assert texts[3] == end, texts[:4]  # y top, y bottom, x first, x last
        assert "actual after the history" in texts
        grey = re.findall(r'<polyline points="([^"]*)" fill="none" stroke="#aaaaaa"', chart)
        assert [len(line.split()) for line in grey] == [6, 6]  # both folds' six months, past the history


def test_report_wape_chart_keeps_its_legend_with_sub_daily_cutoffs(hourly) -> None:
    """User test 46 T5: with half-hourly cutoffs the WAPE chart's legend ('fold 0 (cutoff
    2014-12-10 12:30:00+00:00)' three times) overflowed and was dropped whole: three unlabelled
    lines; now the chart names the folds as the table above it begins their rows, 'fold 0',
    and a legend too long for a row wraps (tests/forecasting/test_svg.py)."""
    fc, result = hourly
    html = render(fc, result)
    chart = _charts(html, "backtest")[0]
    assert [t for t in _texts(chart) if t.startswith("fold")] == ["fold 0", "fold 1", "fold 2"]
    table = _table(html, "backtest-errors")
    assert all(f"fold {f} (cutoff 2018-06-2" in table for f in range(3))  # the table names the cutoffs


@pytest.fixture(scope="module")
def hourly() -> tuple[Forecaster, object]:
    """ETTh1's oil temperature, its last 840 hours, validated on 9 folds, with intervals, and a
    three-fold refit backtest (cutoffs at 19:00)."""
    shared_file("forecasting/other/ETTh1.csv.gz")
    df = datasets.load_etth1()[["date", "OT"]].iloc[-840:]
    fc = Forecaster(
        target="OT", time="date", horizon=24, learners=["naive", "seasonal_naive"], quantiles=[0.1, 0.9],
        search={"folds": 9}, compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(df)
    return fc, fc.backtest(df, folds=3, mode="refit")


def test_report_leaderboard_shows_nine_folds_scores_in_one_column(hourly) -> None:
    """User test 46 T5: with 9 validation folds the leaderboard had 21 columns and ran past the
    page; now more than 4 folds' scores are one column, in fold order."""
    fc, _ = hourly
    html = render(fc)
    heads = _headers(html, "leaderboard")
    assert "mase by fold (0–8)" in heads and not [h for h in heads if "_fold" in h]
    assert len(heads) == 21 - 9 + 1
    board = fc.leaderboard()
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", _table(html, "leaderboard"))[1:]
    column = heads.index("mase by fold (0–8)")
    for row, (_, trial) in zip(rows, board.iterrows()):
        cell = re.findall(r"<td>([^<]*)</td>", row)[column]
        assert cell == " ".join(f"{trial[f'mase_fold{k}']:.3g}" for k in range(9))


def test_report_leaderboard_fits_the_page_in_chromium(hourly, chromium: str, tmp_path: Path) -> None:
    """User test 46 T5, laid out by Chromium: the leaderboard is no wider than the page's body."""
    fc, _ = hourly
    measure = (
        "<script>window.onload = () => { const out = document.createElement('pre'); out.id = 'widths';"
        "out.textContent = JSON.stringify([document.getElementById('leaderboard').scrollWidth,"
        "document.body.clientWidth]); document.body.appendChild(out); };</script>"
    )
    page = tmp_path / "measured.html"
    page.write_text(render(fc).replace("</body>", measure + "</body>"), encoding="utf-8")
    dom = _headless(chromium, "--window-size=1300,900", "--dump-dom", page.as_uri()).stdout.decode()
    table, body = json.loads(re.search(r'<pre id="widths">(.*?)</pre>', dom).group(1))
    assert table <= body, (table, body)


def _mean_mase(data: pd.DataFrame, frame: pd.DataFrame, season: int) -> dict[str, float]:
    """Every series' MASE averaged over the folds of a forecasts ``frame``, computed here: each
    fold's mean absolute error over the mean absolute ``season``-step difference of the series'
    data up to its cutoff."""
    out = {}
    for industry, rows in frame.groupby("Industry"):
        scores = []
        for _, fold in rows.groupby("fold"):
            y = data.loc[(data["Industry"] == industry) & (data["Month"] <= fold["cutoff"].iloc[0]), "Turnover"]
            y = y.to_numpy()
            scale = np.mean(np.abs(y[season:] - y[:-season]))
            scores.append(np.mean(np.abs(fold["actual"] - fold["forecast"])) / scale)
        out[industry] = float(np.mean(scores))
    return out


def _captions(html: str) -> dict[str, str]:
    """The series charts' captions: role and series to the number in brackets."""
    found = re.findall(r"<p>(best|worst|sample): ([^<]*?) \(MASE ([^)]*)\)</p>", html)
    return {name.split("/", 1)[-1]: score for _, name, score in found}


def test_report_ranks_series_by_their_mase_averaged_over_the_folds(
    fitted: Forecaster, backtest, retail: pd.DataFrame
) -> None:
    """User test 46 T11: the charts' 'scaled error' (the MAE pooled over the folds over the whole
    history's scale: 2.6) was not the backtest's per-series MASE (its folds' mean, each scaled by the
    history up to its cutoff: 2.91); now both are the MASE averaged over the folds: the backtest's
    per_series mase, and the validation folds' scored alike."""
    season = fitted.task_.season
    for result, held_out in ((backtest, backtest.forecasts), (None, fitted.validation_)):
        expected = _mean_mase(retail, held_out, season)
        shown = _captions(render(fitted, result))
        assert len(shown) == 5
        for industry, score in shown.items():
            assert score == f"{expected[industry]:.3g}", (industry, score, expected[industry])
    means = backtest.per_series.groupby("Industry")["mase"].mean()
    assert _captions(render(fitted, backtest)) == {k: f"{v:.3g}" for k, v in means.items()}


def _undated(html: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", html)


def test_report_from_a_backtest_table_equals_the_report_from_the_rerun(
    fitted: Forecaster, backtest, nested, retail: pd.DataFrame, tmp_path: Path
) -> None:
    """User test 46 T6: a backtest written to a file could not be shown without running it
    again; read back from its table and the data it ran on, it is the backtest returned: its
    tables, and the report made of it."""
    from tsauto.core.table_io import read_table, write_table
    from tsauto.forecasting.report import backtest_from_table

    for result, mode in ((backtest, "refit"), (nested, "nested")):
        for name in ("bt.csv", "bt.parquet"):
            table = read_table(write_table(result.forecasts, tmp_path / name), fitted._codes())
            read = backtest_from_table(fitted, table, retail, mode)
            exact = name.endswith("parquet")
            for part in ("forecasts", "per_series"):
                pd.testing.assert_frame_equal(getattr(read, part), getattr(result, part), check_exact=exact)
            numbers = result.summary.drop(columns="model")
            pd.testing.assert_frame_equal(read.summary.drop(columns="model"), numbers, check_exact=exact)
            assert read.mode == result.mode and read.note == result.note
        if mode == "refit":
            assert _undated(render(fitted, read)) == _undated(render(fitted, result))
        else:  # the table does not name the models chosen at the folds
            assert read.summary["model"].iloc[0] == "chosen at each fold (not in the table read)"


def test_a_backtest_table_is_read_only_with_the_data_it_ran_on(later, retail: pd.DataFrame) -> None:
    """The table's scaled errors need the data up to each cutoff: a table whose cells run past the
    data given (the model's training data, a year shorter) is refused, saying so."""
    from tsauto.forecasting.report import backtest_from_table

    fc, result = later
    read = backtest_from_table(fc, result.forecasts, retail, "refit")
    pd.testing.assert_frame_equal(read.per_series, result.per_series)
    with pytest.raises(DataValidationError, match=r"the table: 60 of its 60 cells are not the data's \(e.g. \{'State': "
                       r"'Tasmania', 'Industry': '.*', 'Month': '2018-01-01'\}, step 1: it lies past the end of the "
                       r"data's series, 2017-12-01\): it is not a backtest of this data"):
        backtest_from_table(fc, result.forecasts, retail[retail["Month"] <= "2017-12-01"], "refit")
    scored = result.forecasts.iloc[0]  # a row the backtest scored, absent from the data: filled, and
    lacking = retail.drop(retail.index[(retail["Industry"] == scored["Industry"]) & (retail["State"] == scored["State"])
                                       & (retail["Month"] == scored["Month"])])  # its scales changed, unsaid
    with pytest.raises(DataValidationError, match=r"the table: 1 of its 60 cells are not the data's .*the data has "
                       r"no row there \(the backtest scored one\)"):
        backtest_from_table(fc, result.forecasts, lacking, "refit")
    gapped = fc.backtest(lacking, folds=2, mode="refit")  # the other way: a gap the backtest did not score,
    with pytest.raises(DataValidationError, match=r"the data holds 6 observed rows in the window of .* and the table "
                       r"scored 5: the data the backtest ran on lacked rows there"):  # read with the full data
        backtest_from_table(fc, gapped.forecasts, retail, "refit")


def test_a_partitioned_models_backtest_table_reads_back_as_the_backtest_returned(
    aus_small: pd.DataFrame, tmp_path: Path
) -> None:
    """User test 56: a partitioned model's backtest table (``tsauto backtest --out``) could not be
    shown (refused: "rerun the backtest on the data table instead"); read partition by partition
    with the data it ran on, it is the backtest returned. A partition the model lacks is refused."""
    from tsauto.core.table_io import read_table, write_table
    from tsauto.forecasting.report import backtest_from_table, backtest_table

    df = aus_small[aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    fc = Forecaster(
        target="Turnover", time="Month", ids=["State", "Industry"], horizon=6, partition_by="State",
        learners=["theta", "naive"], compute={"n_jobs": 1, "backend": "sequential"},
    ).fit(df)
    result = fc.backtest(df, folds=2, mode="refit")
    table = read_table(write_table(backtest_table(result), tmp_path / "bt.parquet"), fc._codes())
    read = backtest_from_table(fc, table, df)
    for part in ("forecasts", "per_series", "summary"):
        pd.testing.assert_frame_equal(getattr(read, part), getattr(result, part))
    assert (read.mode, read.note) == (result.mode, result.note)
    other = table.assign(State=table["State"].replace("Victoria", "Queensland"))
    with pytest.raises(DataValidationError, match=r"^the table holds partition State='Queensland', which the data "
                       r"lacks: it is not a backtest of this model on this data\.$"):
        backtest_from_table(fc, other, df)
    with pytest.raises(DataValidationError, match=r"^the table holds no row of partition State='Victoria', which the "
                       r"data holds: give the data the backtest ran on, or the table of a backtest of all of it\.$"):
        backtest_from_table(fc, table[table["State"] == "Tasmania"], df)  # read as the whole (review 57 R5)
    with pytest.raises(DataValidationError, match=r"^partition State='Victoria': the table: 24 of its 24 cells are "
                       r"not the data's"):
        backtest_from_table(fc, table, df[(df["State"] == "Tasmania") | (df["Month"] <= "2017-12-01")])


def test_a_backtest_table_records_its_mode(fitted: Forecaster, backtest, nested, retail: pd.DataFrame) -> None:
    """The table did not record the backtest's mode: read back, a refit backtest's was labelled
    nested (the default) unless told. Now ``backtest_table`` writes it and the reader takes it;
    a mode that contradicts it is refused; a table without it (written before) reads as told."""
    from tsauto.forecasting.report import backtest_from_table, backtest_table, table_mode

    for result in (backtest, nested):
        table = backtest_table(result)
        assert table_mode(table) == result.mode
        read = backtest_from_table(fitted, table, retail)
        assert (read.mode, read.note) == (result.mode, result.note)
        pd.testing.assert_frame_equal(read.per_series, result.per_series)
    with pytest.raises(DataValidationError, match=r"^mode='nested': the table records a refit backtest \(its column "
                       r"'backtest_mode'\); leave mode out\.$"):
        backtest_from_table(fitted, backtest_table(backtest), retail, "nested")
    assert backtest_from_table(fitted, backtest.forecasts, retail, "refit").mode == "refit"
    assert backtest_from_table(fitted, backtest.forecasts, retail).mode == "nested"  # as before: the default
    mixed = backtest_table(backtest).assign(backtest_mode=["refit", "nested"] * (len(backtest.forecasts) // 2))
    with pytest.raises(DataValidationError, match=r"its column 'backtest_mode' holds \['nested', 'refit'\]"):
        backtest_from_table(fitted, mixed, retail)


def test_report_names_the_series_and_folds_where_seasonal_naive_did_better(backtest, report: Path) -> None:
    """The report said only that the model beat seasonal naive overall, while it lost on 3 of 16
    Walmart series (one by 1.6×) and in one fold (user test 54): those are named, worst first."""
    from dataclasses import replace

    from tsauto.forecasting.report import reference_wins

    cells = backtest.forecasts.assign(
        model=(backtest.forecasts["actual"] - backtest.forecasts["forecast"]).abs(),
        reference=(backtest.forecasts["actual"] - backtest.forecasts["seasonal_naive"]).abs())
    sums = cells.groupby(["State", "Industry"])[["model", "reference"]].sum()
    lost = (sums["model"] / sums["reference"])[sums["model"] > 1.05 * sums["reference"]].sort_values(ascending=False)
    assert len(lost) == 2  # the premise: seasonal naive is better by over 5 % on two of the five series
    text = reference_wins(backtest)
    (state, industry), ratio = next(iter(lost.items()))
    assert text.startswith(f"seasonal_naive was better than the model by more than 5% on 2 of 5 series: {state}/{industry} "
                           f"({ratio:.2f}×)")
    assert " ".join(text.split()) in " ".join(_text(report).split())
    cells = backtest.forecasts  # errors 3 % larger than seasonal naive's everywhere: within 5 %, not named
    close = cells.assign(forecast=cells["actual"] + 1.03 * (cells["seasonal_naive"] - cells["actual"]))
    assert reference_wins(replace(backtest, forecasts=close)) == ""
    worse = backtest.forecasts.assign(forecast=backtest.forecasts["seasonal_naive"] * 1.5)
    text = reference_wins(replace(backtest, forecasts=worse))
    assert text.startswith("seasonal_naive was better than the model by more than 5% on 5 of 5 series: ")
    assert "; and in 2 of 2 folds: fold 0 (cutoff " in text and text.count("×") == 7
    better = backtest.forecasts.assign(forecast=backtest.forecasts["actual"])
    assert reference_wins(replace(backtest, forecasts=better)) == ""


def test_report_warns_where_the_backtests_band_held_far_from_its_level(backtest) -> None:
    """vic_elec's 80 % band held 55 % of a nested backtest's actuals, and the report said only the
    fit's own 79 % (user test 54)."""
    from dataclasses import replace

    from tsauto.forecasting.report import backtest_coverage

    def held(share: float) -> str:
        summary = backtest.summary.copy()
        summary.loc[0, "coverage"] = share
        return backtest_coverage(replace(backtest, summary=summary))

    cells = int(backtest.forecasts[["q0.1", "q0.9", "actual"]].notna().all(axis=1).sum())
    assert held(0.55) == (f"In this backtest the 80 % band [q0.1, q0.9] held 55 % of {cells} actuals over 2 "
                          "fold(s): too narrow here (the bands are calibrated on the fit's own validation folds, "
                          "which these windows did not resemble): read them as a lower bound of the uncertainty.")
    assert held(0.75) == held(0.88) == ""
    assert "wider than it needs to be here" in held(0.95)


def test_series_where_seasonal_naive_did_better_are_named_once_in_a_hierarchy(retail: pd.DataFrame) -> None:
    """User test 56: in a hierarchy's backtest the series were named by their node and then
    their ids again ("Store=4/Dept=3/4/3"); now by their node, as the plots name them."""
    from dataclasses import replace

    from tsauto.forecasting.report import reference_wins

    fc = Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6,
                    hierarchy=["State", "Industry"], learners=["naive"]).fit(retail)
    result = fc.backtest(retail, folds=2, mode="refit")
    f = result.forecasts
    worse = replace(result, forecasts=f.assign(forecast=f["seasonal_naive"] * 1.5))
    text = reference_wins(worse)
    nodes = sorted(f.loc[f["level"] == "State/Industry", "node"].unique())
    assert len(nodes) == 5 and all(n.startswith("State=") and "/Industry=" in n for n in nodes)
    assert text.startswith("seasonal_naive was better than the model by more than 5% on 5 of 5 series: ")
    named = text.split("series: ")[1].split("; and in")[0]
    assert all(f"{n} (" in named for n in nodes) and "/Tasmania/" not in named, named
