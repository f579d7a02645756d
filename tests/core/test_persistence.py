"""Model files: a header readable without unpickling, checked before anything is unpickled."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from engine_doubles import ToyEvaluator

from tsauto.core import persistence
from tsauto.core.exceptions import IncompatibleModelError
from tsauto.core.search import Trial


@pytest.fixture
def saved(tmp_path) -> Path:
    obj = ToyEvaluator(sleep=0.25, marker_dir="somewhere")
    obj.weights = np.arange(1000.0)
    return persistence.save(obj, tmp_path / "model.tsauto")


def _rewrite(path: Path, **changes) -> None:
    """Change header fields, with a matching header checksum (a file of another writer)."""
    magic, line, payload = path.read_bytes().split(b"\n", 2)
    header = {**json.loads(line), **changes}
    header["header_sha256"] = persistence.header_digest(header)
    path.write_bytes(magic + b"\n" + json.dumps(header).encode() + b"\n" + payload)


def test_round_trip_and_header(saved) -> None:
    back = persistence.load(saved, ToyEvaluator)
    assert (back.sleep, back.marker_dir) == (0.25, "somewhere")
    np.testing.assert_array_equal(back.weights, np.arange(1000.0))
    header = persistence.read_header(saved)
    assert header["format_version"] == persistence.FORMAT_VERSION
    assert header["class"] == "ToyEvaluator" and header["module"] == "engine_doubles"
    assert {"numpy", "pandas"} <= set(header["libraries"])
    assert header["python"].count(".") == 2 and header["created"].endswith("+00:00")
    assert header["payload_bytes"] == saved.stat().st_size - len(persistence.MAGIC) - len(
        saved.read_bytes().split(b"\n", 2)[1]
    ) - 1
    assert len(header["payload_sha256"]) == 64


def test_header_is_plain_text_before_the_payload(saved) -> None:
    first, second = saved.read_bytes().split(b"\n")[:2]
    assert first == b"TSAUTO-MODEL" and json.loads(second)["format"] == "tsauto-model"


def test_a_changed_payload_byte_is_refused(saved) -> None:
    data = bytearray(saved.read_bytes())
    data[-40] ^= 0x01
    saved.write_bytes(bytes(data))
    with pytest.raises(IncompatibleModelError, match="damaged or was altered: its payload's SHA-256"):
        persistence.load(saved, ToyEvaluator)


def test_a_changed_header_byte_is_refused(saved) -> None:
    saved.write_bytes(saved.read_bytes().replace(b'"python": "3.', b'"python": "2.', 1))
    with pytest.raises(IncompatibleModelError, match="header's checksum does not match"):
        persistence.load(saved, ToyEvaluator)


def test_a_truncated_file_is_refused(saved) -> None:
    saved.write_bytes(saved.read_bytes()[:-100])
    with pytest.raises(IncompatibleModelError, match=r"truncated: \d+ of its \d+ payload bytes"):
        persistence.load(saved, ToyEvaluator)
    saved.write_bytes(saved.read_bytes()[:30])  # cut inside the header
    with pytest.raises(IncompatibleModelError, match="damaged or truncated tsauto header"):
        persistence.load(saved, ToyEvaluator)


def test_appended_bytes_are_refused_as_extra_not_truncated(saved) -> None:
    size = persistence.read_header(saved)["payload_bytes"]
    saved.write_bytes(saved.read_bytes() + b"\0\0\0\0")
    with pytest.raises(IncompatibleModelError, match=rf"is damaged: it has 4 extra bytes after its {size} payload bytes"):
        persistence.load(saved, ToyEvaluator)


def test_another_format_version_is_refused(saved) -> None:
    _rewrite(saved, format_version=persistence.FORMAT_VERSION + 1, tsauto_version="9.0")
    newer, this = persistence.FORMAT_VERSION + 1, persistence.FORMAT_VERSION
    with pytest.raises(IncompatibleModelError, match=rf"by tsauto 9\.0 in model format {newer}; .* reads format {this}"):
        persistence.load(saved, ToyEvaluator)
    assert persistence.read_header(saved)["format_version"] == newer  # still readable for the CLI


@pytest.mark.parametrize("written", [persistence.__version__, "0.1.0"])
def test_another_format_of_a_version_of_several_formats_says_to_refit(saved, written: str) -> None:
    """Formats 2 to 4 were all written by tsauto 0.1.0: "load it with tsauto 0.1.0" told a
    user of 0.1.0 to do what failed."""
    other = persistence.FORMAT_VERSION - 1
    _rewrite(saved, format_version=other, tsauto_version=written)
    with pytest.raises(IncompatibleModelError) as err:
        persistence.load(saved, ToyEvaluator)
    message = str(err.value)
    assert f"by tsauto {written} in model format {other}; this tsauto ({persistence.__version__}) reads" in message
    advice = (f"Builds of tsauto {written} wrote more than one model format, so that version may not read "
              f"format {other}: refit the model with this tsauto and save it again.")
    assert advice in message and "load it with" not in message


def test_the_version_in_headers_is_the_package_version() -> None:
    """A new model format comes with a new version: both places that hold it agree."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert tomllib.loads(pyproject.read_text())["project"]["version"] == persistence.__version__


def test_another_class_is_refused(saved) -> None:
    """Only a class that has a load is named as the one to load the file with."""
    with pytest.raises(IncompatibleModelError) as err:
        persistence.load(saved, Trial)
    assert "holds a ToyEvaluator, not a Trial: give the file a Trial was saved to" in str(err.value)
    assert "ToyEvaluator.load" not in str(err.value)
    _rewrite(saved, **{"class": "Forecaster"})
    with pytest.raises(IncompatibleModelError, match="holds a Forecaster, not a ToyEvaluator: load it with Forecaster.load"):
        persistence.load(saved, ToyEvaluator)


def test_a_trial_record_given_to_a_model_loader_is_named_a_trial_record(saved) -> None:
    """A run_dir's trials/0.tsauto given to Forecaster.load was told "load it with Trial.load",
    which does not exist (review 56 S2)."""
    _rewrite(saved, **{"class": "Trial"})
    with pytest.raises(IncompatibleModelError) as err:
        persistence.load(saved, ToyEvaluator)
    message = str(err.value)
    assert "holds a trial record of a search's run_dir (read when the search resumes), not a model" in message
    assert "give the file a ToyEvaluator was saved to" in message and "Trial.load" not in message


def test_an_empty_or_foreign_file_is_named_so_not_an_older_format(tmp_path) -> None:
    """A 0-byte file (a failed copy) or random bytes were "not a tsauto model file of format 4 or
    later ... files of the older format 1 are not read" (review 56 S1): that advice is for
    pickles only. A header of deeply nested JSON raised a raw RecursionError (S3)."""
    empty, foreign, nested = (tmp_path / name for name in ("empty.tsauto", "foreign.tsauto", "nested.tsauto"))
    empty.touch()
    foreign.write_bytes(bytes(range(7, 200)) * 3)
    nested.write_bytes(persistence.MAGIC + b"[" * 100_000 + b"\n")
    with pytest.raises(IncompatibleModelError) as err:
        persistence.load(empty, ToyEvaluator)
    assert f"{str(empty)!r} is empty (0 bytes), not a saved model" in str(err.value)
    with pytest.raises(IncompatibleModelError) as err:
        persistence.load(foreign, ToyEvaluator)
    assert "is not a tsauto model file (it has no tsauto header)" in str(err.value)
    assert "format 1" not in str(err.value)
    with pytest.raises(IncompatibleModelError, match="has a damaged or truncated tsauto header"):
        persistence.read_header(nested)


def test_other_library_versions_are_refused_naming_them(saved) -> None:
    _rewrite(saved, libraries={"numpy": "1.26.4", "sklearn": "0.24.2", "notalib": "1.0"})
    with pytest.raises(IncompatibleModelError) as info:
        persistence.load(saved, ToyEvaluator)
    message = str(info.value)
    assert f"saved with numpy 1.26.4, this environment has numpy {np.__version__}" in message
    assert "sklearn 0.24.2" in message and "notalib 1.0, which is not installed" in message


def test_a_file_without_header_is_not_unpickled(tmp_path) -> None:
    old = tmp_path / "old.tsauto"
    joblib.dump({"format": "tsauto-model", "format_version": 1, "object": 1}, old, compress=3)
    with pytest.raises(IncompatibleModelError, match=f"not a tsauto model file of format {persistence.FORMAT_VERSION}"):
        persistence.load(old, ToyEvaluator)
    with pytest.raises(FileNotFoundError, match="no saved model"):
        persistence.load(tmp_path / "missing.tsauto", ToyEvaluator)


def test_a_table_given_as_the_model_is_named_a_table(tmp_path, aus_small) -> None:
    """A forecasts CSV given to `tsauto predict` in place of the model was refused as a file of
    the older format 1, to be refitted (user test); format 1 files keep that advice (above)."""
    table = aus_small.head(50)
    table.to_csv(tmp_path / "fc.csv", index=False)
    table.to_parquet(tmp_path / "fc.parquet")
    (tmp_path / "fc.tsauto").write_bytes((tmp_path / "fc.csv").read_bytes())  # known by its first bytes
    (tmp_path / "fc.bin").write_bytes((tmp_path / "fc.parquet").read_bytes())
    for name, kind in (("fc.csv", "CSV"), ("fc.tsauto", "CSV"), ("fc.parquet", "Parquet"), ("fc.bin", "Parquet")):
        with pytest.raises(IncompatibleModelError) as err:
            persistence.load(tmp_path / name, ToyEvaluator)
        assert f"is not a tsauto model file: it looks like a table ({kind}); give the file that " in str(err.value)
        assert "format 1" not in str(err.value) and "Refit" not in str(err.value)


def test_a_failed_save_leaves_the_old_file_and_no_temporary(saved) -> None:
    before = saved.read_bytes()
    with pytest.raises(Exception):
        persistence.save(lambda x: x, saved)  # cannot be pickled
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model.tsauto"]


def test_a_path_in_the_home_folder_is_expanded(tmp_path, monkeypatch) -> None:
    """save("~/m.tsauto") wrote a folder named "~" in the working folder."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    assert persistence.save(ToyEvaluator(sleep=0.5), "~/m.tsauto") == home / "m.tsauto"
    assert (home / "m.tsauto").is_file() and list(work.iterdir()) == []
    assert persistence.read_header("~/m.tsauto")["class"] == "ToyEvaluator"
    assert persistence.load(Path("~/m.tsauto"), ToyEvaluator).sleep == 0.5


def test_a_folder_is_refused_as_not_a_model_file(tmp_path) -> None:
    with pytest.raises(persistence.ModelFileNotFoundError, match="is a folder, not a saved model file"):
        persistence.load(tmp_path, ToyEvaluator)


def test_a_payload_of_another_type_with_recomputed_checksums_is_refused(saved) -> None:
    """A file whose payload was replaced and its SHA-256 sums recomputed passed every check and
    load returned what it unpickled, an int (user test 54)."""
    magic, line, _ = saved.read_bytes().split(b"\n", 2)
    forged = saved.with_name("forged.tsauto")
    joblib.dump(7, forged)
    payload = forged.read_bytes()
    header = {**json.loads(line), "payload_bytes": len(payload),
              "payload_sha256": persistence.hashlib.sha256(payload).hexdigest()}
    header["header_sha256"] = persistence.header_digest(header)
    forged.write_bytes(magic + b"\n" + json.dumps(header).encode() + b"\n" + payload)
    with pytest.raises(IncompatibleModelError, match="says it holds a ToyEvaluator, but its payload is a int"):
        persistence.load(forged, ToyEvaluator)


def test_saving_over_a_data_table_is_refused_and_the_table_kept(tmp_path, saved) -> None:
    """``model.save("train.csv")`` replaced the training table with a model (user test 54); a
    model file (or an empty file) is still replaced."""
    table = tmp_path / "train.csv"
    table.write_text("Store,Date,Sales\n1,2012-01-06,24924.5\n")
    with pytest.raises(persistence.ModelPathTakenError, match="'.*train.csv' holds a table \\(CSV\\), not a model: "
                       "saving the model would replace it"):
        persistence.save(ToyEvaluator(sleep=0.5), table)
    assert table.read_text().startswith("Store,Date,Sales")
    old = tmp_path / "old.tsauto"  # a model of the old format 1 (a plain pickle): load says to save it again
    joblib.dump(ToyEvaluator(sleep=0.25), old)
    persistence.save(ToyEvaluator(sleep=0.75), old)
    assert persistence.load(old, ToyEvaluator).sleep == 0.75
    persistence.save(ToyEvaluator(sleep=0.75), saved)
    empty = tmp_path / "empty.tsauto"
    empty.touch()
    persistence.save(ToyEvaluator(sleep=0.75), empty)
    assert persistence.load(saved, ToyEvaluator).sleep == persistence.load(empty, ToyEvaluator).sleep == 0.75
