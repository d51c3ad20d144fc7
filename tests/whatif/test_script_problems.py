"""A script with several bad events reports every one of them at once, by its place in the
script, not only the first: each event's own shape, instant and payload do not depend on the
others. Problems that do depend on earlier events are reported once every event reads."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate import load
from escalate.whatif import ScriptedEventError, ScriptedEventErrors, simulate

ROOT = Path(__file__).resolve().parents[2]
POLICY = load(ROOT / "rules" / "itil-default.yaml")
TICKET = json.loads((ROOT / "examples" / "tickets" / "INC0010003.json").read_text())
UNTIL = datetime.fromisoformat("2024-11-22T00:00:00Z")  # the ticket's last event: 11-20 12:40


def problems(events: list[Any]) -> list[str]:
    with pytest.raises(ScriptedEventError) as error:
        simulate(POLICY, TICKET, until=UNTIL, events=events)
    found = error.value
    return (
        [str(e) for e in found.errors] if isinstance(found, ScriptedEventErrors) else [str(found)]
    )


def test_every_bad_event_is_reported_in_script_order() -> None:
    events = [
        {"after": "1bd", "type": "acknowleged"},
        {"after": "10m", "type": "nope"},
        5,
        {"after": "20m", "type": "acknowledged", "index": 3},
        {"after": "5d", "type": "acknowledged"},
    ]
    expected = [
        "events[0].after: business days ('bd') are not allowed here (got '1bd')",
        "events[0].type: unknown event type; ",
        "events[1].type: unknown event type; ",
        "events[2]: a scripted event must be a mapping (got 5)",
        "events[3].index: a scripted event has no 'index': ",
        "events[4]: a scripted event after until (2024-11-22T00:00:00+00:00) would never happen",
    ]
    found = problems(events)
    assert len(expected) == len(found), found
    assert all(line.startswith(start) for start, line in zip(expected, found, strict=True)), found


def test_the_exception_reads_as_the_first_problem_and_counts_the_rest() -> None:
    with pytest.raises(ScriptedEventErrors) as error:
        simulate(POLICY, TICKET, until=UNTIL, events=[5, {"after": "10m", "type": "nope"}])
    assert (("events", 0), 2) == (error.value.path, len(error.value.errors))
    assert str(error.value).endswith("(got 5) (and 1 more problem)")


def test_time_order_is_judged_between_events_whose_instants_read() -> None:
    events = [
        {"after": "2h", "type": "acknowledged"},
        {"after": "soon", "type": "acknowledged"},
        {"after": "1h", "type": "acknowledged"},
    ]
    assert [
        "events[1].after",
        "events[2].after: scripted events are listed in time order; this one is earlier than "
        "events[0] (2024-11-20T14:40:00+00:00) (got '2024-11-20T13:40:00+00:00')",
    ] == [problems(events)[0].split(":")[0], problems(events)[1]]


def test_a_problem_that_depends_on_earlier_events_waits_for_every_event_to_read() -> None:
    contradicting = [
        {"after": "1h", "type": "priority-changed", "priority": "P1", "from_priority": "P3"},
        {"after": "2h", "type": "priority-changed", "priority": "P2", "from_priority": "P3"},
    ]
    assert 1 == len(problems(contradicting))
    assert ["events[2]: a scripted event must be a mapping (got 7)"] == problems(
        [*contradicting, 7]
    )


GOOD = {"type": "comment", "actor": "anna.schmidt"}
BAD = [
    "not an event",
    {"type": "comment", "actor": "anna.schmidt", "index": 0},
    {"type": "acknowleged"},
    {"type": "comment", "actor": "anna.schmidt", "at": "2024-11-20T13:00:00"},
]


@given(st.lists(st.one_of(st.just(None), st.sampled_from(range(len(BAD)))), max_size=8))
def test_exactly_the_bad_events_are_reported_each_once(kinds: list[int | None]) -> None:
    events: list[Any] = []
    for i, kind in enumerate(kinds):
        event = GOOD if kind is None else BAD[kind]
        if isinstance(event, dict):
            event = {**event}
            event.setdefault("at", None)
            if event["at"] is None:
                del event["at"]
                event["after"] = f"{i + 1}m"
        events.append(event)
    bad = [i for i, kind in enumerate(kinds) if kind is not None]
    if not bad:
        simulate(POLICY, TICKET, until=UNTIL, events=events)
        return
    assert bad == [int(p.split("]")[0].removeprefix("events[")) for p in problems(events)]


def test_a_status_the_policy_does_not_know_is_reported_with_the_other_problems() -> None:
    events = [
        {"after": "10m", "type": "acknowledgd"},
        {"after": "20m", "type": "status-changed", "status": "bogus"},
    ]
    assert ["events[0].type", "events[1].status"] == [p.split(":")[0] for p in problems(events)]
