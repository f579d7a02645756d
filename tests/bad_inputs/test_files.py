"""Bad files: tables read and written by :mod:`tsauto.core.table_io` and model files of
:mod:`tsauto.core.persistence`. Each gets a tsauto error naming the file and the fix; a failed
write leaves what was there before and no temporary file."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from bad_inputs.helpers import RETAIL, classifier, forecaster

from tsauto import Classifier, Forecaster
from tsauto.core import persistence
from tsauto.core.exceptions import (
    DataValidationError,
    IncompatibleModelError,
    TsautoError,
)
from tsauto.core.table_io import read_table, write_table


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# id, file name, its bytes, pieces the message must hold
BAD_TABLE_FILES = [
    ("empty 0-byte CSV", "sales.csv", b"", ["sales.csv", "empty (0 bytes)", "header row"]),
    ("blank CSV", "sales.csv", b"\n\n", ["sales.csv", "no table", "header row"]),
    (
        "binary bytes in a CSV",
        "sales.csv",
        b"\x00\xff\xfe\x00\x81garbage",
        ["sales.csv", "could not be read as CSV", "UTF-8"],
    ),
    (
        "a text file named .parquet",
        "sales.parquet",
        b"Month,Turnover\n2020-01-01,3\n",
        ["sales.parquet", "could not be read as Parquet", "Parquet file"],
    ),
    ("an Excel file", "sales.xlsx", b"PK\x03\x04", ["sales.xlsx", "unknown format", ".parquet"]),
    (
        "a damaged gzip",
        "sales.csv.gz",
        b"\x1f\x8b\x08\x00garbage",
        ["sales.csv.gz", "could not be read as CSV", "complete"],
    ),
    ("an empty Parquet file", "sales.parquet", b"", ["sales.parquet", "empty (0 bytes)"]),
]


@pytest.mark.parametrize(
    ("name", "content", "pieces"), [pytest.param(n, c, p, id=i) for i, n, c, p in BAD_TABLE_FILES]
)
def test_unreadable_table_file(tmp_path, name, content, pieces) -> None:
    path = _write(tmp_path / name, content)
    with pytest.raises(DataValidationError) as err:
        forecaster().fit(path)
    for piece in pieces:
        assert piece in str(err.value), (piece, str(err.value))


@pytest.mark.parametrize(("sep", "name"), [(";", "sales.csv.gz"), ("\t", "sales.csv.gz"), ("\t", "sales.tsv"),
                                         ("|", "sales.csv.gz")], ids=["semicolon", "tab", "tsv", "bar"])
def test_csv_with_another_separator_is_read(tmp_path, retail, sep, name) -> None:
    path = tmp_path / name
    retail.to_csv(path, sep=sep, index=False)
    pd.testing.assert_frame_equal(forecaster().fit(path).predict(), forecaster().fit(retail).predict())


def test_decimal_commas_of_a_semicolon_file_are_read(tmp_path, retail) -> None:
    """A semicolon file from a comma-decimal locale ('20,2'): its numbers are read as such, and
    it forecasts as the table does. In a comma-separated file the same text stays an error that
    says how to read it."""
    path = tmp_path / "sales.csv"
    retail.to_csv(path, sep=";", decimal=",", index=False)
    pd.testing.assert_frame_equal(forecaster().fit(path).predict(), forecaster().fit(retail).predict())
    quoted = tmp_path / "quoted.csv"
    retail.assign(Turnover=retail["Turnover"].map(lambda v: f"{v:.1f}".replace(".", ","))).to_csv(quoted, index=False)
    with pytest.raises(DataValidationError, match="'Turnover' is not numeric at rows 0, 1, .*'20,2'.*decimal=','"):
        forecaster().fit(quoted)


def test_missing_file_and_folder(tmp_path) -> None:
    with pytest.raises(DataValidationError, match="does not exist: check the path"):
        read_table(tmp_path / "nowhere.csv")
    with pytest.raises(DataValidationError, match="unknown format"):
        read_table(tmp_path)


def test_header_only_csv_is_an_empty_table(tmp_path) -> None:
    path = _write(tmp_path / "sales.csv", b"State,Industry,Month,Turnover\n")
    with pytest.raises(DataValidationError, match="no rows"):
        forecaster().fit(path)


# ---------------------------------------------------------------- writing tables


@pytest.mark.parametrize("name", ["forecast.xlsx", "forecast.json.gz", "forecast"])
def test_unwritable_extension_is_refused_and_nothing_written(tmp_path, name) -> None:
    with pytest.raises(DataValidationError, match="writes .csv, .csv.gz or .parquet.*change the extension"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["f.csv", "f.csv.gz", "f.parquet", "f.v2.CSV"])
def test_written_tables_read_back(tmp_path, retail, name) -> None:
    back = read_table(write_table(retail, tmp_path / name))
    assert back.shape == retail.shape
    assert back["Turnover"].tolist() == retail["Turnover"].tolist()


def test_output_folder_is_a_file(tmp_path, retail) -> None:
    blocker = _write(tmp_path / "out", b"a file, not a folder")
    with pytest.raises(TsautoError, match="cannot write .*out/forecast.csv.*another folder"):
        write_table(retail, blocker / "forecast.csv")


def test_a_folder_that_does_not_exist_is_refused_by_the_python_api_as_by_the_command_line(tmp_path, retail) -> None:
    """save() and report() made a missing folder, even /nonexistent/dir, while the command line
    refused it (user test): a mistyped folder took the file where nobody looks for it. Every
    writer refuses it now, naming the folder, and makes nothing."""
    fitted = forecaster().fit(retail)
    typo = tmp_path / "typo_dir"
    writes = [
        lambda: fitted.save(typo / "model.tsauto"),
        lambda: fitted.report(typo / "report.html"),
        lambda: write_table(retail, typo / "forecast.csv"),
        lambda: classifier("Industry").fit(retail[["Industry", "Turnover"]]).save(typo / "c.tsauto"),
    ]
    for write in writes:
        with pytest.raises(TsautoError) as err:
            write()
        assert str(err.value).endswith(f"the folder '{typo}' does not exist; create it first or fix the path.")
    assert list(tmp_path.iterdir()) == []


def test_output_path_is_a_folder(tmp_path, retail) -> None:
    (tmp_path / "forecast.csv").mkdir()
    with pytest.raises(TsautoError, match="cannot write .*forecast.csv.*nothing was changed"):
        write_table(retail, tmp_path / "forecast.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["forecast.csv"]


def test_read_only_output_folder(tmp_path, retail, monkeypatch) -> None:
    """A folder without write permission (simulated: the tests may run as root)."""
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(TsautoError, match="cannot write .*Permission denied.*choose another folder"):
        write_table(retail, tmp_path / "forecast.csv")
    with pytest.raises(TsautoError, match="cannot write .*Permission denied"):
        forecaster().fit(retail).save(tmp_path / "model.tsauto")


def test_full_disk_keeps_the_old_file(tmp_path, retail, monkeypatch) -> None:
    target = write_table(retail.head(3), tmp_path / "forecast.csv")
    before = target.read_bytes()

    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half a tab")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(TsautoError, match="No space left on device.*nothing was changed.*free some space"):
        write_table(retail, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["forecast.csv"]


# ---------------------------------------------------------------- model files


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, retail) -> Path:
    path = tmp_path_factory.mktemp("models") / "retail.tsauto"
    return forecaster().fit(retail).save(path)


def _copy(src: Path, dst: Path, change=lambda b: b) -> Path:
    dst.write_bytes(change(src.read_bytes()))
    return dst


def _header_edit(**fields):
    """Change header fields and re-sign the header: a file written by another tsauto."""
    def change(content: bytes) -> bytes:
        magic, line, payload = content.split(b"\n", 2)
        header = {**json.loads(line), **fields}
        header["header_sha256"] = persistence.header_digest(header)
        return magic + b"\n" + json.dumps(header).encode() + b"\n" + payload

    return change


def _flip_last_byte(content: bytes) -> bytes:
    return content[:-1] + bytes([content[-1] ^ 0xFF])


# id, change to the file's bytes, pieces the message must hold
BAD_MODEL_FILES = [
    ("truncated", lambda b: b[: len(b) - 100], ["truncated", "payload bytes", "save the model again"]),
    ("payload edited", _flip_last_byte, ["damaged or was altered", "SHA-256", "save the model again"]),
    (
        "header edited",
        lambda b: b.replace(b'"class": "Forecaster"', b'"class": "Forecastor"'),
        ["damaged or was altered", "header's checksum"],
    ),
    (
        "another model format",
        _header_edit(format_version=1, tsauto_version="0.0.1"),
        ["tsauto 0.0.1", "model format 1", "Refit the model", "load it with tsauto 0.0.1"],
    ),
    (
        "another numpy major version",
        _header_edit(libraries={"numpy": "1.0.0"}),
        ["numpy 1.0.0", "this environment has numpy", "refit the model"],
    ),
    (
        "a library not installed",
        _header_edit(libraries={"tensorflow_nowhere": "2.0"}),
        ["tensorflow_nowhere 2.0", "not installed"],
    ),
    ("a CSV named .tsauto", lambda b: b"Month,Turnover\n2020-01-01,3\n", ["not a tsauto model file", "looks like a table (CSV)"]),
    ("an empty file", lambda b: b"", ["is empty (0 bytes), not a saved model"]),
    ("random bytes", lambda b: bytes(range(1, 256)), ["not a tsauto model file (it has no tsauto header)"]),
    ("only the first line", lambda b: b.split(b"\n", 1)[0] + b"\n", ["damaged or truncated tsauto header"]),
]


@pytest.mark.parametrize(
    ("change", "pieces"), [pytest.param(c, p, id=i) for i, c, p in BAD_MODEL_FILES]
)
def test_bad_model_file_is_refused_before_unpickling(model_file, tmp_path, change, pieces) -> None:
    path = _copy(model_file, tmp_path / "model.tsauto", change)
    with pytest.raises(IncompatibleModelError) as err:
        Forecaster.load(path)
    assert str(path) in str(err.value)
    for piece in pieces:
        assert piece in str(err.value), (piece, str(err.value))


def test_model_of_another_class(model_file) -> None:
    with pytest.raises(IncompatibleModelError, match="holds a Forecaster, not a Classifier.*Forecaster.load"):
        Classifier.load(model_file)


def test_missing_model_file(tmp_path) -> None:
    with pytest.raises(TsautoError, match="no saved model at .*gone.tsauto.*check the path") as err:
        Forecaster.load(tmp_path / "gone.tsauto")
    assert isinstance(err.value, FileNotFoundError)


def test_a_good_model_file_loads_and_forecasts_the_same(model_file, retail) -> None:
    model = Forecaster.load(model_file)
    pd.testing.assert_frame_equal(model.predict(), forecaster().fit(retail).predict())
    assert set(RETAIL["ids"]) <= set(model.predict().columns)
