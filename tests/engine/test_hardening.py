"""Regression tests for the engine's edges (issue 8): instants compared as instants, a linear
history fold, the ends of time, and ticket values that used to escape as foreign exceptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from escalate import (
    ArgumentError,
    Availability,
    CalendarRangeError,
    Event,
    InstantRangeError,
    PolicyError,
    Ticket,
    TicketError,
    load,
    loads,
)
from escalate.calendars._instants import to_us
from escalate.errors import shown
from tests.engine.test_oncall_evaluate import L2_ID, desk, evaluate
from tests.policy_helpers import plus, utc

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
PACK_TEXT = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
PACK = load(ROOT / "rules" / "itil-default.yaml")
# 2024-10-27 in Berlin: 03:00 CEST falls back to 02:00 CET; 02:10 fold=1 is 01:10 UTC and
# 02:30 fold=0 is 00:30 UTC, so the first is 40 minutes *after* the second.
SECOND_0210 = datetime(2024, 10, 27, 2, 10, fold=1, tzinfo=BERLIN)
FIRST_0230 = datetime(2024, 10, 27, 2, 30, fold=0, tzinfo=BERLIN)
OPENED = datetime(2024, 10, 27, 1, 0, tzinfo=BERLIN)


def resolved_at(at: datetime) -> Ticket:
    return Ticket("INC1", OPENED, priority="P2", events=[Event(0, at, "resolved")])


# -- instants, not wall times ----------------------------------------------------------------


def test_a_resolution_after_now_across_a_dst_fall_back_is_refused_not_applied() -> None:
    with pytest.raises(TicketError, match="event after now"):
        PACK.evaluate(resolved_at(SECOND_0210), now=FIRST_0230)


def test_a_resolution_before_now_across_a_dst_fall_back_is_accepted() -> None:
    decision = PACK.evaluate(resolved_at(FIRST_0230), now=SECOND_0210)
    assert "stopped" == decision.clocks["resolution"].state


def test_a_decision_is_the_same_whichever_zone_its_instants_are_written_in() -> None:
    in_utc = PACK.evaluate(resolved_at(FIRST_0230.astimezone(UTC)), now=SECOND_0210.astimezone(UTC))
    in_berlin = PACK.evaluate(resolved_at(FIRST_0230), now=SECOND_0210)
    assert json.dumps(in_utc.to_dict()) == json.dumps(in_berlin.to_dict())


def test_history_order_is_checked_on_instants_across_a_dst_fall_back() -> None:
    # Ordered on the wall clock (02:10 before 02:30) but not in time: 02:10 fold=1 is later.
    events = [Event(0, SECOND_0210, "acknowledged"), Event(1, FIRST_0230, "resolved")]
    with pytest.raises(TicketError, match="time order"):
        Ticket("INC1", OPENED, events=events)


def test_a_ticket_keeps_its_instants_in_utc() -> None:
    ticket = resolved_at(SECOND_0210)
    assert (UTC, UTC) == (ticket.opened_at.tzinfo, ticket.events[0].at.tzinfo)
    # The same instant (`==` itself says "different" for a fold=1 time in another zone: PEP 495).
    assert to_us(SECOND_0210) == to_us(ticket.events[0].at)


def test_an_absence_ending_across_a_dst_fall_back_is_compared_as_instants() -> None:
    # until (02:10, second time) is after from (02:30, first time): a valid 40-minute absence.
    availability = Availability.from_mapping(
        {"out_of_office": [{"person": "alice", "from": FIRST_0230, "until": SECOND_0210}]}
    )
    inside = datetime(2024, 10, 27, 1, 0, tzinfo=UTC)
    assert availability.unavailable_because("alice", inside) is not None
    assert availability.unavailable_because("alice", SECOND_0210) is None


# -- the history fold is linear --------------------------------------------------------------


def test_done_actions_are_known_at_every_prefix_of_a_long_history() -> None:
    opened = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        Event(i, opened + timedelta(seconds=i + 1), "action-done", action_id=f"a{i % 700}")
        for i in range(2000)
    ]
    ticket = Ticket("INC1", opened, events=events)
    assert frozenset() == ticket.state_at(opened).done_action_ids
    assert {"a0", "a1"} == ticket.state_at(opened + timedelta(seconds=2)).done_action_ids
    assert 700 == len(ticket.state_at(opened + timedelta(days=1)).done_action_ids)
    assert 350 == len(ticket.state_at(opened + timedelta(seconds=350)).done_action_ids)


# -- the ends of time ------------------------------------------------------------------------


def test_a_deadline_past_year_9999_is_an_instant_range_error_not_an_overflow() -> None:
    ticket = Ticket("T", datetime(9999, 12, 29, tzinfo=UTC), priority="P1", category="network")
    # The pack's after-hours rule reads the office calendar, compiled for 2015-2030 only.
    without_office_hours = PACK_TEXT.replace("not_within: office-berlin", "region: nowhere")
    with pytest.raises(InstantRangeError, match="needs instants after"):
        loads(without_office_hours).evaluate(ticket, now=datetime(9999, 12, 30, tzinfo=UTC))
    with pytest.raises(CalendarRangeError, match="outside the years 2015-2030"):
        PACK.evaluate(ticket, now=datetime(9999, 12, 30, tzinfo=UTC))


def test_now_past_the_last_instant_is_an_instant_range_error() -> None:
    ticket = Ticket("T", datetime(2024, 1, 1, tzinfo=UTC), priority="P1")
    with pytest.raises(InstantRangeError, match="out of range"):
        PACK.evaluate(ticket, now=datetime(9999, 12, 31, 12, tzinfo=UTC))


def test_an_instant_without_a_utc_datetime_is_a_ticket_error_naming_the_field() -> None:
    late = datetime.max.replace(tzinfo=ZoneInfo("America/New_York"))
    with pytest.raises(TicketError, match=r"opened_at: instant is out of range"):
        Ticket("T", late)
    with pytest.raises(TicketError, match=r"opened_at: timestamp is out of range"):
        Ticket.from_mapping({"id": "T", "opened_at": "9999-12-31T23:00:00-05:00"})


@pytest.mark.parametrize("now", [None, "2024-11-20T15:00:00Z", 5, datetime(2024, 11, 20).date()])
def test_a_now_of_the_wrong_type_is_an_argument_error(now: object) -> None:
    with pytest.raises(ArgumentError, match="now must be an aware datetime"):
        PACK.evaluate(Ticket("T", datetime(2024, 1, 1, tzinfo=UTC)), now=now)  # type: ignore[arg-type]


# -- ticket values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"fields": {"x": 10**5000}}, "fields.x"),
        ({"fields": {"x": -(2**63) - 1}}, "fields.x"),
        ({"reassignment_count": 10**5000}, "reassignment_count"),
        ({"reopen_count": 2**63}, "reopen_count"),
    ],
)
def test_integers_beyond_64_bits_are_refused_naming_the_field(
    data: dict[str, object], path: str
) -> None:
    with pytest.raises(TicketError, match=rf"^{path}: .*64|^{path}: .*2\*\*63") as caught:
        Ticket.from_mapping({"id": "T", "opened_at": "2024-01-01T00:00:00Z", **data})
    assert "digits>" in str(caught.value) or "922337" in str(caught.value)


def test_the_typed_constructor_checks_custom_fields_and_text_fields() -> None:
    opened = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(TicketError, match=r"fields\.x: custom field values"):
        Ticket("T", opened, fields={"x": 1.5})
    with pytest.raises(TicketError, match=r"fields\.x: custom field values"):
        Ticket("T", opened, fields={"x": 2**64})
    with pytest.raises(TicketError, match=r"^priority: must be a non-blank string"):
        Ticket("T", opened, priority=1)  # type: ignore[arg-type]


def test_an_error_shows_a_huge_or_long_value_briefly_and_escaped() -> None:
    assert "<an integer of 5001 digits>" == shown(10**5000)
    assert "'\\x1b[2J'" == shown("\x1b[2J")
    assert "'\\u202e'" == shown("\u202e")
    assert shown("x" * 100_000).endswith("… (100000 characters)")


# -- deferred levels: the walk to the first cover does not grow with elapsed time -------------


def _everyone_away(until: str) -> dict[str, object]:
    return {
        "out_of_office": [
            {"person": who, "from": "2024-11-20T00:00:00+00:00", "until": until}
            for who in ("carol", "dave", "erin")
        ]
    }


@pytest.mark.parametrize("until", ["2024-12-24T13:00:00+00:00", "2064-03-01T13:00:00+00:00"])
def test_a_deferred_level_is_covered_when_the_absence_ends_however_long_ago_it_began(
    until: str,
) -> None:
    body = desk(", on_empty: defer_until_covered", targets='"schedule:rota"')
    decision = evaluate(body, plus(until, hours=1), _everyone_away(until))
    found = next(a for a in decision.actions if a.id == L2_ID)
    # The rota hands off at 09:00 daily; whoever is on call when the leave ends is paged then.
    assert (utc(until), True) == (found.due_at, found.late)
    assert 1 == len(found.people)


def test_a_deferred_level_with_nobody_ever_available_pages_nobody() -> None:
    body = desk(", on_empty: defer_until_covered", targets='"schedule:rota"')
    away = {
        "out_of_office": [
            {"person": w, "from": "2024-11-20T00:00:00+00:00"} for w in ("carol", "dave", "erin")
        ]
    }
    decision = evaluate(body, "2074-11-20T10:45:00+00:00", away)
    assert L2_ID not in [a.id for a in decision.actions]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"id": "INC\x1b[2J1"}, "id"),
        ({"category": "net\u202ework"}, "category"),
        ({"assignment_group": "desk\n"}, "assignment_group"),
        ({"fields": {"x\u200by": 1}}, "fields"),
    ],
)
def test_control_bidi_and_invisible_characters_in_ticket_names_are_refused(
    data: dict[str, object], path: str
) -> None:
    with pytest.raises(TicketError, match=rf"^{path}\b.*contains") as caught:
        Ticket.from_mapping({"id": "T", "opened_at": "2024-01-01T00:00:00Z", **data})
    assert "\x1b" not in str(caught.value) and "\u202e" not in str(caught.value)


def test_an_override_reason_may_span_lines() -> None:
    event = {"type": "override", "actor": "a", "path": "p", "level": "l", "reason": "two\nlines"}
    ticket = Ticket.from_mapping(
        {"id": "T", "opened_at": "2024-01-01T00:00:00Z", "events": [{"at": OPENED, **event}]}
    )
    assert "two\nlines" == ticket.events[0].reason


def test_the_typed_constructor_refuses_hidden_characters_and_wrong_shapes() -> None:
    opened = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(TicketError, match=r"^id: contains the control character"):
        Ticket("T\x1b", opened)
    with pytest.raises(TicketError, match=r"^events: events must be a sequence"):
        Ticket("T", opened, events=None)  # type: ignore[arg-type]
    with pytest.raises(TicketError, match=r"^events\[0\]: events must be escalate Event"):
        Ticket("T", opened, events=[{"at": opened, "type": "created"}])  # type: ignore[list-item]
    with pytest.raises(TicketError, match=r"^regulatory_flags: regulatory_flags must be a seq"):
        Ticket("T", opened, regulatory_flags=5)  # type: ignore[arg-type]
    with pytest.raises(TicketError, match=r"^events\[0\]\.type: unknown event type"):
        Ticket("T", opened, events=[Event(0, opened, 7)])  # type: ignore[arg-type]


def test_an_availability_key_that_is_not_valid_text_is_a_ticket_error() -> None:
    with pytest.raises(TicketError, match="a key is not valid text"):
        Availability.from_mapping({"\ud800": []})


def test_ticket_and_availability_instants_out_of_range_are_errors_naming_the_field() -> None:
    with pytest.raises(TicketError, match=r"^opened_at: instant is out of range"):
        Ticket.from_mapping({"id": "T", "opened_at": "0001-01-01T00:00:00Z"})
    with pytest.raises(TicketError, match=r"^availability\.out_of_office\[0\]\.from: instant is"):
        Availability.from_mapping(
            {"out_of_office": [{"person": "a", "from": "9999-12-31T00:00:00Z"}]}
        )


def test_key_paths_and_file_names_in_errors_are_escaped() -> None:
    with pytest.raises(PolicyError) as caught:
        loads("policy: p\nversion: 1\nx: 1\n", filename="p\x1b[31m.yaml")
    assert str(caught.value).startswith("'p\\x1b[31m.yaml':3:1: x: unknown key")
    with pytest.raises(TicketError) as ticket_error:
        Ticket.from_mapping({"id": "T", "opened_at": "2024-01-01T00:00:00Z", "pri\x1b": 1})
    assert "\x1b" not in str(ticket_error.value)


def test_explain_writes_a_line_break_inside_a_value_as_an_escape() -> None:
    policy = loads(
        "policy: p\nversion: 1\nrules:\n  - id: r\n    when: {priority: P1}\n"
        '    then: {notify: {to: ["team:noc"]}}\n    rationale: "first\\nrule x: matched"\n'
    )
    text = policy.evaluate(
        {"id": "T", "opened_at": "2024-01-01T00:00:00Z", "priority": "P1"},
        now=datetime(2024, 1, 1, 1, tzinfo=UTC),
    ).explain()
    assert "because: first\\nrule x: matched" in text
    assert "rule x: matched" not in text.splitlines()


def test_a_zone_name_that_is_no_iana_name_is_refused_before_the_file_system_sees_it() -> None:
    for zone in ("a/" * 400 + "b", "../etc/passwd", "Europe/Berlin" * 100):
        policy = f'policy: p\nversion: 1\ncalendars:\n  c: {{timezone: "{zone}", hours: 24x7}}\n'
        with pytest.raises(PolicyError, match="must be an IANA name"):
            loads(policy)


def test_a_key_that_is_not_a_string_is_named_as_such() -> None:
    with pytest.raises(TicketError, match=r"^keys must be strings \(got None\)"):
        Ticket.from_mapping({None: 1, "id": "T", "opened_at": "2024-01-01T00:00:00Z"})
    with pytest.raises(TicketError, match=r"^availability: keys must be strings \(got 5\)"):
        Availability.from_mapping({5: []})
