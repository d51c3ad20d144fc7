"""The wake-up contract: evaluating at ``next_evaluation_at`` gives a different decision than
evaluating just before it (docs/semantics.md, "next_evaluation_at").

The property runs over generated policies -- the ITIL pack's terminology and office calendar,
a resolution clock with targets per priority and a ladder mixing ``at``, ``after`` and
``before_breach`` rungs that notify and escalate a path -- and generated tickets from
``escalate.testing.tickets`` (priority changes, pauses, resolution and reopening), walked from
wake-up to wake-up by a caller that records every due action at once or never.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escalate import Decision, Policy, Ticket, loads
from escalate.testing import tickets as et

ROOT = Path(__file__).resolve().parents[2]
PACK_DATA = yaml.safe_load((ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8"))
ONE_US = timedelta(microseconds=1)
NO_OVERRIDES = dataclasses.replace(et.ITIL, paths=MappingProxyType({}))
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
TARGETS = (("1h", "24x7"), ("4h", "24x7"), ("8h", "office-berlin"), ("2bd", "office-berlin"))
MEASURES: dict[str, tuple[str, ...]] = {
    "at": ("25%", "50%", "75%", "100%", "150%"),
    "after": ("30m", "2h", "6h", "1bd", "2bd"),
    "before_breach": ("15m", "1h", "3h"),
}


def shape(decision: Decision) -> tuple[Any, ...]:
    """What a wake-up must change: due action ids, path levels and rounds, clock states and
    breach flags (not growing elapsed values, percentages or ``late`` flags)."""
    return (
        tuple(sorted(action.id for action in decision.actions)),
        tuple((name, s.active, s.level_index, s.round) for name, s in decision.paths.items()),
        tuple((name, c.state, c.breached) for name, c in decision.clocks.items()),
    )


def policy_text(
    targets: dict[str, tuple[str, str]],
    rungs: list[tuple[str, str, str]],
    restart: bool,
    gated: bool,
    stop: tuple[str, ...] = ("resolved", "closed", "cancelled"),
) -> str:
    """A policy with one resolution clock and one path; ``rungs`` are (measure, value,
    action) with action ``notify``, ``L2`` or ``L3`` (escalate the path there)."""
    ladder = []
    for measure, value, action in rungs:
        rung: dict[str, Any] = {measure: value}
        if action == "notify":
            rung["notify"] = {"to": ["assignee"], "template": f"{measure}-{value}"}
        else:
            rung["escalate"] = {"path": "desk", "to": action}
        ladder.append(rung)
    path: dict[str, Any] = {
        "kind": "vertical",
        "levels": [
            {"name": "L1", "targets": ["team:desk"]},
            {"name": "L2", "targets": ["team:second-line"]},
            {"name": "L3", "targets": ["team:owners"]},
        ],
    }
    if gated:
        path["when"] = {"priority": ["P1", "P2"]}
    data = {
        "policy": "wakeups",
        "version": "1",
        "terminology": PACK_DATA["terminology"],
        "calendars": PACK_DATA["calendars"],
        "clocks": {
            "resolution": {
                "type": "resolution",
                "start": {"event": "created"},
                "pause": {"status": ["awaiting-user-info", "awaiting-vendor"]},
                "stop": {"status": list(stop)},
                "new_cycle_on": ["reopened"],
                "on_priority_change": "restart" if restart else "retroactive",
                "targets": {
                    p: {"within": within, "calendar": cal} for p, (within, cal) in targets.items()
                },
                "ladder": ladder,
            }
        },
        "paths": {"desk": path},
    }
    return yaml.safe_dump(data, sort_keys=False)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """A generated policy: per-priority targets and a ladder whose rungs of one measure rise
    (the load requires it); rungs of different measures fall in any order per target."""
    targets = {p: draw(st.sampled_from(TARGETS)) for p in PRIORITIES}
    chosen = draw(
        st.lists(
            st.sampled_from([(m, v) for m, values in MEASURES.items() for v in values]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    by_measure: dict[str, list[str]] = {}
    for measure, value in chosen:
        by_measure.setdefault(measure, []).append(value)
    # percentages and durations rise; leads before the breach fall
    queues = {
        m: sorted(values, key=MEASURES[m].index, reverse=m == "before_breach")
        for m, values in by_measure.items()
    }
    order = draw(st.permutations([m for m, _ in chosen]))
    rungs = [
        (m, queues[m].pop(0), draw(st.sampled_from(("notify", "notify", "L2", "L3"))))
        for m in order
    ]
    text = policy_text(targets, rungs, draw(st.booleans()), draw(st.booleans()))
    return loads(text)


def walk(
    policy: Policy, ticket: Ticket, now: datetime, records: bool, steps: int = 6
) -> Iterator[tuple[Ticket, Decision]]:
    """Follow ``next_evaluation_at`` from ``now``; a recording caller records every due action
    as done at once."""
    for _ in range(steps):
        decision = policy.evaluate(ticket, now=now)
        if decision.actions and records:
            data = ticket.to_dict()
            done = [{"at": now, "type": "action-done", "action_id": a.id} for a in decision.actions]
            ticket = Ticket.from_mapping({**data, "events": [*data["events"], *done]})
            decision = policy.evaluate(ticket, now=now)
        yield ticket, decision
        if decision.next_evaluation_at is None:
            return
        now = decision.next_evaluation_at


def assert_every_wakeup_changes_the_decision(
    policy: Policy, case: tuple[Ticket, datetime], records: bool
) -> None:
    for ticket, decision in walk(policy, *case, records):
        wake_at = decision.next_evaluation_at
        if wake_at is None:
            continue
        before = shape(policy.evaluate(ticket, now=wake_at - ONE_US))
        assert shape(policy.evaluate(ticket, now=wake_at)) != before, (
            f"nothing changed at next_evaluation_at {wake_at}"
        )


# -- the regression: a rung recorded done before a downgrade ---------------------------------

DOWNGRADE_POLICY = loads(
    policy_text(
        {"P1": ("4h", "24x7"), "P2": ("8h", "24x7")},
        [("at", "75%", "notify"), ("at", "100%", "notify")],
        restart=False,
        gated=False,
    )
)
DONE_THEN_DOWNGRADED = Ticket.from_mapping(
    {
        "id": "INC1",
        "opened_at": "2024-03-04T08:00:00Z",
        "priority": "P2",
        "events": [
            {
                "at": "2024-03-04T11:00:00Z",
                "type": "action-done",
                "action_id": "INC1:clock:resolution#1@0:notify0",
            },
            {
                "at": "2024-03-04T11:30:00Z",
                "type": "priority-changed",
                "priority": "P2",
                "from_priority": "P1",
            },
        ],
    }
)


def test_a_rung_recorded_done_before_a_downgrade_wakes_no_one_when_reached_again() -> None:
    # 75 % of P2's 8 hours is at 14:00: the rung is reached again then, but its notify is
    # recorded, so the next change is the breach rung at 16:00.
    decision = DOWNGRADE_POLICY.evaluate(
        DONE_THEN_DOWNGRADED, now=datetime(2024, 3, 4, 12, tzinfo=UTC)
    )
    assert datetime(2024, 3, 4, 16, tzinfo=UTC) == decision.next_evaluation_at


def test_a_rung_not_recorded_before_a_downgrade_still_wakes_when_reached_again() -> None:
    ticket = Ticket.from_mapping(
        {**DONE_THEN_DOWNGRADED.to_dict(), "events": [DONE_THEN_DOWNGRADED.to_dict()["events"][1]]}
    )
    decision = DOWNGRADE_POLICY.evaluate(ticket, now=datetime(2024, 3, 4, 12, tzinfo=UTC))
    assert datetime(2024, 3, 4, 14, tzinfo=UTC) == decision.next_evaluation_at


def test_a_path_rung_wakes_no_one_when_the_path_does_not_apply() -> None:
    policy = loads(
        policy_text({"P3": ("4h", "24x7")}, [("at", "50%", "L2")], restart=False, gated=True)
    )
    ticket = {"id": "INC2", "opened_at": "2024-03-04T08:00:00Z", "priority": "P3"}
    decision = policy.evaluate(ticket, now=datetime(2024, 3, 4, 9, tzinfo=UTC))
    # the rung at 10:00 asks a path whose `when:` does not hold: only the breach counts
    assert datetime(2024, 3, 4, 12, tzinfo=UTC) == decision.next_evaluation_at


def test_a_path_rung_wakes_when_it_moves_the_path() -> None:
    policy = loads(
        policy_text({"P1": ("4h", "24x7")}, [("at", "50%", "L2")], restart=False, gated=True)
    )
    ticket = {"id": "INC3", "opened_at": "2024-03-04T08:00:00Z", "priority": "P1"}
    decision = policy.evaluate(ticket, now=datetime(2024, 3, 4, 9, tzinfo=UTC))
    assert datetime(2024, 3, 4, 10, tzinfo=UTC) == decision.next_evaluation_at


def test_an_ended_ticket_wakes_no_one_for_rungs_its_clock_still_reaches() -> None:
    # a clock that stops only on closure keeps running while the ticket is resolved
    policy = loads(
        policy_text(
            {"P1": ("4h", "24x7")},
            [("after", "2h", "notify")],
            restart=False,
            gated=False,
            stop=("closed",),
        )
    )
    ticket = {
        "id": "INC4",
        "opened_at": "2024-03-04T08:00:00Z",
        "priority": "P1",
        "events": [{"at": "2024-03-04T09:00:00Z", "type": "resolved", "status": "resolved"}],
    }
    decision = policy.evaluate(ticket, now=datetime(2024, 3, 4, 9, 30, tzinfo=UTC))
    assert "running" == decision.clock("resolution").state
    # the breach still changes the decision (the clock's breach flag); the rung does not
    assert datetime(2024, 3, 4, 12, tzinfo=UTC) == decision.next_evaluation_at


# -- the property ----------------------------------------------------------------------------


@PROPERTY
@example(
    policy=DOWNGRADE_POLICY,
    case=(DONE_THEN_DOWNGRADED, datetime(2024, 3, 4, 11, 30, tzinfo=UTC)),
    records=True,
)
@given(
    policy=policies(),
    case=et.ticket_cases(NO_OVERRIDES, action_done=False, within=timedelta(hours=30)),
    records=st.booleans(),
)
def test_every_wakeup_changes_the_decision(
    policy: Policy, case: tuple[Ticket, datetime], records: bool
) -> None:
    assert_every_wakeup_changes_the_decision(policy, case, records)
