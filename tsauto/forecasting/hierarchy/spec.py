"""The hierarchy of a long table: its levels, its nodes, the summing matrix ``S``, aggregation.

``hierarchy`` lists columns coarse to fine. A flat list is one nested chain
(``["Store", "Dept"]``: stores, then departments within stores); a list of lists is crossed
dimensions, each a nested chain (``[["State"], ["Industry"]]``: state totals, industry totals
and every state-industry pair). The levels are every combination of a prefix of each chain,
coarse to fine: the grand total (``"total"``, grouped by no column) first, the bottom level last.

Identity of a node. The bottom level is always the series, identified by the full ``ids``; it is
the finest combination when every id column appears in ``hierarchy``, else one more level below
it. Every other level is identified by the labels of its own columns: in ``["Region", "Store",
"Dept"]`` with ``ids=["Store", "Dept"]`` a store is ``Store=7`` wherever it appears, so a store
under two regions is an error, while departments (the bottom) may repeat their labels across
stores. A level is named by its columns joined with ``/`` (``"State/Industry"``) and a node by
``column=value`` pairs (``"State=Victoria/Industry=Food retailing"``, ``"total"``).

Aggregation (:meth:`HierarchySpec.aggregate`): an aggregate's target at a time is the sum over
its bottom series that have a row at that time: a series absent at a time counts as 0, an
aggregate exists at every time at least one of its series has a row, and is missing only where
every such row has a missing target. A bottom series that ends before the table's last time is
carried to it with zeros, as its sums above count it: every node then forecasts from the same
origin and the levels add up (a department no longer sold is not forecast from its last sale
at an earlier origin while its store's sum, without it, runs on). Covariates: flags (``bool``
columns, or ``True``/``False`` with gaps) by ``max`` (a flag is set when any child's is, e.g. a
holiday), other numeric columns by ``mean`` over the children present, labels (text,
categorical: ``"none"``/``"xmas"``) by ``mode``, the most frequent label (ties: the first in
sorted order); a missing value counts for none of them. (A column of numbers with a few text
cells, ``"--"``, is text here: the forecaster reads it as numbers first,
:func:`~tsauto.forecasting.hierarchy.fitting.node_table`.) ``rules=`` overrides per column
(``"sum"``, ``"mean"``, ``"max"``, ``"min"`` for numbers, ``"mode"``). By default text columns
other than ids and hierarchy are not carried.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from tsauto.core.arrays import ranges
from tsauto.core.exceptions import DataValidationError, describe_rows
from tsauto.forecasting.calendar_time import parse_time
from tsauto.forecasting.validation import check_id_types, is_flag, most_frequent, require_values

log = logging.getLogger(__name__)

TOTAL = "total"
RULES = ("sum", "mean", "max", "min")  # numbers and flags
MODE = "mode"  # labels (and anything else): the most frequent

Hierarchy = Sequence[str] | Sequence[Sequence[str]]
LevelSelector = None | str | Sequence[str] | Sequence[str | Sequence[str]]


@dataclass(frozen=True, eq=False)
class HierarchySpec:
    """Levels, nodes and summing matrix of a hierarchy; build it with :meth:`from_table`.

    ``levels``: level names coarse to fine, bottom last; ``level_columns``: the columns that
    identify each level's nodes (``()`` for the total). ``nodes``: one row per node in ``S``
    row order (aggregates first, level by level, then the bottom series sorted by ``ids``), with
    the node id, the level name and the label columns (a value where all of the node's series
    share it, missing elsewhere). ``S`` (``n_nodes x n_bottom``, sparse) sums bottom series into
    every node. ``membership[l, j]``: the node row of bottom series ``j``'s ancestor at level
    ``l``. ``nested``: one chain, so every level is a tree under the level above it.
    """

    ids: tuple[str, ...]
    time: str
    target: str
    levels: tuple[str, ...]
    level_columns: tuple[tuple[str, ...], ...]
    nodes: pd.DataFrame
    S: sparse.csr_matrix
    membership: np.ndarray
    nested: bool
    node_column: str = "node"
    level_column: str = "level"

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_table(
        cls,
        df: pd.DataFrame,
        ids: Sequence[str] | str,
        hierarchy: Hierarchy,
        time: str,
        target: str,
        node_column: str = "node",
        level_column: str = "level",
    ) -> HierarchySpec:
        """Read the hierarchy from a long table (one row per series and time); validates that
        every series lies under one node of each level and that nested levels are nested."""
        ids = (ids,) if isinstance(ids, str) else tuple(ids)
        if not ids:
            raise DataValidationError("a hierarchy needs ids=: the columns naming the series.")
        chains = _chains(hierarchy)
        columns = list(dict.fromkeys(c for chain in chains for c in chain))
        labels = list(dict.fromkeys([*columns, *ids]))
        _require(df, [*labels, time, target])
        clash = {node_column, level_column} & {*labels, time, target}
        if clash:
            raise DataValidationError(
                f"column {sorted(clash)} is also the hierarchy's node or level column: pass "
                "other node_column= / level_column= names."
            )
        bottom = _bottom_table(df, ids, labels)
        combos = _level_combos(chains, ids)
        _check_nesting(df, bottom, chains, combos)
        names, level_cols, parts, members = [], [], [], []
        offset = 0
        for name, cols in combos:
            codes = _codes(bottom, cols)
            nodes = _level_nodes(bottom, codes, cols, labels, node_column)
            parts.append(nodes.assign(**{level_column: name}))
            members.append(offset + codes)
            offset += int(codes.max()) + 1
            names.append(name)
            level_cols.append(cols)
        nodes = pd.concat(parts, ignore_index=True)
        nodes.insert(0, node_column, nodes.pop(node_column))
        nodes.insert(1, level_column, nodes.pop(level_column))
        membership = np.vstack(members)
        n_bottom = len(bottom)
        columns = np.tile(np.arange(n_bottom), len(names))
        S = sparse.csr_matrix(
            (np.ones(membership.size), (membership.ravel(), columns)), shape=(offset, n_bottom)
        )
        spec = cls(ids, time, target, tuple(names), tuple(level_cols), nodes, S, membership,
                   len(chains) == 1, node_column, level_column)
        log.info("hierarchy: %s", spec)
        return spec

    # ------------------------------------------------------------------ shape

    @property
    def n_nodes(self) -> int:
        return self.S.shape[0]

    @property
    def n_bottom(self) -> int:
        return self.S.shape[1]

    @property
    def n_aggregates(self) -> int:
        return self.n_nodes - self.n_bottom

    @property
    def level_codes(self) -> np.ndarray:
        """Level index of every node row."""
        codes = np.empty(self.n_nodes, dtype=np.int64)
        for level, rows in enumerate(self.membership):
            codes[rows] = level
        return codes

    def level_sizes(self) -> dict[str, int]:
        """Number of nodes per level, coarse to fine."""
        counts = np.bincount(self.level_codes, minlength=len(self.levels))
        return dict(zip(self.levels, counts.tolist()))

    def aggregates(self) -> str:
        """The nodes the hierarchy adds above its series: ``"4 aggregate nodes (total 1, Store 3)"``."""
        sizes = _sizes(list(self.level_sizes().items())[:-1])
        return f"{self.n_aggregates} aggregate node{'s' * (self.n_aggregates != 1)} ({sizes})"

    def __repr__(self) -> str:
        return f"HierarchySpec({self.n_nodes} nodes: {_sizes(self.level_sizes().items())})"

    # ------------------------------------------------------------------ levels

    def level_index(self, level: str | Sequence[str]) -> int:
        """Index of one level, named (``"State"``, ``"total"``) or by its columns
        (``["State"]``; ``[]`` is the total)."""
        found = self._level_indices(level)
        if len(found) != 1:
            raise DataValidationError(
                f"level={level!r} names {len(found)} levels; name exactly one of {self._level_help()}."
            )
        return found[0]

    def _level_indices(self, level: LevelSelector) -> list[int]:
        if level is None:
            return [len(self.levels) - 1]
        if not isinstance(level, str | Iterable):
            raise DataValidationError(
                f"level={level!r}: name a level ({self._level_help()}), 'all', a list of its columns "
                "([] the total) or a list of such lists."
            )
        if isinstance(level, str):
            if level == "all":
                return list(range(len(self.levels)))
            if level in self.levels:
                return [self.levels.index(level)]
            raise DataValidationError(f"no level named {level!r}; the levels are {self._level_help()}.")
        level = list(level)
        if all(isinstance(x, str) for x in level):
            for i, cols in enumerate(self.level_columns):
                if set(cols) == set(level):
                    return [i]
            raise DataValidationError(
                f"no level is grouped by exactly the columns {level}; the levels are "
                f"{self._level_help()} (a list of columns names one level, [] the total; a "
                "list of such lists, several)."
            )
        found = {i for x in level for i in self._level_indices(x)}
        return sorted(found)

    def _level_help(self) -> str:
        return ", ".join(f"{n!r} {list(c)}" for n, c in zip(self.levels, self.level_columns))

    # ------------------------------------------------------------------ tables

    def aggregate(
        self,
        df: pd.DataFrame,
        covariates: Sequence[str] | None = None,
        rules: dict[str, str] | None = None,
    ) -> pd.DataFrame:
        """The table of every node: node id, level, time, target (when ``df`` has it) and
        covariates, one row per node and time, in node order then time order.

        ``covariates``: columns to carry (default: every other numeric or flag column);
        ``rules``: per-column aggregation overriding the defaults (see the module docstring).
        Works on future tables too (no target column: covariates only).
        """
        _require(df, [*self.ids, self.time, *(covariates or ())])
        bottom = self.bottom_rows(df)
        tcode, times = pd.factorize(df[self.time], sort=True)
        n_times = len(times)
        rules = dict(rules or {})
        if covariates is None:
            skip = {*self.ids, *self.nodes.columns, self.time, self.target}
            covariates = [c for c in df.columns if c not in skip and _default_rule(df[c]) != MODE]
            dropped = [c for c in df.columns if c not in skip and c not in covariates]
            if dropped:
                log.info("hierarchy aggregate: text columns %s not carried", dropped)
        for col in covariates:
            _check_rule(df[col], col, rules.setdefault(col, _default_rule(df[col])))
        has_target = self.target in df.columns
        values = [self.target] * has_target + list(covariates)
        columns = {self.target: df[self.target].to_numpy()} if has_target else {}
        columns.update({c: _values(df[c], rules[c]) for c in covariates})
        if has_target:
            order = np.argsort(parse_time(pd.Series(times), self.time)[0].to_numpy(), kind="stable")
            bottom, tcode, columns = _zeros_after_end(bottom, tcode, order, columns, self.target)
        keys = (self.membership[:, bottom] * n_times + tcode).ravel()
        table = pd.DataFrame({c: np.tile(v, len(self.levels)) for c, v in columns.items()},
                             index=pd.RangeIndex(len(keys)))  # a future table may hold no values
        groups = table.groupby(keys, sort=True)
        index = np.unique(keys)
        out = {}
        if has_target:
            out[self.target] = groups[self.target].sum(min_count=1)
        for col in covariates:
            if rules[col] == MODE:
                out[col] = most_frequent(table.assign(_key=keys), ["_key"], col).reindex(index)
            else:
                out[col] = getattr(groups[col], rules[col])()
        node, t = np.divmod(index, n_times)
        frame = pd.DataFrame({
            self.node_column: self.nodes[self.node_column].to_numpy()[node],
            self.level_column: self.nodes[self.level_column].to_numpy()[node],
            self.time: times[t],
        })
        for col in values:
            frame[col] = out[col].to_numpy()
        return frame

    def select(
        self, frame: pd.DataFrame, level: LevelSelector = None, labels: bool = True
    ) -> pd.DataFrame:
        """The rows of ``frame`` (a node-level table) at the chosen levels.

        ``level``: ``None`` the bottom series; ``"all"`` every node; a level name
        (``"State"``, ``"total"``); a list of columns naming one level (``["State"]``,
        ``["State", "Industry"]``; ``[]`` the total); a list of those for several levels.
        ``labels``: add the level and label columns (ids and hierarchy columns) of each node.
        """
        keep = np.zeros(len(self.levels), dtype=bool)
        keep[self._level_indices(level)] = True
        rows = self._node_rows(frame)
        mask = keep[self.level_codes[rows]]
        out = frame.loc[mask]
        if not labels:
            return out.reset_index(drop=True)
        extra = [c for c in self.nodes.columns[1:] if c not in out.columns]
        info = self.nodes[extra].iloc[rows[mask]].reset_index(drop=True)
        return pd.concat([out[[self.node_column]].reset_index(drop=True), info,
                          out.drop(columns=self.node_column).reset_index(drop=True)], axis=1)

    def pivot(
        self, frame: pd.DataFrame, values: str, columns: str | Sequence[str] | None = None
    ) -> tuple[np.ndarray, pd.Index]:
        """``frame[values]`` as an ``n_nodes x k`` matrix in ``S`` row order, one column per
        distinct value of ``columns`` (default the time column; a list gives a MultiIndex,
        e.g. ``["cutoff", "step"]``), sorted; NaN where a node has no row. Returns the matrix
        and the column labels."""
        if columns is None or isinstance(columns, str):
            columns = [columns or self.time]
        columns = list(columns)
        _require(frame, [self.node_column, values, *columns])
        rows = self._node_rows(frame)
        if len(columns) == 1:
            codes, labels = pd.factorize(frame[columns[0]], sort=True)
            labels = pd.Index(labels, name=columns[0])
        else:
            codes = frame.groupby(columns, sort=True, observed=True).ngroup().to_numpy()
            labels = pd.MultiIndex.from_frame(frame[columns].drop_duplicates().sort_values(columns))
        flat = rows * len(labels) + codes
        if len(np.unique(flat)) < len(flat):
            raise DataValidationError(
                f"frame has more than one row per {self.node_column} and {columns}: one "
                f"{values!r} value per node and column is needed."
            )
        out = np.full((self.n_nodes, len(labels)), np.nan)
        out[rows, codes] = frame[values].to_numpy(float)
        return out, labels

    def unpivot(self, values: dict[str, np.ndarray], columns: pd.Index) -> pd.DataFrame:
        """Inverse of :meth:`pivot`: a long table (node, level, the ``columns`` labels, one
        column per entry of ``values``, each ``n_nodes x len(columns)``), node-major."""
        k = len(columns)
        node = np.repeat(np.arange(self.n_nodes), k)
        out = pd.DataFrame({
            self.node_column: self.nodes[self.node_column].to_numpy()[node],
            self.level_column: self.nodes[self.level_column].to_numpy()[node],
        })
        labels = columns.to_frame(index=False)
        for col in labels.columns:
            out[col] = np.tile(labels[col].to_numpy(), self.n_nodes)
        for name, matrix in values.items():
            out[name] = np.asarray(matrix, float).reshape(self.n_nodes * k)
        return out

    def _node_rows(self, frame: pd.DataFrame) -> np.ndarray:
        _require(frame, [self.node_column])
        rows = pd.Index(self.nodes[self.node_column]).get_indexer(frame[self.node_column])
        unknown = frame.index[rows < 0]
        if len(unknown):
            raise DataValidationError(
                f"{self.node_column!r} at {describe_rows(unknown)} is not a node of this hierarchy "
                f"(e.g. {frame.loc[unknown[0], self.node_column]!r}): use aggregate()'s node ids."
            )
        return rows

    def bottom_rows(self, df: pd.DataFrame) -> np.ndarray:
        ids = list(self.ids)
        known = pd.MultiIndex.from_frame(self.nodes.iloc[self.n_aggregates:][ids].astype(object))
        rows = known.get_indexer(pd.MultiIndex.from_frame(df[ids].astype(object)))
        unknown = df.index[rows < 0]
        if len(unknown):
            check_id_types(df, self.nodes[ids], "the table")  # the label "1" is not the id 1: say so
            series = df[ids].iloc[np.flatnonzero(rows < 0)[:1]].to_dict("records")[0]
            raise DataValidationError(
                f"series {series} at {describe_rows(unknown)} is not in the hierarchy, which holds "
                "the series of the training table: drop its rows, or fit on a table that holds it."
            )
        return rows


# ---------------------------------------------------------------------- helpers


def _zeros_after_end(
    bottom: np.ndarray, tcode: np.ndarray, order: np.ndarray, columns: dict[str, np.ndarray], target: str
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The rows of a table (bottom series, time code, values; ``order``: the time codes in time
    order) with one more per bottom series and time after its last row up to the table's last
    time: target 0 (the sums above it count it so), covariates missing."""
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    last = np.full(int(bottom.max()) + 1, -1)
    np.maximum.at(last, bottom, position[tcode])
    series = np.flatnonzero((last >= 0) & (last < len(order) - 1))
    if not series.size:
        return bottom, tcode, columns
    after = len(order) - 1 - last[series]
    n = int(after.sum())
    padded = {}
    for c, v in columns.items():
        fill = np.zeros(n) if c == target else np.full(n, np.nan)
        padded[c] = np.concatenate([v.astype(float) if v.dtype == bool else v, fill])
    times = np.concatenate([tcode, order[ranges(last[series] + 1, after)]])
    return np.concatenate([bottom, np.repeat(series, after)]), times, padded


def _sizes(levels: Iterable[tuple[str, int]]) -> str:
    """``"total 1, Store 3"``: nodes per level."""
    return ", ".join(f"{level} {n}" for level, n in levels)


def check_hierarchy(hierarchy: Hierarchy) -> None:
    """Refuse, before any table is read, a ``hierarchy=`` that names no level (``[]``, which
    was read as no hierarchy, ``[[]]``) or a column twice."""
    _chains(hierarchy)


def hierarchy_levels(hierarchy: Hierarchy, ids: Sequence[str]) -> list[tuple[str, tuple]]:
    """(name, identity columns) of every level of ``hierarchy`` over ``ids``, coarse to fine,
    as :meth:`HierarchySpec.from_table` makes them, before any table is read."""
    return _level_combos(_chains(hierarchy), tuple(ids))


def _chains(hierarchy: Hierarchy) -> list[tuple[str, ...]]:
    items = [hierarchy] if isinstance(hierarchy, str) else list(hierarchy)
    if items and all(isinstance(x, str) for x in items):
        chains = [tuple(items)]
    elif items and all(x is not None and not isinstance(x, str) and len(x) > 0 for x in items):
        chains = [tuple(x) for x in items]
    else:
        raise DataValidationError(
            f"hierarchy={hierarchy!r}: give a list of columns coarse to fine (nested, "
            "['Store', 'Dept']) or a list of such lists (crossed, [['State'], ['Industry']]); "
            "leave it out (None) for no hierarchy."
        )
    flat = [c for chain in chains for c in chain]
    if len(set(flat)) < len(flat) or not all(isinstance(c, str) for c in flat):
        raise DataValidationError(f"hierarchy={hierarchy!r}: name each column once.")
    return chains


def _require(df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"the table has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(map(str, df.columns))[:20]}. Check the ids=, hierarchy=, time=, target=, known_future= names."
        )


def _default_rule(col: pd.Series) -> str:
    """``max`` for flags, ``mean`` for other numbers, ``mode`` for labels."""
    if is_flag(col):
        return "max"
    return "mean" if pd.api.types.is_numeric_dtype(col) else MODE


def _check_rule(col: pd.Series, name: str, rule: str) -> None:
    """``rule`` aggregates ``col``: a numeric rule numbers and flags, ``mode`` anything."""
    if rule == MODE or (rule in RULES and _default_rule(col) != MODE):
        return
    if rule in RULES:
        raise DataValidationError(
            f"covariate {name!r} holds labels ({col.dropna().head(2).tolist()}), which {rule!r} cannot "
            f"aggregate: use {MODE!r} (the most frequent label)."
        )
    raise DataValidationError(
        f"rules={{{name!r}: {rule!r}}}: choose one of {RULES} (numbers and flags) or {MODE!r} (the most "
        "frequent value)."
    )


def _values(col: pd.Series, rule: str) -> np.ndarray:
    """The column as aggregated: flags with gaps as floats (1, 0, NaN), labels as they are."""
    if rule != MODE and col.dtype == object:
        return col.astype("float64").to_numpy()
    return col.to_numpy()


def _bottom_table(df: pd.DataFrame, ids: tuple[str, ...], labels: list[str]) -> pd.DataFrame:
    """One row per series (sorted by ids) with its label columns; each must be constant."""
    require_values(df, labels, "hierarchy column", "its node at each level")
    extra = [c for c in labels if c not in ids]
    if extra:
        counts = df.groupby(list(ids), sort=True, observed=True)[extra].nunique()
        for col in extra:
            bad = counts.index[counts[col].to_numpy() > 1]
            if len(bad):
                key = dict(zip(ids, bad[0] if len(ids) > 1 else (bad[0],)))
                rows = _rows_by_value(df, key, col)
                raise DataValidationError(
                    f"series {key} lies under more than one {col!r}: {rows}. A series must lie "
                    f"under one node of each level: correct {col!r}, or add it to ids= if "
                    f"these are different series ({len(bad)} series affected)."
                )
    bottom = df[labels].drop_duplicates(list(ids)).sort_values(list(ids)).reset_index(drop=True)
    for col in labels:
        if pd.api.types.is_integer_dtype(bottom[col]):
            bottom[col] = bottom[col].astype("Int64")
        elif pd.api.types.is_bool_dtype(bottom[col]):
            bottom[col] = bottom[col].astype("boolean")
    return bottom


def _level_combos(chains: list[tuple[str, ...]], ids: tuple[str, ...]) -> list[tuple[str, tuple]]:
    """(name, identity columns) of every level, coarse to fine, bottom (the ids) last."""
    depths = sorted(
        itertools.product(*(range(len(c) + 1) for c in chains)),
        key=lambda d: (sum(d), [-x for x in d]),
    )
    combos = [tuple(chain[d - 1] for chain, d in zip(chains, depth) if d) for depth in depths]
    covered = set(ids) <= {c for chain in chains for c in chain}
    if covered:
        combos = combos[:-1]  # the finest combination is the bottom
    combos = [cols for cols in combos if set(cols) != set(ids)]
    return [("/".join(cols) or TOTAL, cols) for cols in combos] + [("/".join(ids), ids)]


def _check_nesting(df, bottom, chains, combos) -> None:
    """Every label of a nested column that identifies nodes of some level above the bottom must
    lie under one label of its parent column."""
    used = {c for _, cols in combos[:-1] for c in cols}
    for chain in chains:
        for parent, child in itertools.pairwise(chain):
            if child not in used:
                continue
            counts = bottom.groupby(child, sort=True)[parent].nunique()
            bad = counts.index[counts.to_numpy() > 1]
            if len(bad):
                rows = _rows_by_value(df, {child: bad[0]}, parent)
                raise DataValidationError(
                    f"hierarchy declares {child!r} nested in {parent!r}, but {child}={bad[0]!r} "
                    f"lies under more than one {parent}: {rows} ({len(bad)} {child} labels "
                    f"affected). If {child} is not nested in {parent}, declare them crossed: "
                    f"hierarchy=[[{parent!r}], [{child!r}]]. If the same label names different "
                    f"nodes under different {parent}, make the labels unique, e.g. "
                    f"df[{child!r}] = df[{parent!r}].astype(str) + '/' + df[{child!r}].astype(str)."
                )


def _rows_by_value(df: pd.DataFrame, key: dict, col: str) -> str:
    mask = np.logical_and.reduce([df[k].to_numpy() == v for k, v in key.items()])
    sub = df.loc[mask, col]
    groups = sub.groupby(sub, sort=True).groups.items()
    parts = [f"{col}={v!r} at {describe_rows(idx, 3, counted=not i)}" for i, (v, idx) in enumerate(groups)]
    return "; ".join(parts[:3])


def _codes(bottom: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    if not cols:
        return np.zeros(len(bottom), dtype=np.int64)
    return bottom.groupby(list(cols), sort=True, observed=True).ngroup().to_numpy(np.int64)


def _level_nodes(
    bottom: pd.DataFrame,
    codes: np.ndarray,
    cols: tuple[str, ...],
    labels: list[str],
    node_column: str,
) -> pd.DataFrame:
    """One row per node of a level: node id and each label shared by all its series."""
    groups = bottom[labels].groupby(codes, sort=True)
    first, counts = groups.first(), groups.nunique(dropna=False)
    nodes = first.where(counts == 1).reset_index(drop=True)
    if not cols:
        ident = pd.Series(TOTAL, index=nodes.index, dtype="str")
    else:
        ident = pd.Series("", index=nodes.index, dtype="str")
        for i, col in enumerate(cols):
            ident = ident + ("/" if i else "") + f"{col}=" + nodes[col].astype(str)
    return nodes.assign(**{node_column: ident})
