"""benchmarks/results_file.py: rerunning replaces a section in place; a new one joins its family."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "results_file.py"


@pytest.fixture(scope="module")
def results_file():
    spec = importlib.util.spec_from_file_location("results_file_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def order(path: Path) -> list[str]:
    return re.findall(r"^<!-- (\S+):start -->$", path.read_text(), re.MULTILINE)


@pytest.fixture
def results(results_file, tmp_path):
    path = tmp_path / "RESULTS.md"
    for name in ["bench_suite_validation", "bench_suite_validation_m1_yearly", "bench_learners",
                 "bench_learners_weekly", "hierarchy", "scale-theta", "bench_intervals"]:
        results_file.write_section(name, f"## {name}\n\nfigures of {name}", path)
    return path


def test_new_file_starts_with_the_header_and_keeps_arrival_order(results_file, results):
    text = results.read_text()
    assert text.startswith(results_file.HEADER)
    assert order(results) == ["bench_suite_validation", "bench_suite_validation_m1_yearly",
                              "bench_learners", "bench_learners_weekly", "hierarchy",
                              "scale-theta", "bench_intervals"]
    assert "\n\n\n" not in text


def test_rerun_replaces_only_its_section_in_place(results_file, results):
    before = results.read_text()
    results_file.write_section("hierarchy", "## hierarchy\n\nnew figures", results)
    after = results.read_text()
    assert order(results) == re.findall(r"^<!-- (\S+):start -->$", before, re.MULTILINE)
    assert "new figures" in after and "figures of hierarchy" not in after
    assert after.replace("new figures", "figures of hierarchy") == before


@pytest.mark.parametrize(("new", "after"), [
    ("bench_suite_validation_m1_quarterly", "bench_suite_validation_m1_yearly"),  # extends a section
    ("bench_suite_test", "bench_suite_validation_m1_yearly"),  # known family root bench_suite
    ("bench_learners_holdout_m1_quarterly", "bench_learners_weekly"),
    ("scale-naive-drift", "scale-theta"),  # known family root scale, "-" separator
])
def test_new_section_goes_right_after_the_last_of_its_family(results_file, results, new, after):
    results_file.write_section(new, f"### {new}", results)
    names = order(results)
    assert names[names.index(after) + 1] == new
    text = results.read_text()
    assert f"<!-- {after}:end -->\n\n<!-- {new}:start -->\n### {new}\n<!-- {new}:end -->\n\n" in text
    assert "\n\n\n" not in text


def test_closest_family_wins_and_the_family_grows(results_file, results):
    results_file.write_section("bench_suite_test", "## test", results)
    results_file.write_section("bench_suite_test_m1_yearly", "### yearly", results)
    results_file.write_section("bench_suite_validation_m1_monthly", "### monthly", results)
    assert order(results)[:5] == ["bench_suite_validation", "bench_suite_validation_m1_yearly",
                                  "bench_suite_validation_m1_monthly", "bench_suite_test",
                                  "bench_suite_test_m1_yearly"]


def test_new_parent_goes_before_its_first_child_and_strangers_at_the_end(results_file, tmp_path):
    path = tmp_path / "RESULTS.md"
    for name in ["bench_global", "bench_search_hourly", "bench_search_weekly", "bench_tabular"]:
        results_file.write_section(name, name, path)
    results_file.write_section("bench_search", "## search", path)
    results_file.write_section("bench_learnersx", "not a child of anything", path)
    assert order(path) == ["bench_global", "bench_search", "bench_search_hourly",
                           "bench_search_weekly", "bench_tabular", "bench_learnersx"]


def test_a_parent_precedes_its_children_even_inside_a_known_family(results_file, tmp_path):
    path = tmp_path / "RESULTS.md"
    for name in ["bench_suite_validation", "bench_suite_test_m1_yearly",
                 "bench_suite_test_m1_monthly", "hierarchy"]:
        results_file.write_section(name, name, path)
    results_file.write_section("bench_suite_test", "## test", path)
    assert order(path) == ["bench_suite_validation", "bench_suite_test",
                           "bench_suite_test_m1_yearly", "bench_suite_test_m1_monthly", "hierarchy"]


def test_markdown_table_rounds_floats_and_keeps_the_rest(results_file):
    import pandas as pd

    table = pd.DataFrame({"data": ["Walmart"], "mase": [0.86389], "series": [133], "note": ["133/145"]})
    assert results_file.markdown(table) == (
        "| data | mase | series | note |\n| --- | --- | --- | --- |\n| Walmart | 0.864 | 133 | 133/145 |\n"
    )
