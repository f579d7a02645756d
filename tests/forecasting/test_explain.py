"""Forecaster.explain: ensemble weights, LightGBM importance and SHAP contributions by raw column,
the statistical models per series; on real Australian retail and Walmart series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.explain import NO_SPLIT, describe_state, series_positions
from tsauto.forecasting.features.builder import HOLIDAYS, TARGET_LAGS
from tsauto.forecasting.forecaster import Forecaster
from tsauto.forecasting.learners.ets import fit_ets
from tsauto.forecasting.learners.lightgbm import LightGBMLearner
from tsauto.forecasting.validation import future_covariates

AUS = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "horizon": 6, "holidays": "AU"}


@pytest.fixture(scope="module")
def aus_three(aus_small: pd.DataFrame) -> pd.DataFrame:
    """Three Tasmanian series from 2008."""
    df = aus_small[(aus_small["State"] == "Tasmania") & (aus_small["Month"] >= "2008-01-01")]
    return df[df["Industry"].isin(df["Industry"].unique()[:3])].reset_index(drop=True)


@pytest.fixture(scope="module")
def ensemble(aus_three: pd.DataFrame) -> Forecaster:
    """LightGBM (first differences, scaled) and Theta, validated and ensembled."""
    return Forecaster(**AUS, learners=["lightgbm", "theta"], search={"folds": 2}).fit(aus_three)


def _member(fc: Forecaster, name: str):
    return next(m for _, m in fc.model_.members if m.learner.name == name)


def test_weights_importance_and_models_of_an_ensemble(ensemble: Forecaster, aus_three: pd.DataFrame) -> None:
    ex = ensemble.explain()
    assert ex.contributions is None
    assert ex.weights["weight"].tolist() == [w for w, _ in ensemble.model_.members]
    assert ex.weights["learner"].tolist() == [m.learner.name for _, m in ensemble.model_.members]
    share = ex.importance.groupby("member")["share"].sum()
    np.testing.assert_allclose(share, 1.0)
    assert {TARGET_LAGS, HOLIDAYS, "calendar", "series id"} <= set(ex.importance["family"])
    assert (ex.importance["learner"] == "lightgbm").all()
    theta = ex.models[ex.models["learner"] == "theta"]
    assert len(theta) == aus_three.groupby(["State", "Industry"]).ngroups
    assert theta["model"].str.match(r"Theta (STM|OTM|DSTM|DOTM) \(alpha").all()


def test_a_lightgbm_member_that_made_no_split_is_said_constant(aus_three: pd.DataFrame) -> None:
    """24 rows of one series, under the 2 x 20 a split needs: every gain 0. Its 15 zero-gain
    "top features" were listed (user test 48, vic_elec daily); now one row says it."""
    one = aus_three[aus_three["Industry"] == aus_three["Industry"].iloc[0]]
    fc = Forecaster(**AUS, learners=[LightGBMLearner(max_samples_per_series=24)]).fit(one)
    learner = _member(fc, "lightgbm").learner
    assert not learner.made_splits() and not any(learner.feature_importance().values())
    importance = fc.explain().importance
    assert importance[["learner", "family", "gain", "share"]].values.tolist() == [["lightgbm", NO_SPLIT, 0.0, 0.0]]
    full = Forecaster(**AUS, learners=["lightgbm"]).fit(one)  # every row: it splits
    assert _member(full, "lightgbm").learner.made_splits()
    assert NO_SPLIT not in set(full.explain().importance["family"])


def test_contributions_reproduce_the_raw_prediction_in_the_transformed_scale(ensemble: Forecaster) -> None:
    learner = _member(ensemble, "lightgbm").learner
    key = tuple(ensemble.history_.keys.iloc[1])
    ex = ensemble.explain(series=[key], steps=[1, 4, 6])
    c = ex.contributions
    assert len(c) == 3 and c["step"].tolist() == [1, 4, 6]
    assert (c["units"] == "transformed: " + " → ".join(learner.transform_names_)).all()
    assert learner.transform_names_ == ("diff1", "scale")  # the auto choice on these trending series
    families = [f for f in c.columns if f in set(ex.importance["family"])]
    np.testing.assert_allclose(c["base"] + c[families].sum(axis=1), c["prediction"], atol=1e-9)
    rows, raw = learner.feature_rows(ensemble.history_.take(np.array([1])))
    np.testing.assert_allclose(c["prediction"], raw[0, [0, 3, 5]], rtol=0, atol=1e-6)
    np.testing.assert_allclose(learner.boosters_[0].predict(rows[0]), raw[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_contributions_in_the_target_units_when_the_target_is_only_scaled(
    aus_three: pd.DataFrame, strategy: str
) -> None:
    learner = LightGBMLearner(target_transform=["scale"], strategy=strategy)
    fc = Forecaster(**AUS, learners=[learner]).fit(aus_three)
    c = fc.explain(steps=2).contributions
    assert (c["units"] == "target").all() and (c["step"] == 2).all()
    assert len(c) == fc.history_.n_series
    assert fc.explain(steps=[2, 2]).contributions.equals(c)  # a step asked twice, explained once
    mean = fc.model_.members[0][1].learner.predict(fc.history_).mean
    np.testing.assert_allclose(c["prediction"], mean[:, 1], rtol=0, atol=1e-6)
    assert c[HOLIDAYS].abs().sum() > 0


def test_known_future_covariate_is_a_family(walmart_small: pd.DataFrame) -> None:
    df = walmart_small[walmart_small["Dept"] <= 3]
    cut = pd.Timestamp("2012-08-31")
    train, future = df[df["Date"] <= cut], df[df["Date"] > cut]
    fc = Forecaster(
        target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4, holidays="US",
        known_future=["IsHoliday"], learners=[LightGBMLearner(target_transform=["scale"])],
    ).fit(train)
    ex = fc.explain(series=[(1, 2), (1, 3)], future=future)
    assert {"IsHoliday", HOLIDAYS} <= set(ex.importance["family"])
    c = ex.contributions
    assert c[["Store", "Dept"]].drop_duplicates().values.tolist() == [[1, 2], [1, 3]]
    assert len(c) == 2 * 4 and "IsHoliday" in c.columns
    learner = fc.model_.members[0][1].learner
    fut = {k: v[1:] for k, v in future_covariates(future, fc.history_, 4).items()}
    mean = learner.predict(fc.history_.take(np.array([1, 2])), fut).mean
    np.testing.assert_allclose(c["prediction"], mean.ravel(), rtol=0, atol=1e-6)
    with pytest.raises(DataValidationError, match="future="):
        fc.explain(steps=1)


def test_unknown_series_and_steps_are_refused(ensemble: Forecaster) -> None:
    with pytest.raises(DataValidationError, match="not in the data"):
        ensemble.explain(series=("Tasmania", "No such industry"))
    with pytest.raises(DataValidationError, match="horizon steps from 1 to 6"):
        ensemble.explain(steps=7)


def test_ets_state_is_named_by_its_form(aus_three: pd.DataFrame) -> None:
    one = aus_three[aus_three["Industry"] == aus_three["Industry"].iloc[0]]
    state = fit_ets(one["Turnover"].to_numpy(), one["Month"].to_numpy(), 12)
    assert describe_state(state).startswith(f"ETS({state.spec.short_name})")
    assert describe_state(None) == "failed (seasonal naive)"


def test_models_name_the_first_time_a_member_fitted_on() -> None:
    """ETS reads the last 1,000 hours of ETTh1's oil temperature, Theta all 1,500."""
    from conftest import shared_file

    from tsauto.forecasting.learners.ets import MAX_LENGTH

    ett = pd.read_csv(shared_file("forecasting/other/ETTh1.csv.gz"), parse_dates=["date"])[["date", "OT"]].tail(1500)
    ets, theta = (Forecaster(target="OT", time="date", horizon=24, learners=[name]).fit(ett).explain().models
                  for name in ("ets", "theta"))
    assert ets["fitted_from"].tolist() == [ett["date"].iloc[-MAX_LENGTH]]
    assert ett["date"].iloc[-MAX_LENGTH] > ett["date"].iloc[0]
    assert "fitted_from" not in theta and len(theta) == 1


def test_series_given_as_text_of_integer_ids_are_found(walmart_small: pd.DataFrame) -> None:
    """("1", "2") of integer Store and Dept ids (as read from a command line or a text box):
    found as (1, 2), not a pandas merge error."""
    keys = walmart_small[["Store", "Dept"]].drop_duplicates().reset_index(drop=True)
    at = int(np.flatnonzero((keys["Store"] == 1) & (keys["Dept"] == 2))[0])
    assert series_positions(keys, ("1", "2")).tolist() == series_positions(keys, (1, 2)).tolist() == [at]
    with pytest.raises(DataValidationError, match=r"series \[\('1', '99'\)\] are not in the data"):
        series_positions(keys, [("1", "2"), ("1", "99")])


def test_series_of_a_forecaster_without_ids_is_refused_as_such(walmart_small: pd.DataFrame) -> None:
    """explain(series=...) of one series fitted without ids=: it has one series and no key (the
    message asked for "keys of the id columns []"), said before the future table it lacks."""
    one = walmart_small[walmart_small["Dept"] == 1].drop(columns=["Store", "Dept"])
    fc = Forecaster(target="Weekly_Sales", time="Date", horizon=4, known_future=["IsHoliday"],
                    learners=["lightgbm"]).fit(one)
    with pytest.raises(DataValidationError, match=r"series='foo': this forecaster was fitted without ids=, on "
                       r"one series, which has no key to name: call explain\(\) without series="):
        fc.explain(series="foo")
    future = fc.make_future_frame().assign(IsHoliday=False)
    assert fc.explain(steps=1, future=future).contributions["step"].tolist() == [1]


def test_docs_of_fitted_from_and_of_the_blends_by_length_say_what_they_are(aus_three: pd.DataFrame) -> None:
    """User test 46 T10: ``fitted_from`` was documented as empty where a member read a series
    whole, but holds its first time (ETS on 45..520-day pages); the README's blends for short
    and long series left out that each half needs ``MIN_GROUP`` series (10 pages got one blend)."""
    from pathlib import Path

    import tsauto.forecasting.explain as module
    from tsauto.forecasting.routing import MIN_GROUP

    models = Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6,
                        learners=["ets"]).fit(aus_three).explain().models
    firsts = aus_three.groupby("Industry")["Month"].min()
    assert (models["fitted_from"].to_numpy() == firsts.loc[models["Industry"]].to_numpy()).all()  # read whole
    doc = " ".join(module.__doc__.split())
    assert "the series' own first time where it read the series whole" in doc and "empty or absent" not in doc
    assert f"at least ``routing.MIN_GROUP``, {MIN_GROUP}, series" in doc
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
    blends = f"the short and the long half of them get their own blend when each half holds at least {MIN_GROUP} series"
    assert blends in readme
