"""Batch sweeps: ``evaluate_many`` equals a loop of ``evaluate`` byte for byte; the O(1) due
check (``Decision.is_due``, ``Policy.sweep``) skips only tickets whose actions would not change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import (
    ArgumentError,
    Availability,
    Decision,
    NaiveDatetimeError,
    Ticket,
    TicketError,
    load,
    loads,
)
from escalate.engine.sweep import MAX_REMEMBERED, SharedDirectory, Sweep, event_count
from escalate.testing import tickets as et

ROOT = Path(__file__).resolve().parents[2]
PACK = load(ROOT / "rules" / "itil-default.yaml")
EXAMPLES = [
    json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "tickets").glob("*.json"))
]
AVAILABILITY = json.loads((ROOT / "examples" / "availability.json").read_text())
NOW = datetime(2024, 11, 20, 15, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def one_by_one(tickets: list[Any], now: datetime, availability: Any = None) -> list[str]:
    return [PACK.evaluate(t, now=now, availability=availability).to_json() for t in tickets]


def test_evaluate_many_gives_what_evaluate_gives_for_the_examples_with_availability() -> None:
    many = [d.to_json() for d in PACK.evaluate_many(EXAMPLES, now=NOW, availability=AVAILABILITY)]
    assert many == one_by_one(EXAMPLES, NOW, AVAILABILITY)


def test_evaluate_many_decides_each_segment_as_evaluate_does() -> None:
    tickets = [EXAMPLES[0] | {"region": "uk"}, EXAMPLES[1], EXAMPLES[2] | {"region": "uk"}]
    many = list(PACK.evaluate_many(tickets, now=NOW))
    assert [d.segment for d in many] == ["uk", None, "uk"]
    assert [d.to_json() for d in many] == one_by_one(tickets, NOW)


@PROPERTY
@given(
    st.lists(et.tickets(max_events=12), min_size=1, max_size=6),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
)
def test_evaluate_many_equals_a_loop_of_evaluate_on_generated_tickets(
    tickets: list[Ticket], after: timedelta
) -> None:
    now = max(et.last_instant(t) for t in tickets) + after
    many = [d.to_json() for d in PACK.evaluate_many(tickets, now=now, availability=AVAILABILITY)]
    assert many == one_by_one(tickets, now, AVAILABILITY)


def test_evaluate_many_reads_one_ticket_at_a_time_from_a_generator() -> None:
    pulled: list[int] = []

    def tickets() -> Iterator[dict[str, Any]]:
        for i in range(1_000_000):
            pulled.append(i)
            yield EXAMPLES[i % len(EXAMPLES)]

    decisions = PACK.evaluate_many(tickets(), now=NOW)
    assert pulled == []  # nothing read before the first decision is asked for
    first_three = [next(decisions) for _ in range(3)]
    assert pulled == [0, 1, 2]
    assert [d.ticket_id for d in first_three] == [t["id"] for t in EXAMPLES[:3]]


def test_evaluate_many_checks_now_when_called() -> None:
    with pytest.raises(NaiveDatetimeError):
        PACK.evaluate_many([], now=datetime(2024, 11, 20, 15, 0))


def test_a_bad_ticket_raises_when_reached_after_the_decisions_before_it() -> None:
    bad = EXAMPLES[1] | {"priority": "P9"}
    decisions = PACK.evaluate_many([EXAMPLES[0], bad, EXAMPLES[2]], now=NOW)
    assert next(decisions).ticket_id == EXAMPLES[0]["id"]
    with pytest.raises(TicketError, match=rf"sweep item 1 \(ticket '{bad['id']}'\): .*P9"):
        next(decisions)
    assert next(decisions, None) is None  # the iterator is finished, as documented


def test_sweep_refuses_what_is_not_a_pair_of_a_ticket_and_a_decision() -> None:
    previous = PACK.evaluate(EXAMPLES[0], now=NOW)
    with pytest.raises(ArgumentError, match=r"sweep item 0: expected a pair .* got dict"):
        list(PACK.sweep([EXAMPLES[0]], now=NOW))  # type: ignore[list-item]
    stored = previous.to_dict()
    with pytest.raises(ArgumentError, match=r"sweep item 0: .* got dict \(a stored to_dict"):
        list(PACK.sweep([(EXAMPLES[0], stored)], now=NOW))  # type: ignore[list-item]


def test_the_shared_directory_answers_as_the_directory_does() -> None:
    sweep = Sweep(NOW, Availability.from_mapping(AVAILABILITY))
    shared = sweep.directory(PACK.directory)
    assert isinstance(shared, SharedDirectory)
    assert sweep.directory(PACK.directory) is shared  # one per directory per sweep
    for targets in (["schedule:network-oncall"], ["role:service-owner", "team:service-desk"]):
        for at in (NOW, NOW + timedelta(days=3)):
            first = shared.resolve(targets, at, sweep.availability)
            assert first == PACK.directory.resolve(targets, at, sweep.availability)
            assert shared.resolve(targets, at, sweep.availability) is first  # remembered
    assert shared.handoffs(["network-oncall"], NOW) == PACK.directory.handoffs(
        ["network-oncall"], NOW
    )


def test_the_shared_directory_forgets_rather_than_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    from escalate.engine import sweep as module

    monkeypatch.setattr(module, "MAX_REMEMBERED", 3)
    sweep = Sweep(NOW, Availability())
    shared = sweep.directory(PACK.directory)
    assert isinstance(shared, SharedDirectory)
    for hours in range(10):
        shared.resolve(
            ["schedule:network-oncall"], NOW + timedelta(hours=hours), sweep.availability
        )
    assert len(shared._resolved) <= 3
    assert MAX_REMEMBERED > 3


# -- the due check ----------------------------------------------------------------------------


def test_event_count_reads_no_ticket() -> None:
    assert event_count({"id": "T", "events": [1, 2, 3]}) == 3  # not read: only counted
    assert event_count({"id": "T"}) == 0
    assert event_count({"id": "T", "events": "no"}) is None
    assert event_count(Ticket.from_mapping(EXAMPLES[0])) == len(EXAMPLES[0].get("events", []))


def test_a_decision_is_not_due_before_its_next_evaluation_without_new_events() -> None:
    decision = PACK.evaluate(EXAMPLES[0], now=NOW)
    assert decision.next_evaluation_at is not None
    count = decision.event_count
    assert not decision.is_due(NOW, event_count=count)
    assert not decision.is_due(
        decision.next_evaluation_at - timedelta(microseconds=1), event_count=count
    )
    assert decision.is_due(decision.next_evaluation_at, event_count=count)
    assert decision.is_due(NOW, event_count=count + 1)  # a new event
    assert decision.is_due(NOW - timedelta(seconds=1), event_count=count)  # before it was made


def test_a_decision_that_never_changes_is_never_due_without_new_events() -> None:
    policy = loads("policy: quiet\nversion: 1\n")
    decision = policy.evaluate({"id": "T1", "opened_at": "2024-01-01T00:00:00Z"}, now=NOW)
    assert decision.next_evaluation_at is None
    assert not decision.is_due(NOW + timedelta(days=3650), event_count=0)
    assert decision.is_due(NOW, event_count=1)


def test_is_due_checks_its_arguments() -> None:
    decision = PACK.evaluate(EXAMPLES[0], now=NOW)
    with pytest.raises(NaiveDatetimeError):
        decision.is_due(datetime(2024, 11, 20), event_count=0)
    with pytest.raises(ArgumentError, match="event_count must be an int"):
        decision.is_due(NOW, event_count=True)
    with pytest.raises(ArgumentError, match="event_count must be 0 or more"):
        decision.is_due(NOW, event_count=-5)


def test_sweep_evaluates_tickets_without_a_previous_decision() -> None:
    swept = list(PACK.sweep(((t, None) for t in EXAMPLES), now=NOW))
    assert all(s.evaluated for s in swept)
    assert [s.decision.to_json() for s in swept] == one_by_one(EXAMPLES, NOW)


def test_sweep_passes_over_tickets_not_due_and_evaluates_the_due_ones() -> None:
    before = list(PACK.evaluate_many(EXAMPLES, now=NOW))
    later = NOW + timedelta(minutes=1)
    with_event = EXAMPLES[0] | {
        "events": [
            *EXAMPLES[0].get("events", []),
            {"type": "comment", "at": "2024-11-20T15:00:30Z"},
        ]
    }
    items = [(with_event, before[0]), *zip(EXAMPLES[1:], before[1:], strict=True)]
    swept = list(PACK.sweep(items, now=later))
    expected_due = [True] + [
        d.next_evaluation_at is not None and later >= d.next_evaluation_at for d in before[1:]
    ]
    assert [s.evaluated for s in swept] == expected_due
    for (ticket, previous), s in zip(items, swept, strict=True):
        if s.evaluated:
            assert s.decision.to_json() == PACK.evaluate(ticket, now=later).to_json()
        else:
            assert s.decision is previous


def test_sweep_evaluates_again_a_decision_of_another_policy() -> None:
    other = loads(
        (ROOT / "rules" / "itil-default.yaml")
        .read_text()
        .replace("\nversion: 1\n", "\nversion: 2\n", 1)
    )
    assert other.content_hash != PACK.content_hash
    previous = other.evaluate(EXAMPLES[0], now=NOW)
    (swept,) = PACK.sweep([(EXAMPLES[0], previous)], now=NOW)
    assert swept.evaluated
    assert swept.decision.policy_hash == PACK.content_hash


def test_sweep_refuses_misaligned_pairs() -> None:
    previous = PACK.evaluate(EXAMPLES[0], now=NOW)
    with pytest.raises(ArgumentError, match=r"sweep item 0: the previous decision is for ticket"):
        list(PACK.sweep([(EXAMPLES[1], previous)], now=NOW))


def same_when_not_due(before: Decision, after: Decision) -> None:
    """What stays the same between two evaluations with no new event before
    ``next_evaluation_at`` (Decision.is_due's promise)."""
    assert [a.to_dict() | {"late": None} for a in after.actions] == [
        a.to_dict() | {"late": None} for a in before.actions
    ]
    assert [(n, s) for n, s in after.paths.items()] == [(n, s) for n, s in before.paths.items()]
    assert (after.priority, after.segment) == (before.priority, before.segment)
    # Not rule statuses: a rule reading a calendar (``not_within: office-berlin``) may turn
    # matched when the office closes, moving nothing (its path is already where it sends it).
    assert [a.to_dict() | {"late": None} for a in after.missed] == [
        a.to_dict() | {"late": None} for a in before.missed
    ]
    assert [w.to_dict() for w in after.withdrawn] == [w.to_dict() for w in before.withdrawn]
    assert [(c.name, c.state, c.breach_at) for c in after.clocks.values()] == [
        (c.name, c.state, c.breach_at) for c in before.clocks.values()
    ]
    if before.next_evaluation_at is None:
        assert after.next_evaluation_at is None
    else:
        assert after.next_evaluation_at is not None
        assert after.next_evaluation_at >= before.next_evaluation_at


@PROPERTY
@given(case=et.ticket_cases(within=timedelta(days=5)), per_mille=st.integers(0, 1000))
def test_evaluating_a_ticket_that_is_not_due_gives_the_same_actions(
    case: tuple[Ticket, datetime], per_mille: int
) -> None:
    ticket, now = case
    before = PACK.evaluate(ticket, now=now, availability=AVAILABILITY)
    nxt = before.next_evaluation_at
    horizon = nxt - before.evaluated_at if nxt is not None else timedelta(days=30)
    later = before.evaluated_at + horizon * per_mille // 1000
    if nxt is not None and later >= nxt:
        later = nxt - timedelta(microseconds=1)
    later = max(later, before.evaluated_at)
    assert not before.is_due(later, event_count=len(ticket.events))
    after = PACK.evaluate(ticket, now=later, availability=AVAILABILITY)
    same_when_not_due(before, after)
    (swept,) = PACK.sweep([(ticket, before)], now=later, availability=AVAILABILITY)
    assert swept == (before, False)
