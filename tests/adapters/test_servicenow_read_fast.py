"""read_log's fast ways agree with the general ones: the date-time reader compiled once per
read, and the cells checked once per distinct text.

Each property draws hostile and edge inputs (out-of-range fields, 12-hour clocks, spaces,
non-ASCII digits, control characters, empty markers, texts that are fine in one column and
not in another) and compares the fast way with the general one: the same value, or the same
error (message, path and value).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Mapping
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate._models import label_problem
from escalate.adapters.servicenow import (
    UCI_LOG_MAPPING,
    LogError,
    ServiceNowMapping,
    parse_time,
    read_log,
)
from escalate.adapters.servicenow._log import _Cells
from escalate.adapters.servicenow._mapping import TimeReader
from escalate.errors import EscalateError, TicketError

FORMATS = (
    "d/M/yyyy H:mm",
    "yyyy-MM-dd HH:mm:ss",
    "M/d/yyyy h:mm:ss a",
    "dd.MM.yyyy HH:mm",
    "yyyy/M/d h:mm a",
    "HH:mm dd-MM-yyyy",
    "yyyyMMddHHmmss",
)
ZONES = ("UTC", "Europe/Lisbon", "America/New_York", "Australia/Lord_Howe")


def outcome(read: object) -> object:
    """What a reader gives: the instant, or the error's type, message, path and value."""
    try:
        return read()  # type: ignore[operator]
    except EscalateError as exc:
        return (type(exc).__name__, str(exc), getattr(exc, "path", None), exc.value)


def number(width: int) -> st.SearchStrategy[str]:
    """Digits for a field ``width`` wide (edge values included), sometimes not quite digits."""
    return st.one_of(
        st.integers(0, 10 ** max(width, 2) - 1).map(lambda n: str(n).zfill(width)),
        st.integers(0, 99).map(str),
        st.sampled_from(["0", "00", "12", "13", "24", "29", "30", "31", "59", "60", "99"]),
        st.sampled_from(["\u0663", "\uff11", "1\u0663", "", "-1", "+1", " 1", "1 ", "x"]),
    )


FIELD_WIDTHS = ("yyyy", "MM", "M", "dd", "d", "HH", "H", "hh", "h", "mm", "ss")


def field(token: str, moment: datetime) -> str:
    """``moment``'s field ``token`` as ServiceNow writes it."""
    value = {
        "yyyy": moment.year,
        "M": moment.month,
        "d": moment.day,
        "H": moment.hour,
        "h": moment.hour % 12 or 12,
        "m": moment.minute,
        "s": moment.second,
    }[token[0] if token != "yyyy" else token]
    return str(value).zfill(len(token))


@st.composite
def written(draw: st.DrawFn, date_format: str) -> str:
    """A text shaped like ``date_format``: a real date-time written in it, half the time with
    one field or separator replaced by an edge value, and sometimes padded."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    tokens = re.findall(r"yyyy|MM?|dd?|HH?|hh?|mm|ss|a|[^A-Za-z]+", date_format)
    wrong = draw(st.integers(-len(tokens), len(tokens) - 1))  # < 0: none
    out = []
    for i, token in enumerate(tokens):
        if token == "a":
            right = "PM" if moment.hour >= 12 else "AM"
            edges = st.sampled_from(["AM", "PM", "am", "pm", "Am", "XM", ""])
            out.append(draw(edges) if i == wrong else draw(st.sampled_from([right, right.lower()])))
        elif token in FIELD_WIDTHS:
            out.append(draw(number(len(token))) if i == wrong else field(token, moment))
        else:
            edges = st.sampled_from(["", token + token, "\t", "-", ":"])
            out.append(draw(edges) if i == wrong else token)
    text = "".join(out)
    pad = draw(st.sampled_from(["", "", "", " ", "\t", "\u00a0", "\n", "\u2003"]))
    return pad + text + draw(st.sampled_from(["", "", "", " ", "\u3000"]))


@st.composite
def format_and_text(draw: st.DrawFn) -> tuple[str, str, object]:
    date_format = draw(st.sampled_from(FORMATS))
    zone = draw(st.sampled_from(ZONES))
    text: object = draw(
        st.one_of(
            written(date_format),
            st.text(max_size=24),
            st.sampled_from([None, 20160301, b"1/3/2016 09:00", ["1/3/2016 09:00"]]),
        )
    )
    return date_format, zone, text


@settings(max_examples=600)
@given(format_and_text(), st.sampled_from([(), ("opened_at",), ("rows", 3, "at")]))
def test_the_time_reader_gives_what_parse_time_gives(
    case: tuple[str, str, object], path: tuple[str | int, ...]
) -> None:
    date_format, zone, text = case
    reader = TimeReader(date_format, zone)
    expected = outcome(lambda: parse_time(text, date_format, zone, path))
    assert expected == outcome(lambda: reader(text, path))


@pytest.mark.parametrize(
    ("date_format", "zone", "text"),
    [
        ("d/M/yyyy H:mm", "UTC", "29/2/2016 01:16"),
        ("d/M/yyyy H:mm", "UTC", "29/2/2015 01:16"),  # no such day
        ("d/M/yyyy H:mm", "UTC", "31/12/9999 23:59"),  # past the last instant
        ("d/M/yyyy H:mm", "UTC", "1/1/0001 00:00"),  # before the first
        ("d/M/yyyy H:mm", "Europe/Lisbon", "27/3/2016 01:30"),  # skipped by DST
        ("d/M/yyyy H:mm", "Europe/Lisbon", "30/10/2016 01:30"),  # repeated
        ("M/d/yyyy h:mm:ss a", "UTC", "3/1/2016 12:05:00 AM"),
        ("M/d/yyyy h:mm:ss a", "UTC", "3/1/2016 0:05:00 PM"),  # no hour 0 on a 12-hour clock
        ("M/d/yyyy h:mm:ss a", "UTC", "3/1/2016 13:05:00 PM"),
        ("yyyy-MM-dd HH:mm:ss", "UTC", " 2016-07-01 09:30:00 "),
        ("yyyy-MM-dd HH:mm:ss", "UTC", "2016-07-01 24:00:00"),
        ("yyyy-MM-dd HH:mm:ss", "UTC", "2016-07-01 09:30:60"),
        ("yyyy-MM-dd HH:mm:ss", "UTC", "\u0662016-07-01 09:30:00"),  # an Arabic-Indic digit
    ],
)
def test_the_time_reader_agrees_on_the_edges(date_format: str, zone: str, text: str) -> None:
    expected = outcome(lambda: parse_time(text, date_format, zone, ("at",)))
    assert expected == outcome(lambda: TimeReader(date_format, zone)(text, ("at",)))


def test_a_time_reader_refuses_a_format_as_the_mapping_does() -> None:
    with pytest.raises(EscalateError, match="'Q' is not a letter escalate reads"):
        TimeReader("d/M/yyyy Q", "UTC")


# -- cells --------------------------------------------------------------------------------------


def reference_text(
    row: Mapping[str, object], column: str, mapping: ServiceNowMapping, line: int, custom: bool
) -> str | None:
    """How read_log read a cell before it remembered texts (issue 11's code, unchanged)."""
    if column not in row:
        return None
    value = row[column]
    if value is None:
        raise LogError(
            "a row with fewer cells than the header", line=line, column=column, value=value
        )
    if not isinstance(value, str):
        raise LogError("expected text", line=line, column=column, value=value)
    if mapping.is_empty(value):
        return None
    if custom:
        return value
    problem = label_problem(value)
    if problem is not None:
        raise LogError(problem, line=line, column=column, value=value)
    return value


CELLS = st.one_of(
    st.sampled_from(
        ["?", "", " ", "\t", "Group 1", "a\tb", "x\u200b", "\u00a0", "line\nbreak", "?", "NULL"]
    ),
    st.text(max_size=6),
    st.sampled_from([None, 3, ["x"]]),
)
COLUMNS = ("category", "u_symptom", "assignment_group", "priority", "notify", "absent")


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.sampled_from(COLUMNS), CELLS, st.booleans()), min_size=1, max_size=30),
    st.sampled_from([("?",), ("", "NULL"), ("?", " ")]),
)
def test_cells_read_once_per_text_read_as_every_cell_read_alone(
    calls: list[tuple[str, object, bool]], empty: tuple[str, ...]
) -> None:
    # One reader for the whole sequence (what it remembers carries over from cell to cell),
    # against the general way for each cell: the same text, or the same error.
    mapping = ServiceNowMapping(time_zone="UTC", empty=empty, custom_columns=("u_symptom",))
    cells = _Cells(mapping)
    for line, (column, value, custom) in enumerate(calls, start=2):
        row = {} if column == "absent" else {column: value}
        expected = outcome(lambda: reference_text(row, column, mapping, line, custom))  # noqa: B023
        assert expected == outcome(lambda: cells.text(row, column, line, custom=custom))  # noqa: B023


def reference_fields(
    row: Mapping[str, object], mapping: ServiceNowMapping, line: int
) -> dict[str, str | None]:
    """How read_log read a row's fields before (issue 11's code, unchanged)."""
    out: dict[str, str | None] = {}
    for column, name in mapping.columns.items():
        if column not in row or name in ("assignment_group", "assignee"):
            continue
        text = reference_text(row, column, mapping, line, False)
        if text is not None and name == "impact":
            text = mapping.impacts.get(text, text)
        elif text is not None and name == "urgency":
            text = mapping.urgencies.get(text, text)
        out[name] = text
    for column in mapping.custom_columns:
        if column in row:
            out[f"fields.{column}"] = reference_text(row, column, mapping, line, True)
    return out


ROW_COLUMNS = ("category", "impact", "urgency", "caller_id", "u_symptom", "notify", "cmdb_ci")


@settings(max_examples=300)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(ROW_COLUMNS),
            st.one_of(CELLS, st.sampled_from(["1", "2", "3", "1 - High", "x"])),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_a_rows_fields_read_as_the_general_way_reads_them(
    rows: list[dict[str, object]],
) -> None:
    mapping = UCI_LOG_MAPPING
    cells = _Cells(mapping)
    for line, row in enumerate(rows, start=2):
        expected = outcome(lambda: reference_fields(row, mapping, line))  # noqa: B023
        actual = outcome(lambda: cells.fields(row, line))  # type: ignore[arg-type]  # noqa: B023
        assert expected == actual
        if isinstance(expected, dict):  # the order of the fields makes the order of events
            assert list(expected) == list(actual)  # type: ignore[call-overload]


HEADER = "number,incident_state,sys_mod_count,opened_at,sys_updated_at,category,u_symptom"


def read(*rows: str) -> object:
    text = "\n".join((HEADER, *rows)) + "\n"
    mapping = dataclasses.replace(UCI_LOG_MAPPING, custom_columns=("u_symptom",))
    return outcome(lambda: read_log(csv.DictReader(io.StringIO(text)), mapping))


def test_a_text_kept_in_a_custom_column_is_still_refused_in_a_named_one() -> None:
    # "a<TAB>b" is fine as a custom field's value, not as a category: seen first in the custom
    # column, it must not pass later in the other.
    outcome = read(
        'INC1,New,0,1/3/2016 09:00,1/3/2016 09:05,Cat 1,"a\tb"',
        'INC1,Active,1,1/3/2016 09:00,1/3/2016 09:06,"a\tb",x',
    )
    assert isinstance(outcome, tuple)
    assert ("LogError", ("category",), "a\tb") == (outcome[0], outcome[2], outcome[3])
    assert "line 3: " in str(outcome[1])


def test_a_date_time_read_once_is_the_same_instant_in_every_column_and_row() -> None:
    reading = read(
        "INC1,New,0,1/3/2016 09:00,1/3/2016 09:00,Cat 1,x",
        "INC2,New,0,1/3/2016 09:00,1/3/2016 09:00,Cat 1,x",
    )
    instant = datetime.fromisoformat("2016-03-01T09:00:00+00:00")
    assert [(instant, instant)] * 2 == [
        (i.opened.opened_at, i.updates[0].at)
        for i in reading.incidents  # type: ignore[attr-defined]
    ]


def test_a_bad_date_time_on_a_later_row_names_that_row_though_others_read() -> None:
    outcome = read(
        "INC1,New,0,1/3/2016 09:00,1/3/2016 09:05,Cat 1,x",
        "INC1,Active,1,1/3/2016 09:00,30/2/2016 09:06,Cat 1,x",
    )
    assert isinstance(outcome, tuple)
    expected = "sys_updated_at: line 3: not a date and time: day is out of range for month"
    assert ("LogError", expected, "30/2/2016 09:06") == (
        outcome[0],
        str(outcome[1]).split(" (got")[0],
        outcome[3],
    )


def test_a_ticket_error_is_what_both_readers_raise() -> None:
    with pytest.raises(TicketError):
        TimeReader("d/M/yyyy H:mm", "UTC")("not a date")


def reference_values(
    row: Mapping[str, object], mapping: ServiceNowMapping, line: int
) -> tuple[object, ...]:
    """How read_log read a row's group, assignee, priority and fields before (issue 11)."""
    priority = reference_text(row, "priority", mapping, line, False)
    return (
        reference_text(row, "assignment_group", mapping, line, False),
        reference_text(row, "assigned_to", mapping, line, False),
        None if priority is None else mapping.priorities.get(priority, priority),
        reference_fields(row, mapping, line),
    )


VALUE_COLUMNS = ("priority", "assignment_group", "assigned_to", "category", "notify")


SMALL = st.sampled_from(["1", "3 - Moderate", "?", "x"])  # few texts: rows repeat, or nearly


@settings(max_examples=400)
@given(
    st.lists(
        st.fixed_dictionaries(
            {c: st.one_of(SMALL, SMALL, SMALL, CELLS) for c in VALUE_COLUMNS[:3]},
            optional={c: st.one_of(SMALL, SMALL, SMALL, CELLS) for c in VALUE_COLUMNS[3:]},
        ),
        min_size=1,
        max_size=12,
    ).map(lambda rows: rows + rows),  # every row again: the second time, from memory
)
def test_a_rows_values_read_once_per_texts_read_as_the_general_way_reads_them(
    rows: list[dict[str, object]],
) -> None:
    mapping = dataclasses.replace(UCI_LOG_MAPPING, custom_columns=("notify",))
    cells = _Cells(mapping)
    for line, row in enumerate(rows, start=2):
        expected = outcome(lambda: reference_values(row, mapping, line))  # noqa: B023
        assert expected == outcome(lambda: cells.values(row, line))  # type: ignore[arg-type]  # noqa: B023


def test_rows_that_differ_in_any_one_cell_read_apart() -> None:
    # Remembered rows are told apart by every cell their values are read from.
    mapping = dataclasses.replace(UCI_LOG_MAPPING, custom_columns=("notify",))
    base = {
        "priority": "3 - Moderate",
        "assignment_group": "Group 1",
        "assigned_to": "Resolver 1",
        "category": "Category 1",
        "impact": "2 - Medium",
        "caller_id": "Caller 1",
        "notify": "Do Not Notify",
    }
    cells = _Cells(mapping)
    for line, column in enumerate(base, start=2):
        for row in (base, {**base, column: "Other"}, base):
            assert reference_values(row, mapping, line) == cells.values(row, line)


def test_a_row_with_a_cell_another_row_lacked_is_read_whole_though_their_texts_agree() -> None:
    # A row without a category, then one whose category is None (a short CSV row): the same
    # texts where both have them, but the second does not read.
    cells = _Cells(UCI_LOG_MAPPING)
    lacking = {"priority": "3 - Moderate", "assignment_group": "Group 1"}
    assert reference_values(lacking, UCI_LOG_MAPPING, 2) == cells.values(lacking, 2)
    short = {**lacking, "category": None}
    with pytest.raises(LogError, match="line 3: a row with fewer cells than the header"):
        cells.values(short, 3)  # type: ignore[arg-type]
