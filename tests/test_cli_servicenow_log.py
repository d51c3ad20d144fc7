"""The ServiceNow log file reader the commands share: a CSV or a zip holding one, read strictly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from escalate.cli._servicenow_log import log_rows
from escalate.errors import EscalateError

CSV = "number,incident_state\nINC1,New\nINC1,Closed\n"


def test_a_csv_reads_as_rows_of_column_texts(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(CSV, encoding="utf-8")
    assert [
        {"number": "INC1", "incident_state": "New"},
        {"number": "INC1", "incident_state": "Closed"},
    ] == list(log_rows(str(path)))


def test_a_zip_holding_one_csv_reads_as_the_csv_does(tmp_path: Path) -> None:
    plain = tmp_path / "log.csv"
    plain.write_text(CSV, encoding="utf-8")
    zipped = tmp_path / "log.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("incident_event_log.csv", CSV)
    assert list(log_rows(str(plain))) == list(log_rows(str(zipped)))


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    assert "number" in next(log_rows(str(path)))


def test_a_missing_file_names_the_option_and_the_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(EscalateError) as caught:
        log_rows(missing)
    assert f"--servicenow: cannot read log {missing!r}: No such file or directory" == str(
        caught.value
    )


def test_a_zip_with_two_csv_files_is_refused_naming_them(tmp_path: Path) -> None:
    zipped = tmp_path / "log.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.csv", CSV)
        archive.writestr("b.csv", CSV)
    with pytest.raises(EscalateError) as caught:
        log_rows(str(zipped), "--log")
    assert (
        f"--log: {zipped}: a zip log must hold exactly one .csv file, it holds 2 (a.csv, b.csv)"
        == str(caught.value)
    )


def test_a_row_with_a_cell_too_many_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(CSV + "INC2,New,extra\n", encoding="utf-8")
    rows = log_rows(str(path))
    with pytest.raises(EscalateError) as caught:
        list(rows)
    assert f"--servicenow: {path}:4: 3 cells where the header has 2" == str(caught.value)


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("number,number\nINC1,INC1\n", encoding="utf-8")
    with pytest.raises(EscalateError, match="the header names 'number' twice"):
        log_rows(str(path))


def test_text_that_is_not_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(CSV.encode() + b"INC2,Caf\xe9\n")
    with pytest.raises(EscalateError, match=r"log.csv:4: not UTF-8 text"):
        log_rows(str(path))


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(EscalateError, match="the log is empty"):
        log_rows(str(path))
