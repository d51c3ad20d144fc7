"""The ServiceNow log file reader the commands share: a CSV or a zip holding one, read strictly."""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import pytest

from escalate.adapters.servicenow import UCI_LOG_MAPPING
from escalate.cli._servicenow_log import add_mapping_options, log_rows, mapping_of, read_log_file
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


def test_a_zip_made_on_macos_reads_as_its_one_csv(tmp_path: Path) -> None:
    zipped = tmp_path / "log.zip"
    with zipfile.ZipFile(zipped, "w") as archive:  # as Finder's "Compress" writes it
        archive.writestr("x.csv", CSV)
        archive.writestr("__MACOSX/._x.csv", b"\x00\x05\x16\x07 resource fork")
        archive.writestr("logs/._y.csv", b"\x00\x05\x16\x07")
    assert list(log_rows(str(zipped))) == [
        {"number": "INC1", "incident_state": "New"},
        {"number": "INC1", "incident_state": "Closed"},
    ]


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


# -- the mapping options and the reading, as every command taking a log shares them ---------------

LOG = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "opened_at,sys_updated_by,sys_updated_at,priority,assignment_group\n"
    "INC1,New,true,0,0,0,true,27/3/2016 00:30,Updated by 1,27/3/2016 00:30,3 - Moderate,A\n"
    "INC1,Active,true,0,0,1,true,27/3/2016 00:30,Updated by 1,{updated},3 - Moderate,A\n"
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_mapping_options(parser)
    return parser.parse_args(list(argv))


def test_the_options_default_to_the_uci_mapping_but_the_zone() -> None:
    assert UCI_LOG_MAPPING == mapping_of(parse("--time-zone", "UTC"))


def test_every_option_reaches_the_mapping() -> None:
    mapping = mapping_of(
        parse(
            *("--time-zone", "Europe/Lisbon", "--date-format", "yyyy-MM-dd HH:mm:ss"),
            *("--empty", "", "--empty", "NULL", "--before-opened", "error"),
            *("--backwards", "error", "--duplicate-mod-count", "error"),
            *("--invalid-state", "error", "--counters", "derived"),
        )
    )
    assert (
        "Europe/Lisbon",
        "yyyy-MM-dd HH:mm:ss",
        ("", "NULL"),
        ("error", "error", "error", "error", "derived"),
    ) == (
        mapping.time_zone,
        mapping.date_format,
        mapping.empty,
        (
            mapping.before_opened,
            mapping.backwards,
            mapping.duplicate_mod_count,
            mapping.invalid_state,
            mapping.counters,
        ),
    )


def test_the_time_zone_is_required() -> None:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_mapping_options(parser)
    with pytest.raises(SystemExit):
        parser.parse_args([])


@pytest.mark.parametrize(
    ("zone", "hint"),
    [("utc", "UTC"), ("europe/lisbon", "Europe/Lisbon"), ("Europe/Lisbn", "Europe/Lisbon")],
)
def test_a_misspelt_zone_names_the_option_and_the_zone_it_means(zone: str, hint: str) -> None:
    with pytest.raises(EscalateError) as caught:
        mapping_of(parse("--time-zone", zone))
    assert f"--time-zone: unknown time zone {zone!r} (did you mean {hint!r}?)" == str(caught.value)


def test_a_zone_like_nothing_has_no_suggestion() -> None:
    with pytest.raises(EscalateError) as caught:
        mapping_of(parse("--time-zone", "Mars/Olympus"))
    assert "--time-zone: unknown time zone 'Mars/Olympus'" == str(caught.value)


def test_a_pattern_escalate_cannot_read_names_the_option() -> None:
    with pytest.raises(EscalateError, match=r"^--date-format: date_format"):
        mapping_of(parse("--time-zone", "UTC", "--date-format", "d/M/yyyy"))


def test_the_log_reads_under_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG.format(updated="27/3/2016 01:30"), encoding="utf-8")
    reading = read_log_file(str(path), mapping_of(parse("--time-zone", "UTC")))
    assert (2, ["INC1"]) == (reading.rows, [i.number for i in reading.incidents])


def test_a_row_that_does_not_read_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG.format(updated="2016-03-27 01:30"), encoding="utf-8")
    with pytest.raises(EscalateError) as caught:
        read_log_file(str(path), mapping_of(parse("--time-zone", "UTC")), "--log")
    assert (
        f"--log: {path}:3: sys_updated_at: expected a date-time like d/M/yyyy H:mm "
        "(got '2016-03-27 01:30')" == str(caught.value)
    )


def test_a_time_a_clock_change_skips_asks_whether_the_zone_is_right(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"  # Lisbon's clocks went from 01:00 to 02:00 on 27 March 2016
    path.write_text(LOG.format(updated="27/3/2016 01:30"), encoding="utf-8")
    with pytest.raises(EscalateError) as caught:
        read_log_file(str(path), mapping_of(parse("--time-zone", "Europe/Lisbon")))
    assert (
        f"--servicenow: {path}:3: sys_updated_at: local time skipped or repeated by a clock "
        "change in Europe/Lisbon (got '27/3/2016 01:30') (is the log really in Europe/Lisbon? "
        "a zone without DST, such as UTC, reads it)" == str(caught.value)
    )
