"""Turn a panel into a regression table: target lags and windows plus exogenous features.

The exogenous block (calendar, holidays, known-future covariates and, where the target is
differenced, their differences, lags of past covariates, static covariates, series id) is
computed for all rows of the history at once, and for all (series, step) cells of the horizon
at once, so that a recursive prediction step only adds the target lags of that step.

Features are shown by the user's column names (``FeatureSpec.names``), whatever they are; LightGBM
is given names it accepts (``FeatureSpec.model_names``), worked out from them, so none is stored.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsauto.forecasting.calendar_time import wall_clock
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.features.calendar import calendar_features
from tsauto.forecasting.features.holiday import holiday_features, holiday_features_by_series
from tsauto.forecasting.features.lags import LagSpec, lag_matrix, tail_buffer

# Feature families (FeatureSpec.families): the raw column each feature comes from.
TARGET_LAGS = "target lags"
TARGET_WINDOWS = "target windows"
CALENDAR = "calendar"
HOLIDAYS = "holidays"
SERIES_ID = "series id"

# Characters LightGBM refuses in a feature name (JSON's), and whitespace (it writes a space "_").
_FORBIDDEN = re.compile(r'[",:\[\]{}\s]')


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
    def names(self) -> list[str]:
        """Feature names as shown to the user: a user's column keeps its name; a feature made
        by tsauto named like another is suffixed with its family (a known-future ``month`` and
        the calendar's ``month (calendar)``); unique."""
        features = self._features
        counts = Counter(name for name, _, _ in features)
        shown = [n if own or counts[n] == 1 else f"{n} ({family})" for n, family, own in features]
        return numbered(shown, " ")

    @property
    def model_names(self) -> list[str]:
        """The names LightGBM is given (it refuses ``"``, ``,``, ``:``, brackets and braces in
        a feature name, and a name twice): :attr:`names`, those characters and whitespace
        written ``_`` (a column named by a number, ``7``, as text), made unique."""
        return numbered([_FORBIDDEN.sub("_", str(n)) for n in self.names], "_")

    @property
    def families(self) -> list[str]:
        """The family of every feature, the raw column it comes from (``target lags``,
        ``calendar``, ``holidays``, a covariate's name, ``series id``), in :attr:`names` order."""
        return [family for _, family, _ in self._features]

    @property
    def categorical_index(self) -> list[int]:
        """Positions of the categorical features: the category-coded known-future and static
        columns, and the series id."""
        return [
            i for i, (name, family, own) in enumerate(self._features)
            if (name in self.categorical if own else family == SERIES_ID)
        ]

    @property
    def _features(self) -> list[tuple[str, str, bool]]:
        """(name, family, whether it is a user's column as given) of every feature, in the
        matrix's order."""
        lags = self.lags
        out = [(n, TARGET_LAGS, False) for n in lags.names[: len(lags.lags)]]
        out += [(n, TARGET_WINDOWS, False) for n in lags.names[len(lags.lags) :]]
        out += [(c, CALENDAR, False) for c in self.calendar]
        for c in self.holiday_countries or ((self.holiday_column,) if self.holiday_column else ()):
            out += [(f"{k}_{c}", HOLIDAYS, False) for k in ("holiday", "days_to_holiday", "days_from_holiday")]
        out += [(c, c, True) for c in self.known_future]
        out += [(f"{c}_diff{d}", c, False) for c in self.differenced for d in self.covariate_diffs]
        out += [(f"{c}_lag{k}", c, False) for c in self.past for k in self.past_lags]
        out += [(c, c, True) for c in self.static]
        return out + [("series_id", SERIES_ID, False)] * self.use_id


def numbered(names: list[str], sep: str) -> list[str]:
    """``names`` with each repeat numbered (``a``, ``a{sep}2``), unique."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        new, k = name, 1
        while new in seen:
            k += 1
            new = f"{name}{sep}{k}"
        seen.add(new)
        out.append(new)
    return out


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
