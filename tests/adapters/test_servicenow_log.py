"""escalate.adapters.servicenow.read_log: snapshot rows diffed into each incident's history.

The small logs here are written in the layout of ServiceNow's CSV export of an audited
incident table, as the UCI "incident event log" has it (see ``../shared/datasets/README.md``):
one row per update, every row the whole record after it.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import escalate
from escalate import EscalateError, Event
from escalate.adapters.servicenow import (
    UCI_LOG_MAPPING,
    LogError,
    ServiceNowMapping,
    parse_time,
    read_log,
)

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT.parent / "shared" / "datasets" / "servicenow-incident-event-log.zip"
POLICY = escalate.load(str(ROOT / "rules" / "itil-default.yaml"))

HEADER = (
    "number,incident_state,reassignment_count,reopen_count,sys_mod_count,made_sla,opened_at,"
    "sys_updated_by,sys_updated_at,category,priority,assignment_group,assigned_to,u_symptom"
)


def log(*rows: str, mapping: ServiceNowMapping = UCI_LOG_MAPPING):  # type: ignore[no-untyped-def]
    text = "\n".join((HEADER, *rows)) + "\n"
    return read_log(csv.DictReader(io.StringIO(text)), mapping)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def kinds(events: tuple[Event, ...]) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for e in events:
        if e.type == "field-changed":
            out.append((e.type, (e.field, e.from_value, e.to_value)))
        elif e.type == "assigned":
            out.append((e.type, (e.group, e.assignee)))
        elif e.type == "priority-changed":
            out.append((e.type, (e.from_priority, e.priority)))
        else:
            out.append((e.type, e.status))
    return out


# A life: opened, assigned, escalated to another group with a new priority, put on hold,
# resolved, reopened with the assignee cleared, resolved and closed.
LIFE = (
    "INC1,New,0,0,0,true,1/3/2016 09:00,u1,1/3/2016 09:05,Cat 1,3 - Moderate,?,?,Sym 1",
    "INC1,Active,0,0,1,true,1/3/2016 09:00,u2,1/3/2016 09:20,Cat 1,3 - Moderate,Group A,Ann,Sym 1",
    "INC1,Active,1,0,2,true,1/3/2016 09:00,u3,1/3/2016 10:00,Cat 2,2 - High,Group B,Ann,Sym 1",
    "INC1,Awaiting User Info,1,0,3,true,1/3/2016 09:00,u3,1/3/2016 11:00,"
    "Cat 2,2 - High,Group B,Ann,?",
    "INC1,Resolved,1,0,4,true,1/3/2016 09:00,u3,2/3/2016 08:00,Cat 2,2 - High,Group B,Ann,?",
    "INC1,Active,1,1,5,false,1/3/2016 09:00,u4,3/3/2016 09:00,Cat 2,2 - High,Group B,?,?",
    "INC1,Resolved,1,1,6,false,1/3/2016 09:00,u4,3/3/2016 12:00,Cat 2,2 - High,Group B,Bob,?",
    "INC1,Closed,1,1,7,false,1/3/2016 09:00,system,8/3/2016 12:00,Cat 2,2 - High,Group B,Bob,?",
)


def test_a_life_is_diffed_row_by_row_into_events() -> None:
    (incident,) = log(*LIFE).incidents
    assert incident.number == "INC1"
    opened = incident.opened
    assert opened.opened_at == at("2016-03-01T09:00")
    assert (opened.priority, opened.category, opened.status, opened.assignment_group) == (
        "3 - Moderate",
        "Cat 1",
        "new",
        None,
    )
    assert opened.fields == {"u_symptom": "Sym 1"}
    steps = [kinds(u.events) for u in incident.updates]
    assert steps == [
        [("status-changed", "new")],
        [("assigned", ("Group A", "Ann")), ("status-changed", "active")],
        [
            ("priority-changed", ("3 - Moderate", "2 - High")),
            ("field-changed", ("category", "Cat 1", "Cat 2")),
            ("assigned", ("Group B", None)),
        ],
        [
            ("field-changed", ("fields.u_symptom", "Sym 1", None)),
            ("status-changed", "awaiting-user-info"),
        ],
        [("resolved", "resolved")],
        [("reopened", "active"), ("field-changed", ("assignee", "Ann", None))],
        [("assigned", (None, "Bob")), ("resolved", "resolved")],
        [("closed", "closed")],
    ]
    assert [u.at for u in incident.updates][:2] == [at("2016-03-01T09:05"), at("2016-03-01T09:20")]
    assert incident.updates[2].events[0].actor == "u3"
    assert [u.made_sla for u in incident.updates] == [True] * 5 + [False] * 3
    assert incident.made_sla is False
    ticket = incident.ticket
    assert (ticket.status, ticket.assignment_group, ticket.assignee, ticket.priority) == (
        "closed",
        "Group B",
        "Bob",
        "2 - High",
    )
    counters = incident.counters
    assert (counters.servicenow_reassignments, counters.derived_reassignments) == (1, 1)
    assert (counters.servicenow_reopens, counters.derived_reopens) == (1, 1)
    assert counters.agree and counters.used == "servicenow"
    assert incident.anomalies == ()


def test_the_ticket_at_each_update_is_what_the_policy_evaluates() -> None:
    (incident,) = log(*LIFE).incidents
    for count, update in enumerate(incident.updates, start=1):
        decision = POLICY.evaluate(incident.ticket_at(count), now=update.at)
        assert decision.ticket_id == "INC1"
    assert incident.ticket_at(0) == incident.opened
    on_hold = incident.ticket_at(4)
    assert POLICY.evaluate(on_hold, now=at("2016-03-01T11:30")).ticket_id == "INC1"
    assert on_hold.status == "awaiting-user-info"


def test_done_events_merge_after_the_rows_of_the_same_instant() -> None:
    (incident,) = log(*LIFE).incidents
    done = Event(0, at("2016-03-01T09:20"), "action-done", action_id="INC1:x")
    early = Event(0, at("2016-03-01T09:10"), "comment")
    ticket = incident.ticket_at(2, [done, early])
    assert [e.type for e in ticket.events] == [
        "status-changed",
        "comment",
        "assigned",
        "status-changed",
        "action-done",
    ]


def test_servicenow_counters_or_derived_ones_as_declared() -> None:
    rows = (
        "INC2,New,0,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,?,3 - Moderate,Group A,?,?",
        "INC2,Active,4,2,1,true,1/3/2016 09:00,u,1/3/2016 09:20,?,3 - Moderate,Group B,?,?",
    )
    (incident,) = log(*rows).incidents
    assert not incident.counters.agree
    assert (
        incident.counters.servicenow_reassignments,
        incident.counters.derived_reassignments,
    ) == (4, 1)
    assert (incident.ticket.reassignment_count, incident.ticket.reopen_count) == (4, 2)
    derived = dataclasses.replace(UCI_LOG_MAPPING, counters="derived")
    (incident,) = log(*rows, mapping=derived).incidents
    assert incident.counters.used == "derived"
    assert (incident.ticket.reassignment_count, incident.ticket.reopen_count) == (1, 0)


def test_rows_are_ordered_by_modification_count_not_by_their_place_in_the_log() -> None:
    rows = (LIFE[1], LIFE[0], LIFE[2])
    (incident,) = log(*rows).incidents
    assert [u.mod_count for u in incident.updates] == [0, 1, 2]
    assert [u.line for u in incident.updates] == [3, 2, 4]


def test_incidents_keep_the_order_of_their_first_row() -> None:
    other = "INC0,New,0,0,0,true,1/3/2016 08:00,u,1/3/2016 08:05,?,4 - Low,?,?,?"
    reading = log(LIFE[0], other, LIFE[1])
    assert [i.number for i in reading.incidents] == ["INC1", "INC0"]
    assert reading.rows == 3


ODD = (
    # updated before it was opened, then a row earlier than the one before, a duplicate
    # modification count and a state nobody knows.
    "INC3,New,0,0,0,true,1/3/2016 09:00,u,1/3/2016 08:30,?,3 - Moderate,?,?,?",
    "INC3,Active,0,0,1,true,1/3/2016 09:00,u,1/3/2016 10:00,?,3 - Moderate,Group A,?,?",
    "INC3,Active,0,0,2,true,1/3/2016 09:00,u,1/3/2016 09:30,?,3 - Moderate,Group A,Ann,?",
    "INC3,Active,0,0,3,true,1/3/2016 09:00,u,1/3/2016 11:00,Cat,3 - Moderate,Group A,Ann,?",
    "INC3,Active,0,0,3,true,1/3/2016 09:00,u,1/3/2016 10:45,?,3 - Moderate,Group A,Ann,?",
    "INC3,-100,0,0,4,true,1/3/2016 09:00,u,1/3/2016 12:00,Cat,3 - Moderate,Group A,Ann,?",
)


def test_anomalies_follow_the_declared_rules_and_are_reported() -> None:
    reading = log(*ODD)
    (incident,) = reading.incidents
    found = [(a.kind, a.line, a.rule, a.value) for a in incident.anomalies]
    assert found == [
        ("before-opened", 2, "clamp", "1/3/2016 08:30"),
        ("backwards", 4, "clamp", "1/3/2016 09:30"),
        ("duplicate-mod-count", 5, "ordered", "3"),
        ("invalid-state", 7, "keep", "-100"),
    ]
    assert reading.anomalies == incident.anomalies
    # clamped instants, and the duplicate ordered by sys_updated_at (10:45 before 11:00)
    assert [u.at for u in incident.updates] == [
        at("2016-03-01T09:00"),
        at("2016-03-01T10:00"),
        at("2016-03-01T10:00"),
        at("2016-03-01T10:45"),
        at("2016-03-01T11:00"),
        at("2016-03-01T12:00"),
    ]
    assert [u.line for u in incident.updates] == [2, 3, 4, 6, 5, 7]
    assert incident.updates[-1].events == ()  # the unknown state kept 'Active'
    assert all(a.detail for a in incident.anomalies)


@pytest.mark.parametrize(
    ("rule", "line", "column", "value"),
    [
        ("before_opened", 2, "sys_updated_at", "1/3/2016 08:30"),
        ("backwards", 4, "sys_updated_at", "1/3/2016 09:30"),
        ("duplicate_mod_count", 5, "sys_mod_count", "3"),
        ("invalid_state", 7, "incident_state", "-100"),
    ],
)
def test_each_anomaly_is_an_error_when_the_rule_says_so(
    rule: str, line: int, column: str, value: str
) -> None:
    strict = dataclasses.replace(UCI_LOG_MAPPING, **{rule: "error"})
    with pytest.raises(LogError) as caught:
        log(*ODD, mapping=strict)
    error = caught.value
    assert (error.line, error.path, error.value) == (line, (column,), value)
    assert f"line {line}" in str(error)


@pytest.mark.parametrize(
    ("row", "line", "column", "message"),
    [
        (
            "INC9,New,0,0,0,true,31/2/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?",
            2,
            "opened_at",
            "not a date",
        ),
        (
            "INC9,New,0,0,0,true,2016-03-01 09:00,u,1/3/2016 09:05,?,?,?,?,?",
            2,
            "opened_at",
            "d/M/yyyy H:mm",
        ),
        ("INC9,New,0,0,0,true,?,u,1/3/2016 09:05,?,?,?,?,?", 2, "opened_at", "required"),
        (
            "INC9,New,0,0,x,true,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?",
            2,
            "sys_mod_count",
            "whole number",
        ),
        (
            "INC9,New,-1,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?",
            2,
            "reassignment_count",
            "whole number",
        ),
        (
            "INC9,New,0,0,0,maybe,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?",
            2,
            "made_sla",
            "true or false",
        ),
        ("?,New,0,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?", 2, "number", "number"),
        (
            "INC9,Bogus,0,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?",
            2,
            "incident_state",
            "not a state",
        ),
        (
            "INC9,New,0,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?",
            2,
            "u_symptom",
            "fewer cells",
        ),
        (
            "INC9,New,0,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?,extra",
            2,
            "",
            "more cells",
        ),
        (
            "INC9,New,0,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,\x1b[2J,?,?,?,?",
            2,
            "category",
            "control",
        ),
    ],
)
def test_a_row_that_cannot_be_read_names_its_line_column_and_value(
    row: str, line: int, column: str, message: str
) -> None:
    with pytest.raises(LogError) as caught:
        log("INC8,New,0,0,0,true,1/3/2016 09:00,u,1/3/2016 09:05,?,?,?,?,?", row.replace("\n", ""))
    error = caught.value
    assert error.line == line + 1
    assert error.path == (column,)
    assert message in str(error)


def test_an_opened_at_that_changes_between_rows_is_refused() -> None:
    rows = (LIFE[0], LIFE[1].replace("1/3/2016 09:00", "1/3/2016 09:01", 1))
    with pytest.raises(LogError, match="opened_at differs from line 2") as caught:
        log(*rows)
    assert caught.value.line == 3


def test_an_emptied_priority_is_refused_not_dropped() -> None:
    rows = (LIFE[0], LIFE[1].replace("3 - Moderate", "?"))
    with pytest.raises(LogError, match="priority '3 - Moderate' was emptied"):
        log(*rows)


def test_a_log_without_a_required_column_says_which() -> None:
    text = (
        "number,incident_state,opened_at,sys_updated_at\nINC1,New,1/3/2016 09:00,1/3/2016 09:00\n"
    )
    with pytest.raises(LogError, match="no column sys_mod_count") as caught:
        read_log(csv.DictReader(io.StringIO(text)), UCI_LOG_MAPPING)
    assert caught.value.line == 1


def test_an_empty_log_reads_as_no_incidents() -> None:
    reading = read_log([], UCI_LOG_MAPPING)
    assert (reading.incidents, reading.anomalies, reading.rows) == ((), (), 0)


def test_local_times_are_read_in_the_declared_zone_and_dst_gaps_refused() -> None:
    lisbon = dataclasses.replace(UCI_LOG_MAPPING, time_zone="Europe/Lisbon")
    (incident,) = log(LIFE[0].replace("1/3/2016", "1/7/2016"), mapping=lisbon).incidents
    assert incident.opened.opened_at == at("2016-07-01T08:00")  # WEST is UTC+1
    gap = "INC1,New,0,0,0,true,27/3/2016 01:30,u,27/3/2016 02:00,?,?,?,?,?"
    with pytest.raises(LogError, match="skipped or repeated by a clock change"):
        log(gap, mapping=lisbon)


def test_values_written_as_codes_are_read_as_their_labels() -> None:
    mapping = ServiceNowMapping(time_zone="UTC", date_format="yyyy-MM-dd HH:mm:ss", empty=("",))
    text = (
        "number,state,sys_mod_count,opened_at,sys_updated_at,priority,impact,assignment_group\n"
        "INC5,1,0,2016-03-01 09:00:00,2016-03-01 09:00:00,3,2,\n"
        "INC5,6,1,2016-03-01 09:00:00,2016-03-01 10:00:00,2,1,Network\n"
    )
    (incident,) = read_log(csv.DictReader(io.StringIO(text)), mapping).incidents
    assert incident.opened.priority == "3 - Moderate"
    assert incident.opened.impact == "2 - Medium"
    assert kinds(incident.updates[1].events) == [
        ("priority-changed", ("3 - Moderate", "2 - High")),
        ("field-changed", ("impact", "2 - Medium", "1 - High")),
        ("assigned", ("Network", None)),
        ("resolved", "resolved"),
    ]


def test_the_mapping_refuses_what_it_cannot_use() -> None:
    with pytest.raises(escalate.ArgumentError, match="unknown time zone"):
        ServiceNowMapping(time_zone="Mars/Olympus")
    with pytest.raises(escalate.ArgumentError, match="not a letter"):
        ServiceNowMapping(time_zone="UTC", date_format="dd/MM/yyyy HH:mm zzz")
    with pytest.raises(escalate.ArgumentError, match="year, month, day, hour and minute"):
        ServiceNowMapping(time_zone="UTC", date_format="dd/MM HH:mm")
    with pytest.raises(escalate.ArgumentError, match="must be one of"):
        ServiceNowMapping(time_zone="UTC", backwards="drop")  # type: ignore[arg-type]
    assert parse_time("3/1/2016 1:05:00 PM", "M/d/yyyy h:mm:ss a", "UTC") == at("2016-03-01T13:05")


COLUMNS = HEADER.split(",")


@settings(max_examples=300, deadline=None)
@given(
    row=st.integers(min_value=0, max_value=len(LIFE) - 1),
    column=st.sampled_from([c for c in COLUMNS if c != "number"]),
    value=st.text(max_size=14),
)
def test_a_hostile_cell_anywhere_is_a_log_error_naming_its_line_and_column_or_reads(
    row: int, column: str, value: str
) -> None:
    rows = [dict(zip(COLUMNS, line.split(","), strict=True)) for line in LIFE]
    rows[row][column] = value
    try:
        reading = read_log(rows, UCI_LOG_MAPPING)
    except LogError as error:
        assert error.line == row + 2, str(error)
        assert error.path and error.path[0] in (*COLUMNS, "state"), str(error)
        return
    except EscalateError as error:  # pragma: no cover - the failure this test looks for
        pytest.fail(f"{type(error).__name__} without a line: {error}")
    # What reads is a whole ticket the ticket format takes back unchanged.
    (incident,) = reading.incidents
    ticket = incident.ticket
    assert escalate.Ticket.from_mapping(ticket.to_dict()).to_dict() == ticket.to_dict()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["INC1"], "must map columns to text"),
        ({**dict(zip(COLUMNS, LIFE[0].split(","), strict=True)), "number": 7}, "expected text"),
        ({**dict(zip(COLUMNS, LIFE[0].split(","), strict=True)), "number": "IN\x00C"}, "U+0000"),
    ],
)
def test_rows_that_are_not_text_are_log_errors(row: object, message: str) -> None:
    with pytest.raises(LogError, match=re.escape(message)) as caught:
        read_log([row], UCI_LOG_MAPPING)  # type: ignore[list-item]
    assert caught.value.line == 2


def test_a_later_row_with_a_control_character_names_its_line_and_column() -> None:
    rows = [dict(zip(COLUMNS, line.split(","), strict=True)) for line in LIFE]
    rows[3]["assignment_group"] = "Group\x1bB"
    with pytest.raises(LogError, match="U\\+001B") as caught:
        read_log(rows, UCI_LOG_MAPPING)
    assert (caught.value.line, caught.value.path) == (5, ("assignment_group",))


def test_one_opened_at_written_with_spaces_is_the_same_instant() -> None:
    rows = (LIFE[0], LIFE[1].replace(",1/3/2016 09:00,", ", 1/3/2016 09:00 ,", 1))
    (incident,) = log(*rows).incidents
    assert len(incident.updates) == 2


@pytest.mark.skipif(
    not DATASET.exists(),
    reason=f"the real ServiceNow log is not here ({DATASET.name} under ../shared/datasets)",
)
def test_the_real_log_reads_whole_with_its_anomalies_reported() -> None:
    with zipfile.ZipFile(DATASET) as archive, archive.open("incident_event_log.csv") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        reading = read_log(rows, UCI_LOG_MAPPING)
    assert (reading.rows, len(reading.incidents)) == (119_998, 20_769)
    assert Counter(a.kind for a in reading.anomalies) == {
        "duplicate-mod-count": 1,
        "before-opened": 5,
        "backwards": 1,
        "invalid-state": 2,
    }
    # ServiceNow counted reassignments the rows do not show; never the other way round.
    assert sum(not i.counters.agree for i in reading.incidents) == 3_521
    assert all(
        i.counters.derived_reassignments <= (i.counters.servicenow_reassignments or 0)
        and i.counters.derived_reopens == i.counters.servicenow_reopens
        for i in reading.incidents
    )
    # A row saved before the incident was opened comes first, whatever its sys_mod_count:
    # INC0000135's first row claims count 7, and read last it would make up a reopen.
    (early,) = (i for i in reading.incidents if i.number == "INC0000135")
    assert early.updates[0].line == 351
    assert [e.type for u in early.updates for e in u.events].count("reopened") == 0
    verdicts = Counter(i.made_sla for i in reading.incidents)
    assert set(verdicts) == {True, False}
    closed = sum(i.ticket.status == "closed" for i in reading.incidents[:2000])
    assert closed > 1900


def test_an_unknown_state_on_a_later_row_is_named_without_the_first_row_reason() -> None:
    strict = dataclasses.replace(UCI_LOG_MAPPING, invalid_state="error")
    with pytest.raises(LogError) as caught:
        log(*ODD, mapping=strict)
    assert "first row" not in str(caught.value)
    first = ODD[0].replace(",New,", ",-100,", 1)
    with pytest.raises(LogError, match="the first row has no state before it to keep"):
        log(first)
