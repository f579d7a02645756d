"""Other libraries' argument names are refused with tsauto's name for them."""

import inspect

import pytest
from sklearn.base import clone

from tsauto import Classifier, Forecaster, Regressor
from tsauto.core.arguments import known_arguments


def test_an_alias_names_the_parameter_to_use():
    with pytest.raises(TypeError, match=r"Forecaster\(\) got .*'h': use horizon="):
        Forecaster(target="y", time="ds", h=12)
    with pytest.raises(TypeError, match=r"'freq': use data=\{\"freq\".*'n_jobs': use compute="):
        Forecaster(target="y", time="ds", horizon=2, freq="D", n_jobs=2)


def test_a_misspelt_name_gets_the_closest_parameter():
    with pytest.raises(TypeError, match=r"'quantile': not a parameter \(did you mean 'quantiles'\?\)"):
        Forecaster(target="y", time="ds", horizon=2, quantile=[0.1, 0.9])


def test_methods_and_subclasses_are_named_as_called():
    with pytest.raises(TypeError, match=r"Forecaster\.predict\(\) got .*'h': the horizon is set at construction"):
        Forecaster("y", "ds", 2).predict(h=3)
    with pytest.raises(TypeError, match=r"Forecaster\.backtest\(\) got .*'n_windows': use folds="):
        Forecaster("y", "ds", 2).backtest(None, n_windows=3)
    with pytest.raises(TypeError, match=r"Classifier\(\) got .*'label': use target="):
        Classifier(label="income")
    with pytest.raises(TypeError, match=r"Regressor\(\) got .*'time_limit': use time_budget="):
        Regressor(target="cnt", time_limit=30)
    with pytest.raises(TypeError, match=r"Forecaster\.predict\(\) got .*'horizon': the horizon is set"):
        Forecaster("y", "ds", 2).predict(horizon=3)  # user test 50: "not a parameter" alone
    with pytest.raises(TypeError, match=r"Regressor\(\) got .*'y': use target="):
        Regressor(y="cnt")


def test_a_subclass_with_its_own_init_is_not_named_with_the_base_parameters():
    class Mine(Forecaster):
        def __init__(self, target, time, horizon, extra=1, **kw):
            super().__init__(target, time, horizon, **kw)
            self.extra = extra

    with pytest.raises(TypeError, match=r"^Forecaster\(\) got .*'h': use horizon="):
        Mine("y", "ds", 2, h=3)


def test_signatures_and_parameters_are_kept():
    assert "horizon" in inspect.signature(Forecaster).parameters
    assert Forecaster("y", "ds", 3, quantiles=[0.1]).get_params()["quantiles"] == [0.1]
    assert clone(Regressor("cnt", time_budget=5, non_negative=False)).get_params()["non_negative"] is False
    assert Regressor("cnt", time_budget=5).time_budget == 5


def test_a_function_taking_any_keyword_is_refused():
    with pytest.raises(TypeError, match="takes \\*\\*kwargs"):
        known_arguments({})(lambda **kw: kw)
