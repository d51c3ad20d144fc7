"""Ticket.with_events: a ticket grown event by event is the ticket sent with the whole history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escalate import Ticket
from escalate.engine.ticket import Event
from escalate.errors import TicketError
from escalate.testing.tickets import ticket_mappings

#: Top-level keys a ticketing system derives from the history it sends with them.
DERIVED = ("status", "priority", "assignment_group", "assignee", "reassignment_count")
OPENED = datetime(2024, 11, 20, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


def without_derived(data: dict[str, object], events: list[object]) -> dict[str, object]:
    """``data`` with ``events`` and without what a history derives: the counters, and every
    field a ``field-changed`` event of the whole history sets (a prefix of the history that
    stops before the change must not be told the value after it)."""
    out = {k: v for k, v in data.items() if k not in (*DERIVED, "reopen_count", "events")}
    changed = {
        event.get("field")
        for event in data.get("events") or []  # type: ignore[attr-defined]
        if isinstance(event, dict) and event.get("type") == "field-changed"
    }
    for name in changed:
        if not isinstance(name, str):
            continue
        head, _, rest = name.partition(".")
        if rest and isinstance(out.get(head), dict):
            out[head] = {k: v for k, v in out[head].items() if k != rest}  # type: ignore[union-attr]
        elif not rest:
            out.pop(name, None)
    out["events"] = events
    return out


@settings(max_examples=60, deadline=None)
@given(data=ticket_mappings(), cut=st.integers(min_value=0, max_value=60))
def test_a_history_split_anywhere_and_appended_gives_the_same_ticket(
    data: dict[str, object], cut: int
) -> None:
    events = list(data.get("events") or [])  # type: ignore[call-overload]
    cut = min(cut, len(events))
    try:
        whole = Ticket.from_mapping(without_derived(data, events))
    except TicketError:
        assume(False)  # fields that disagree with the history: not this test
    first = Ticket.from_mapping(without_derived(data, events[:cut]))
    grown = first.with_events(whole.events[cut:])
    # The same fields, and the same state at every instant of the history. (The events may
    # differ in a from_priority / from the grown ticket filled in from what it knew.)
    fields = {k: v for k, v in whole.to_dict().items() if k != "events"}
    assert fields == {k: v for k, v in grown.to_dict().items() if k != "events"}
    instants = [whole.opened_at, *(event.at for event in whole.events)]
    assert [whole.state_at(at) for at in instants] == [grown.state_at(at) for at in instants]


def test_given_counters_keep_the_surplus_the_history_does_not_show() -> None:
    first = Event(0, OPENED, "assigned", group="a")
    ticket = Ticket("T1", OPENED, events=[first], reassignment_count=5, reopen_count=2)
    later = ticket.with_events(
        [Event(0, OPENED, "assigned", group="b"), Event(1, OPENED, "assigned", group="a")]
    )
    assert (later.reassignment_count, later.reopen_count) == (7, 2)  # 5 given + 2 more
    assert later.assignment_group == "a"


def test_fields_no_event_sets_keep_their_values() -> None:
    ticket = Ticket("T1", OPENED, category="network", service="mail", status="in_progress")
    later = ticket.with_events([Event(0, OPENED, "field-changed", field="category", to_value="db")])
    assert (later.category, later.service, later.status) == ("db", "mail", "in_progress")


def test_an_event_that_contradicts_the_history_names_its_place_in_the_whole_history() -> None:
    ticket = Ticket("T1", OPENED, events=[Event(0, OPENED, "priority-changed", priority="P2")])
    bad = Event(0, OPENED, "priority-changed", from_priority="P4", priority="P1")
    with pytest.raises(TicketError) as caught:
        ticket.with_events([bad])
    assert caught.value.path[:2] == ("events", 1)


def test_an_added_priority_change_keeps_the_priority_the_ticket_had_before_it() -> None:
    ticket = Ticket("T1", OPENED, priority="P1", events=[Event(0, OPENED, "created")])
    later = ticket.with_events([Event(0, OPENED + HOUR * 2, "priority-changed", priority="P3")])
    assert ("P1", "P3") == (
        later.state_at(OPENED + HOUR).priority,
        later.state_at(OPENED + HOUR * 3).priority,
    )


def test_an_added_change_that_says_another_value_before_it_is_refused() -> None:
    ticket = Ticket("T1", OPENED, priority="P1", category="network")
    bad_priority = Event(0, OPENED + HOUR, "priority-changed", priority="P3", from_priority="P2")
    with pytest.raises(TicketError) as caught:
        ticket.with_events([bad_priority])
    assert ("events", 0, "from_priority") == caught.value.path
    bad_field = Event(
        0, OPENED + HOUR, "field-changed", field="category", from_value="db", to_value="wan"
    )
    with pytest.raises(TicketError) as caught:
        ticket.with_events([bad_field])
    assert ("events", 0, "from") == caught.value.path


def test_an_added_field_change_keeps_the_value_the_ticket_had_before_it() -> None:
    ticket = Ticket("T1", OPENED, category="network", fields={"u_site": "berlin"})
    later = ticket.with_events(
        [
            Event(0, OPENED + HOUR * 2, "field-changed", field="category", to_value="db"),
            Event(1, OPENED + HOUR * 2, "field-changed", field="fields.u_site", to_value="rome"),
        ]
    )
    before, after = later.state_at(OPENED + HOUR), later.state_at(OPENED + HOUR * 3)
    assert (("network", "berlin"), ("db", "rome")) == (
        (before.field_value("category"), before.field_value("fields.u_site")),
        (after.field_value("category"), after.field_value("fields.u_site")),
    )


def test_a_from_after_an_added_assignment_is_checked_against_that_assignment() -> None:
    # Found by Hypothesis: the group an added 'assigned' event set is the value a later
    # 'field-changed' on the group must say it came from, not the ticket's group before.
    opened = datetime(2024, 1, 1, tzinfo=UTC)
    ticket = Ticket("INC1", opened, events=[Event(0, opened, "assigned", group="service-desk")])
    later = ticket.with_events(
        [
            Event(0, opened, "assigned", group="second-line"),
            Event(
                0,
                opened,
                "field-changed",
                field="assignment_group",
                from_value="second-line",
                to_value=None,
            ),
        ]
    )
    assert later.assignment_group is None
    with pytest.raises(TicketError, match=r"disagrees with the value events\[1\] set"):
        ticket.with_events(
            [
                Event(0, opened, "assigned", group="second-line"),
                Event(
                    0,
                    opened,
                    "field-changed",
                    field="assignment_group",
                    from_value="service-desk",
                    to_value=None,
                ),
            ]
        )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("group", "G\x002", "control character U+0000"),
        ("assignee", "  ", "non-blank"),
        ("actor", "a\u202eb", "U+202E"),
        ("reason", "line\x1b", "control character U+001B"),
    ],
)
def test_events_built_in_python_follow_the_ticket_formats_rules_for_names(
    key: str, value: str, message: str
) -> None:
    opened = datetime(2024, 1, 1, tzinfo=UTC)
    payload = (
        {"actor": "ann", "reason": value, "path": "p", "level": "l"}
        if key == "reason"
        else {"group": "G"} | {key: value}
    )
    kind = "override" if key == "reason" else "assigned"
    with pytest.raises(TicketError, match=re.escape(message)) as caught:
        Ticket("INC1", opened, events=[Event(0, opened, kind, **payload)])
    assert caught.value.path == ("events", 0, key)
