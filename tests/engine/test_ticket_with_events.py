"""Ticket.with_events: a ticket grown event by event is the ticket sent with the whole history."""

from __future__ import annotations

from datetime import UTC, datetime

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


def without_derived(data: dict[str, object], events: list[object]) -> dict[str, object]:
    out = {k: v for k, v in data.items() if k not in (*DERIVED, "reopen_count", "events")}
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
    assert whole.to_dict() == grown.to_dict()
    assert whole.digest() == grown.digest()


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
