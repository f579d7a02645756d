"""Training rows handed to LightGBM part by part: each part built when read, one at a time,
and the model that of the whole table, the same rows sampled for the bins under the same seed."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from tsauto.forecasting.features import sequence_rows as sr

PARAMS = {"objective": "l2", "verbosity": -1, "deterministic": True, "num_leaves": 7, "num_threads": 1}
ROUNDS = 20


def rows(n: int, seed: int) -> np.ndarray:
    """``n`` training rows: three skewed features and a label, one column-major array."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(size=(n, 3))
    y = x[:, 0] + 2 * x[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    return np.asfortranarray(np.column_stack([x, y]), dtype=np.float32)


@pytest.mark.parametrize("seed", [0, 7])
def test_parts_are_binned_as_one_table_holding_one_at_a_time(seed) -> None:
    """LightGBM reads the sequences in order, twice (its sample of rows, then all rows): each
    part is built twice, never two at once, and the model is the whole table's under the same
    ``seed`` (a sample of 2,000 of the 9,000 rows for the bins: the same one)."""
    tables = [rows(3_000, i) for i in range(3)]
    built: list[int] = []

    def build(i: int) -> np.ndarray:
        built.append(i)
        return tables[i]

    parts, labels = sr.counted([0, 1, 2], build)
    assert built == [0, 1, 2]
    del built[:]
    params = {**PARAMS, "seed": seed, "bin_construct_sample_cnt": 2_000}
    data = sr.rebuilt_dataset(parts, build, labels, ["a", "b", "c"], [])
    model = lgb.train(sr.sequence_params(params), data, ROUNDS)
    assert built == [0, 1, 2, 0, 1, 2] and data.data is None  # the sequences dropped once binned
    whole = np.vstack(tables)
    alone = lgb.train(params, lgb.Dataset(whole[:, :-1], label=whole[:, -1]), ROUNDS)
    x = rows(500, 9)[:, :3]
    np.testing.assert_array_equal(model.predict(x), alone.predict(x))
    other = lgb.train(params, sr.rebuilt_dataset(parts, build, labels, ["a", "b", "c"], []), ROUNDS)
    assert not np.array_equal(other.predict(x), alone.predict(x))  # LightGBM's own seed for sequences


def test_parts_without_rows_are_left_out() -> None:
    tables = {"a": rows(10, 0), "b": None, "c": rows(0, 1), "d": rows(5, 2)}
    parts, labels = sr.counted(list(tables), tables.get)
    assert parts == ["a", "d"] and [len(y) for y in labels] == [10, 5]
    np.testing.assert_array_equal(labels[1], tables["d"][:, -1])


def test_an_explicit_data_seed_is_kept() -> None:
    assert sr.sequence_params({"seed": 3, "data_random_seed": 5})["data_random_seed"] == 5
    assert sr.sequence_params({"verbosity": -1}) == {"verbosity": -1}
