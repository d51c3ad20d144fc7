"""``escalate.simulate``: a ticket's future from wake-up to wake-up and through scripted events.

The properties run the shipped pack on generated tickets (``escalate.testing.tickets``) with
generated scripts: the steps rise strictly, each step's decision is ``policy.evaluate`` of the
same history at the same instant, and nothing changes between two steps (the jump is never
late: an instant drawn between two steps sees the earlier step's due actions, levels and
clocks).
"""

from __future__ import annotations

import itertools
import json
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalate
from escalate import ArgumentError, Decision, Ticket, load, loads, simulate
from escalate.testing import tickets as et
from escalate.whatif import ScriptedEventError, SimulationError
from escalate.whatif.script import append, read_script

ROOT = Path(__file__).resolve().parents[2]
POLICY = load(ROOT / "rules" / "itil-default.yaml")
EXAMPLES = ROOT / "examples" / "tickets"
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# A schedule that hands over every hour, paged by a path's only level: the policy wakes the
# ticket at every hand-off, 721 times in 30 days.
HOURLY = loads(
    textwrap.dedent(
        """
        policy: wakes-often
        version: "1"
        directory:
          people:
            ann: {name: Ann}
            bob: {name: Bob}
        schedules:
          desk-oncall:
            timezone: UTC
            layers:
              - name: hourly
                level: 1
                rotation: {members: [ann, bob], turn: 1h, anchor: 2024-01-01}
        paths:
          desk:
            kind: vertical
            page_first_level: true
            levels:
              - name: on-call
                targets: [schedule:desk-oncall]
        """
    ),
    filename="hourly.yaml",
)
EXAMPLE_TICKETS = tuple(
    Ticket.from_mapping(json.loads(path.read_text(encoding="utf-8")))
    for path in sorted(EXAMPLES.glob("*.json"))
)
PLAIN = {"id": "T1", "opened_at": "2024-11-20T10:00:00Z", "priority": "P1"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def shape(decision: Decision) -> tuple[Any, ...]:
    """What only a wake-up or an event may change: due action ids, path levels and rounds,
    clock states and breach flags (not growing elapsed values or ``late`` flags)."""
    return (
        tuple(sorted(action.id for action in decision.actions)),
        tuple((name, s.active, s.level_index, s.round) for name, s in decision.paths.items()),
        tuple((name, c.state, c.breached) for name, c in decision.clocks.items()),
    )


# -- a worked example ---------------------------------------------------------------------------

ACK_AND_RESOLVE = [
    {"after": "10m", "type": "acknowledged", "actor": "anna.schmidt"},
    {"after": "2h", "type": "resolved", "actor": "anna.schmidt"},
]


def test_a_p2_acknowledged_then_resolved_steps_through_its_rungs_and_stops() -> None:
    simulation = simulate(
        POLICY, example("INC0010003"), until=at("2024-11-21T12:00:00Z"), events=ACK_AND_RESOLVE
    )
    assert [
        "2024-11-20T12:40:00+00:00",
        "2024-11-20T12:50:00+00:00",
        "2024-11-20T13:45:00+00:00",
        "2024-11-20T14:15:00+00:00",
        "2024-11-20T14:40:00+00:00",
    ] == [step.at.isoformat() for step in simulation.steps]


def test_the_scripted_events_are_applied_at_their_steps() -> None:
    simulation = simulate(
        POLICY, example("INC0010003"), until=at("2024-11-21T12:00:00Z"), events=ACK_AND_RESOLVE
    )
    assert [(), ("acknowledged",), (), (), ("resolved",)] == [
        tuple(event.type for event in step.events) for step in simulation.steps
    ]


def test_a_step_names_the_levels_and_clocks_that_changed_and_the_actions_that_became_due() -> None:
    simulation = simulate(
        POLICY, example("INC0010003"), until=at("2024-11-21T12:00:00Z"), events=ACK_AND_RESOLVE
    )
    step = simulation.steps[2]
    assert (
        (escalate.whatif.LevelChange("service-desk", "L1", "L2"),),
        {"clock:resolution@75%", "path:service-desk", "rule:post-mortem-at-level-2"},
        ("clock:resolution@50%",),
    ) == (
        step.levels,
        {action.source for action in step.newly_due},
        tuple(action.source for action in step.no_longer_due),
    )


def test_resolving_stops_the_clock_and_ends_the_simulation() -> None:
    simulation = simulate(
        POLICY, example("INC0010003"), until=at("2024-11-21T12:00:00Z"), events=ACK_AND_RESOLVE
    )
    last = simulation.steps[-1]
    assert (
        (escalate.whatif.ClockChange("resolution", "running", "stopped"),),
        "resolved",
        None,
    ) == (last.clocks, last.status, simulation.next_step_at)


def test_the_first_step_reports_the_starting_state_as_changes() -> None:
    first = simulate(POLICY, example("INC0010003"), until=at("2024-11-20T12:40:00Z")).steps[0]
    assert (
        ("coordination", "service-desk"),
        ("response", "resolution"),
        first.decision.actions,
    ) == (
        tuple(change.path for change in first.levels),
        tuple(change.clock for change in first.clocks),
        first.newly_due,
    )


def test_the_start_defaults_to_the_tickets_last_event() -> None:
    simulation = simulate(POLICY, example("INC0010001"), until=at("2024-11-21T00:00:00Z"))
    assert at("2024-11-20T13:05:00Z") == simulation.start == simulation.steps[0].at


def test_a_ticket_without_events_starts_at_its_opening() -> None:
    simulation = simulate(HOURLY, PLAIN, until=at("2024-11-20T10:00:00Z"))
    assert [at("2024-11-20T10:00:00Z")] == [step.at for step in simulation.steps]


def test_the_simulation_stops_at_until_and_says_when_the_next_step_would_be() -> None:
    simulation = simulate(HOURLY, PLAIN, until=at("2024-11-20T12:30:00Z"))
    assert (3, at("2024-11-20T13:00:00Z")) == (len(simulation.steps), simulation.next_step_at)


def test_a_step_at_until_itself_is_taken() -> None:
    simulation = simulate(HOURLY, PLAIN, until=at("2024-11-20T12:00:00Z"))
    assert at("2024-11-20T12:00:00Z") == simulation.steps[-1].at


def test_thirty_days_of_hourly_hand_offs_take_one_step_per_hand_off() -> None:
    simulation = simulate(HOURLY, PLAIN, until=at("2024-12-20T10:00:00Z"))
    assert 30 * 24 + 1 == len(simulation.steps)


def test_an_event_between_wake_ups_is_a_step_of_its_own() -> None:
    events = [{"after": "25m", "type": "acknowledged", "actor": "ann"}]
    simulation = simulate(HOURLY, PLAIN, until=at("2024-11-20T11:00:00Z"), events=events)
    assert [at("2024-11-20T10:00:00Z"), at("2024-11-20T10:25:00Z"), at("2024-11-20T11:00:00Z")] == [
        step.at for step in simulation.steps
    ]


def test_an_event_at_the_start_is_applied_to_the_first_step() -> None:
    events = [{"at": "2024-11-20T10:00:00Z", "type": "resolved"}]
    simulation = simulate(HOURLY, PLAIN, until=at("2024-11-20T15:00:00Z"), events=events)
    assert (("resolved",), "resolved", 1) == (
        tuple(e.type for e in simulation.steps[0].events),
        simulation.steps[0].status,
        len(simulation.steps),
    )


def test_after_accepts_a_timedelta_and_at_accepts_a_datetime() -> None:
    events = [
        {"after": timedelta(minutes=5), "type": "acknowledged", "actor": "ann"},
        {"at": at("2024-11-20T11:30:00+01:00"), "type": "agent-update"},
    ]
    simulation = simulate(HOURLY, PLAIN, until=at("2024-11-20T10:30:00Z"), events=events)
    assert [at("2024-11-20T10:05:00Z"), at("2024-11-20T10:30:00Z")] == [
        e.at for s in simulation.steps for e in s.events
    ]


# -- the history each step sees -----------------------------------------------------------------


def test_each_step_decides_on_the_history_up_to_its_instant() -> None:
    ticket = Ticket.from_mapping(example("INC0010003"))
    simulation = simulate(POLICY, ticket, until=at("2024-11-21T12:00:00Z"), events=ACK_AND_RESOLVE)
    script = read_script(ACK_AND_RESOLVE, ticket=ticket, start=simulation.start)
    for step in simulation.steps:
        history = append(ticket, [e for e in script if e.at <= step.at])
        assert POLICY.evaluate(history, now=step.at).to_json() == step.decision.to_json()


def test_a_scripted_status_replaces_the_tickets_own_status() -> None:
    ticket = Ticket.from_mapping(example("INC0010003"))
    script = read_script(
        [{"after": "1m", "type": "resolved"}], ticket=ticket, start=at("2024-11-20T12:40:00Z")
    )
    assert ("in-progress", "resolved") == (ticket.status, append(ticket, script).status)


def test_given_counters_keep_what_the_history_did_not_show() -> None:
    assigned = {"at": "2024-11-20T10:00:00Z", "type": "assigned", "group": "service-desk"}
    ticket = Ticket.from_mapping({**PLAIN, "events": [assigned], "reassignment_count": 5})
    script = read_script(
        [{"after": "1m", "type": "assigned", "group": "second-line"}],
        ticket=ticket,
        start=ticket.opened_at,
    )
    moved = append(ticket, script)
    assert (6, "second-line") == (moved.reassignment_count, moved.assignment_group)


def test_a_field_change_replaces_the_field() -> None:
    ticket = Ticket.from_mapping({**PLAIN, "category": "hardware", "customer": {"tier": "gold"}})
    events = [
        {"after": "1m", "type": "field-changed", "field": "category", "to": "network"},
        {"after": "2m", "type": "field-changed", "field": "customer.tier", "to": "bronze"},
        {"after": "3m", "type": "field-changed", "field": "customer.vip", "to": "yes"},
    ]
    script = read_script(events, ticket=ticket, start=ticket.opened_at)
    moved = append(ticket, script)
    assert ("network", "bronze", True) == (moved.category, moved.customer.tier, moved.customer.vip)


# -- errors -------------------------------------------------------------------------------------


def test_a_start_before_the_last_event_is_refused() -> None:
    with pytest.raises(SimulationError, match=r"start 2024-11-20T13:00:00\+00:00 is before the"):
        simulate(
            POLICY,
            example("INC0010001"),
            start=at("2024-11-20T13:00:00Z"),
            until=at("2024-11-21T00:00:00Z"),
        )


def test_an_until_before_the_start_is_refused() -> None:
    with pytest.raises(
        SimulationError, match=r"until 2024-11-20T09:00:00\+00:00 is before the start"
    ):
        simulate(HOURLY, PLAIN, until=at("2024-11-20T09:00:00Z"))


def test_a_naive_until_is_refused() -> None:
    with pytest.raises(escalate.NaiveDatetimeError, match="until"):
        simulate(HOURLY, PLAIN, until=datetime(2024, 11, 21))


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "acknowledged"}, r"events\[0\]: a scripted event needs exactly one of 'at'"),
        (
            {"at": "2024-11-20T11:00:00Z", "after": "1h", "type": "resolved"},
            r"events\[0\]: a scripted event needs exactly one of",
        ),
        (
            {"after": "1h", "type": "acknowleged"},
            r"events\[0\]\.type: .*did you mean 'acknowledged'",
        ),
        ({"after": "1bd", "type": "resolved"}, r"events\[0\]\.after: business days \('bd'\)"),
        ({"after": "soon", "type": "resolved"}, r"events\[0\]\.after: expected a duration"),
        ({"at": "2024-11-20T11:00:00", "type": "resolved"}, r"events\[0\]\.at: must be an ISO"),
        ({"at": "2024-11-20T09:00:00Z", "type": "resolved"}, r"events\[0\]\.at: .*before the"),
        ({"after": "2d", "type": "resolved"}, r"events\[0\]: a scripted event after until"),
        ({"after": "1h", "index": 3, "type": "resolved"}, r"events\[0\]\.index: .*no 'index'"),
        ({"after": "1h", "type": "resolved", "group": "x"}, r"events\[0\]\.group: .*take no"),
    ],
)
def test_a_bad_scripted_event_is_named_by_its_place_in_the_script(
    event: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScriptedEventError, match=message):
        simulate(HOURLY, PLAIN, until=at("2024-11-21T00:00:00Z"), events=[event])


def test_scripted_events_out_of_order_are_refused() -> None:
    events = [{"after": "2h", "type": "resolved"}, {"after": "1h", "type": "acknowledged"}]
    with pytest.raises(ScriptedEventError, match=r"events\[1\]\.after: .*time order"):
        simulate(HOURLY, PLAIN, until=at("2024-11-21T00:00:00Z"), events=events)


def test_a_scripted_event_that_contradicts_the_history_names_both() -> None:
    ticket = {
        **PLAIN,
        "events": [{"at": "2024-11-20T10:00:00Z", "type": "priority-changed", "priority": "P1"}],
    }
    events = [{"after": "1h", "type": "priority-changed", "priority": "P2", "from_priority": "P3"}]
    with pytest.raises(
        ScriptedEventError,
        match=r"events\[0\]\.from_priority: .*the ticket's events\[0\] set \('P1'\)",
    ):
        simulate(HOURLY, ticket, until=at("2024-11-21T00:00:00Z"), events=events)


def test_a_status_the_policy_does_not_know_is_a_scripted_event_error() -> None:
    events = [{"after": "1h", "type": "status-changed", "status": "parked"}]
    with pytest.raises(ScriptedEventError, match=r"events\[0\]\.status"):
        simulate(HOURLY, PLAIN, until=at("2024-11-21T00:00:00Z"), events=events)


def test_scripted_events_must_be_a_list() -> None:
    with pytest.raises(ScriptedEventError, match="must be a list"):
        simulate(HOURLY, PLAIN, until=at("2024-11-21T00:00:00Z"), events={"type": "resolved"})  # type: ignore[arg-type]


def test_more_steps_than_max_steps_stop_with_an_error_that_says_why() -> None:
    with pytest.raises(
        SimulationError,
        match=r"takes more than 5 steps \(step 5 is at 2024-11-20T14:00:00\+00:00\).*max_steps",
    ):
        simulate(HOURLY, PLAIN, until=at("2024-12-20T10:00:00Z"), max_steps=5)


def test_exactly_max_steps_steps_are_allowed() -> None:
    simulation = simulate(HOURLY, PLAIN, until=at("2024-11-20T14:00:00Z"), max_steps=5)
    assert 5 == len(simulation.steps)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "10"])
def test_max_steps_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(ArgumentError, match="max_steps must be a positive int"):
        simulate(HOURLY, PLAIN, until=at("2024-11-21T00:00:00Z"), max_steps=bad)  # type: ignore[arg-type]


# -- output -------------------------------------------------------------------------------------


def test_the_json_is_stable_and_holds_each_steps_decision() -> None:
    def run() -> escalate.Simulation:
        return simulate(
            POLICY, example("INC0010003"), until=at("2024-11-21T12:00:00Z"), events=ACK_AND_RESOLVE
        )

    first, second = run(), run()
    data = json.loads(first.to_json())
    assert (first.to_json(), 5, "2024-11-20T12:50:00+00:00", ["acknowledged"]) == (
        second.to_json(),
        len(data["steps"]),
        data["steps"][1]["at"],
        [e["type"] for e in data["steps"][1]["events"]],
    )
    assert first.steps[3].decision.to_dict(trace=False) == data["steps"][3]["decision"]


def test_the_table_has_a_row_per_step_with_levels_and_due_actions() -> None:
    table = simulate(
        POLICY, example("INC0010003"), until=at("2024-11-21T12:00:00Z"), events=ACK_AND_RESOLVE
    ).table()
    lines = table.splitlines()
    assert lines[0] == (
        "ticket INC0010003, policy itil-default v1: 5 steps from 2024-11-20 12:40:00 to "
        "2024-11-21 12:00:00 (UTC)"
    )
    assert lines[1].split() == ["at", "(UTC)", "what", "happened", "levels", "due", "actions"]
    assert any(
        line.startswith("2024-11-20 12:50:00  acknowledged (actor anna.schmidt)") for line in lines
    )
    first = next(i for i, line in enumerate(lines) if line.startswith("2024-11-20 13:45"))
    assert [
        "2024-11-20 13:45:00 wake-up coordination: coordinator "
        "+ notify -> assignee, assignment-group [clock:resolution@75%]",
        "service-desk: L1 -> L2 + escalate -> team:second-line [path:service-desk] => sofia.rossi",
        "+ require_postmortem [rule:post-mortem-at-level-2]",
        "- notify -> assignee [clock:resolution@50%]",
    ] == [" ".join(line.split()) for line in lines[first : first + 4]]
    assert lines[-1] == "nothing changes after the last step without new events"


# -- properties ---------------------------------------------------------------------------------


@st.composite
def scripts(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Up to three scripted events a service desk might add, minutes to days apart."""
    events: list[dict[str, Any]] = []
    minutes = 0
    for _ in range(draw(st.integers(0, 3))):
        minutes += draw(st.integers(1, 3 * 24 * 60))
        kind = draw(
            st.sampled_from(("acknowledged", "status-changed", "resolved", "assigned", "priority"))
        )
        event: dict[str, Any] = {"after": f"{minutes}m"}
        if kind == "acknowledged":
            event.update(type="acknowledged", actor=draw(st.sampled_from(et.ITIL.people)))
        elif kind == "status-changed":
            status = draw(st.sampled_from(("in-progress", "awaiting-user-info", "on-hold")))
            event.update(type="status-changed", status=status)
        elif kind == "assigned":
            event.update(type="assigned", group=draw(st.sampled_from(et.ITIL.groups)))
        elif kind == "priority":
            event.update(type="priority-changed", priority=draw(et.priorities()))
        else:
            event.update(type="resolved")
        events.append(event)
    return events


@st.composite
def simulations(draw: st.DrawFn) -> tuple[Ticket, list[dict[str, Any]], escalate.Simulation]:
    # The bundled examples are open P1 and P2 tickets that wake often; generated ones vary more.
    ticket = draw(st.sampled_from(EXAMPLE_TICKETS) | et.tickets(max_events=12))
    events = draw(scripts())
    start = et.last_instant(ticket)
    until = start + timedelta(minutes=draw(st.integers(0, 10 * 24 * 60)))
    last = max([0, *(int(e["after"][:-1]) for e in events)])
    until = max(until, start + timedelta(minutes=last))
    return ticket, events, simulate(POLICY, ticket, until=until, events=events)


@PROPERTY
@given(simulations())
def test_steps_rise_strictly_from_the_start_and_stay_within_until(
    case: tuple[Ticket, list[dict[str, Any]], escalate.Simulation],
) -> None:
    _, _, simulation = case
    instants = [step.at for step in simulation.steps]
    assert instants[0] == simulation.start
    assert all(a < b for a, b in itertools.pairwise(instants))
    assert instants[-1] <= simulation.until
    assert simulation.next_step_at is None or simulation.next_step_at > simulation.until


@PROPERTY
@given(simulations())
def test_every_steps_decision_is_evaluate_on_the_same_history_at_the_same_instant(
    case: tuple[Ticket, list[dict[str, Any]], escalate.Simulation],
) -> None:
    ticket, events, simulation = case
    script = read_script(events, ticket=ticket, start=simulation.start)
    for step in simulation.steps:
        history = append(ticket, [e for e in script if e.at <= step.at])
        expected = POLICY.evaluate(history, now=step.at)
        assert expected.to_json() == step.decision.to_json()


@PROPERTY
@given(simulations(), st.data())
def test_the_jump_is_never_late_nothing_changes_between_two_steps(
    case: tuple[Ticket, list[dict[str, Any]], escalate.Simulation], data: st.DataObject
) -> None:
    ticket, events, simulation = case
    script = read_script(events, ticket=ticket, start=simulation.start)
    k = data.draw(st.integers(0, len(simulation.steps) - 1))
    step = simulation.steps[k]
    end = simulation.steps[k + 1].at if k + 1 < len(simulation.steps) else simulation.until
    if end == step.at:
        return
    span_us = (end - step.at) // timedelta(microseconds=1)
    offset = data.draw(st.integers(0, span_us - (1 if k + 1 < len(simulation.steps) else 0)))
    between = step.at + timedelta(microseconds=offset)
    history = append(ticket, [e for e in script if e.at <= between])
    assert shape(step.decision) == shape(POLICY.evaluate(history, now=between))


def test_simulate_is_exported_at_the_top_level() -> None:
    assert (escalate.simulate, escalate.Simulation) == (
        escalate.whatif.simulate,
        escalate.whatif.Simulation,
    )
