"""Turn a panel into a regression table: target lags and windows plus exogenous features.

The exogenous block (calendar, holidays, known-future covariates and, where the target is
differenced, their differences, lags of past covariates, static covariates, series id) is
computed for all rows of the history at once, and for all (series, step) cells of the horizon
at once, so that a recursive prediction step only adds the target lags of that step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsauto.forecasting.calendar_time import wall_clock
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.features.calendar import calendar_features
from tsauto.forecasting.features.holiday import holiday_features, holiday_features_by_series
from tsauto.forecasting.features.lags import LagSpec, lag_matrix, tail_buffer


@dataclass(frozen=True)
class FeatureSpec:
    """Everything that decides the feature columns."""

    lags: LagSpec
    calendar: tuple[str, ...] = ()
    holiday_countries: tuple[str, ...] = ()
    holiday_column: str | None = None  # static column naming each series' country
    known_future: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    past_lags: tuple[int, ...] = ()  # all >= horizon, so known at every forecast step
    static: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()  # covariate columns holding category codes
    use_id: bool = True
    # Orders of the target's differences: each numeric known-future covariate enters differenced
    # by them too. A tree cannot subtract two features: on a differenced target the level of a
    # covariate says little (vic_elec demand, a known-future copy of the target within 0.2 %:
    # 0.6 % of LightGBM's gain and MASE 0.316 on 48 steps; with its difference beside it, 85 %
    # and MASE 0.064; benchmarks/README.md).
    covariate_diffs: tuple[int, ...] = ()

    @property
    def differenced(self) -> list[str]:
        """The known-future covariates that also enter differenced (the numeric ones)."""
        if not self.covariate_diffs:
            return []
        return [c for c in self.known_future if c not in self.categorical]

    @property
    def exog_names(self) -> list[str]:
        names = list(self.calendar)
        for c in self.holiday_countries or ((self.holiday_column,) if self.holiday_column else ()):
            names += [f"holiday_{c}", f"days_to_holiday_{c}", f"days_from_holiday_{c}"]
        names += list(self.known_future)
        names += [f"{c}_diff{d}" for c in self.differenced for d in self.covariate_diffs]
        names += [f"{c}_lag{k}" for c in self.past for k in self.past_lags]
        names += list(self.static)
        if self.use_id:
            names.append("series_id")
        return names

    @property
    def names(self) -> list[str]:
        return self.lags.names + self.exog_names

    @property
    def categorical_names(self) -> list[str]:
        cats = [c for c in self.categorical if c in self.known_future or c in self.static]
        return cats + (["series_id"] if self.use_id else [])


@dataclass
class FeatureBuilder:
    """Builds the training matrix and the per-step prediction matrices of a :class:`FeatureSpec`."""

    spec: FeatureSpec
    freq: str | None
    id_keys: pd.DataFrame = field(repr=False)  # training series keys: row position = id code

    def series_id(self, panel: Panel) -> np.ndarray:
        """Training id code of every series of ``panel`` (NaN for series unseen at fit)."""
        if not len(panel.keys.columns):
            return np.zeros(panel.n_series)
        cols = list(panel.keys.columns)
        ref = self.id_keys.assign(__code=np.arange(len(self.id_keys), dtype=np.float64))
        merged = panel.keys.merge(ref, on=cols, how="left")
        return merged["__code"].to_numpy(np.float64)

    def train_matrix(
        self, panel: Panel, y: np.ndarray, dtype: type = np.float64, label: bool = False
    ) -> np.ndarray:
        """Features of every row of the panel, column-major, stored as ``dtype`` (computed in
        double precision); ``y`` is the transformed target, also the last column with ``label``
        (one array for a table of features and label)."""
        codes = panel.series_codes()
        exog = self._exog(panel, panel.times, codes, panel.covariates, self._past_lags(panel),
                          self._covariate_diffs(panel))
        n_lag, n_exog = len(self.spec.lags.names), exog.shape[1]
        block = np.empty((n_lag + n_exog + label, len(y)), dtype)  # one feature per row: see lag_matrix
        lag_matrix(y, panel.indptr, self.spec.lags, out=block[:n_lag])
        block[n_lag : n_lag + n_exog] = exog.T
        if label:
            block[-1] = y
        return block.T

    def future_exog(
        self, panel: Panel, horizon: int, future: dict[str, np.ndarray]
    ) -> np.ndarray:
        """Exogenous features of the next ``horizon`` steps; shape (n_series, horizon, F)."""
        n = panel.n_series
        times = panel.future_times(horizon).ravel()
        codes = np.repeat(np.arange(n), horizon)
        cov = pd.DataFrame({c: future[c].ravel() for c in self.spec.known_future})
        past = self._future_past_lags(panel, horizon)
        exog = self._exog(panel, times, codes, cov, past, self._future_covariate_diffs(panel, horizon, future))
        return exog.reshape(n, horizon, -1)

    def _exog(
        self,
        panel: Panel,
        times: np.ndarray,
        codes: np.ndarray,
        cov: pd.DataFrame,
        past: np.ndarray,
        diffs: np.ndarray,
    ) -> np.ndarray:
        spec = self.spec
        local = wall_clock(times, panel.schema.tz)
        blocks = [calendar_features(local, spec.calendar)] if spec.calendar else []
        for country in spec.holiday_countries:
            blocks.append(holiday_features(local, country, self.freq))
        if spec.holiday_column:
            names = panel.schema.categories.get(spec.holiday_column)
            raw = panel.static[spec.holiday_column].to_numpy()
            if names is not None:
                lookup = np.array([*names, None], dtype=object)
                raw = lookup[np.where(np.isnan(raw), len(names), raw).astype(int)]
            blocks.append(holiday_features_by_series(local, raw[codes], self.freq))
        if spec.known_future:
            blocks.append(cov[list(spec.known_future)].to_numpy(np.float64))
        if spec.differenced:
            blocks.append(diffs)
        if spec.past and spec.past_lags:
            blocks.append(past)
        if spec.static:
            blocks.append(panel.static[list(spec.static)].to_numpy(np.float64)[codes])
        if spec.use_id:
            blocks.append(self.series_id(panel)[codes][:, None])
        if not blocks:
            return np.zeros((len(times), 0))
        return np.hstack(blocks)

    def _covariate_diffs(self, panel: Panel) -> np.ndarray:
        """``x_t - x_{t-d}`` of every differenced covariate and order, within each series
        (NaN for its first ``d`` rows); (rows, features)."""
        spec = self.spec
        if not spec.differenced:
            return np.zeros((len(panel.y), 0))
        only_lags = LagSpec(lags=spec.covariate_diffs, windows=())
        cols = []
        for c in spec.differenced:
            x = panel.covariates[c].to_numpy(np.float64)
            cols.append(x[:, None] - lag_matrix(x, panel.indptr, only_lags))
        return np.hstack(cols)

    def _future_covariate_diffs(self, panel: Panel, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        """The same over the horizon, from the history's last values and ``future``'s
        (n_series, horizon) values; (n_series * horizon, features)."""
        spec = self.spec
        if not spec.differenced:
            return np.zeros((panel.n_series * horizon, 0))
        depth = max(spec.covariate_diffs)
        cols = []
        for c in spec.differenced:
            ahead = np.asarray(future[c], dtype=np.float64)
            z = np.hstack([tail_buffer(panel.covariates[c].to_numpy(np.float64), panel.indptr, depth), ahead])
            cols += [(z[:, depth:] - z[:, depth - d : z.shape[1] - d]).ravel() for d in spec.covariate_diffs]
        return np.column_stack(cols)

    def _past_lags(self, panel: Panel) -> np.ndarray:
        spec = self.spec
        if not (spec.past and spec.past_lags):
            return np.zeros((len(panel.y), 0))
        only_lags = LagSpec(lags=spec.past_lags, windows=())
        return np.hstack(
            [
                lag_matrix(panel.covariates[c].to_numpy(np.float64), panel.indptr, only_lags)
                for c in spec.past
            ]
        )

    def _future_past_lags(self, panel: Panel, horizon: int) -> np.ndarray:
        spec = self.spec
        n = panel.n_series
        if not (spec.past and spec.past_lags):
            return np.zeros((n * horizon, 0))
        depth = max(spec.past_lags)
        steps = np.arange(1, horizon + 1)
        cols = []
        for c in spec.past:
            buf = tail_buffer(panel.covariates[c].to_numpy(np.float64), panel.indptr, depth)
            for k in spec.past_lags:
                cols.append(buf[:, depth - 1 - k + steps].ravel())
        return np.column_stack(cols)
