"""Properties of ``Policy.evaluate`` on the ``rules/itil-default.yaml`` pack (docs/semantics.md).

Tickets are drawn from ``escalate.testing.tickets``: priorities in the pack's terminology
(aliases, impact x urgency), network categories, histories with reassignments, pauses,
acknowledgements, priority changes, resolution and reopening, opened in 2024. Each property
reads the decision through its *shape* -- due action ids, path levels and rounds, clock
states and breach flags -- which, by the design, changes only at ``next_evaluation_at`` when
no new events arrive (growing elapsed values, percentages and ``late`` flags are not changes).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.policy.loader import load, loads
from escalate.testing import strategies as es
from escalate.testing import tickets as et

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"
EXAMPLES = sorted((ROOT / "examples" / "tickets").glob("*.json"))
POLICY = load(PACK)
OTHER_POLICY = load(PACK)  # compiled separately, from the same file
PACK_DATA = yaml.safe_load(PACK.read_text(encoding="utf-8"))
ONE_US = timedelta(microseconds=1)

Shape = tuple[tuple[str, ...], tuple[tuple[Any, ...], ...], tuple[tuple[Any, ...], ...]]

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ONCE = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def shape(decision: Decision) -> Shape:
    """What may only change at ``next_evaluation_at`` without new events: due action ids,
    path levels and rounds, clock states and breach flags (not elapsed times, percentages or
    ``late`` flags)."""
    return (
        tuple(sorted(action.id for action in decision.actions)),
        tuple((name, s.active, s.level_index, s.round) for name, s in decision.paths.items()),
        tuple((name, c.state, c.breached) for name, c in decision.clocks.items()),
    )


def reach(decision: Decision) -> tuple[object, ...]:
    """The shape, and whom each due action reaches (on-call hand-offs change that)."""
    people = tuple(sorted((action.id, action.people) for action in decision.actions))
    return (*shape(decision), people)


def state_shape(decision: Decision) -> tuple[Any, ...]:
    """The shape without the actions: what recording an action as done must not change."""
    return shape(decision)[1:]


def with_done(ticket: Ticket, action_ids: Iterable[str], at: datetime) -> Ticket:
    """The ticket after the caller recorded ``action-done`` at ``at`` for each id."""
    data = ticket.to_dict()
    done = [{"at": at, "type": "action-done", "action_id": action_id} for action_id in action_ids]
    data["events"] = [*data["events"], *done]  # type: ignore[misc]
    return Ticket.from_mapping(data)


def without_sources(decision: dict[str, Any]) -> dict[str, Any]:
    """A decision's dict without the ``file:line:col`` of trace conditions (text positions)."""
    out = dict(decision)
    out["rules"] = [
        {**rule, "conditions": [{**c, "source": None} for c in rule["conditions"]]}
        for rule in decision["rules"]
    ]
    return out


def distinct_tickets(cases: list[tuple[Ticket, datetime]]) -> list[tuple[Ticket, datetime]]:
    """Eight tickets per drawn case, each under its own id (so with its own action ids) and
    to be evaluated at its own instant."""
    out = []
    for i, (ticket, now) in enumerate(cases):
        data = ticket.to_dict()
        for k in range(8):
            copy = Ticket.from_mapping({**data, "id": f"{ticket.id}-{i}-{k}"})
            out.append((copy, now + k * timedelta(hours=5, minutes=7)))
    return out


def jobs_of(tickets: list[tuple[Ticket, datetime]]) -> list[tuple[Ticket, datetime]]:
    """Two evaluations per ticket (at its instant and a day later), one after the other, so
    that two threads race on each ticket's lazily folded history."""
    return [(t, now + day) for t, now in tickets for day in (timedelta(0), timedelta(days=1))]


@contextmanager
def frequent_thread_switches() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def cases(
    *, max_events: int = 20, action_done: bool = True, within: timedelta = timedelta(days=20)
) -> st.SearchStrategy[tuple[Ticket, datetime]]:
    # In UTC: the properties add durations to the instant, and Python adds to a zoned
    # datetime on its wall clock, dropping ``fold`` (02:00 of a fall-back night plus nothing
    # would be an hour earlier). Evaluating at a zoned instant is checked by the determinism
    # property, which converts explicitly.
    return et.ticket_cases(max_events=max_events, action_done=action_done, within=within).map(
        lambda case: (case[0], case[1].astimezone(UTC))
    )


# --------------------------------------------------------------------------------------------
# 1. Determinism
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(case=cases(), zone=es.zone_names())
def test_same_inputs_give_identical_decisions(case: tuple[Ticket, datetime], zone: str) -> None:
    ticket, now = case
    expected = POLICY.evaluate(ticket, now=now).to_json()

    again = POLICY.evaluate(ticket, now=now).to_json()
    reread = OTHER_POLICY.evaluate(Ticket.from_mapping(ticket.to_dict()), now=now).to_json()
    elsewhere = POLICY.evaluate(ticket, now=now.astimezone(ZoneInfo(zone))).to_json()

    assert expected == again
    assert expected == reread
    assert expected == elsewhere


CHILD = """
import json, sys
from datetime import datetime
from escalate.policy.loader import load
from escalate.engine.ticket import Ticket

policy = load(sys.argv[1])
out = []
for item in json.load(sys.stdin):
    ticket = Ticket.from_mapping(item["ticket"])
    out.append(policy.evaluate(ticket, now=datetime.fromisoformat(item["now"])).to_json())
sys.stdout.write(json.dumps(out))
"""


def decisions_in_subprocess(jobs: list[tuple[Ticket, datetime]], hash_seed: str) -> list[str]:
    payload = json.dumps([{"ticket": t.to_dict(), "now": now.isoformat()} for t, now in jobs])
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(PACK)],
        input=payload,
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    result: list[str] = json.loads(done.stdout)
    return result


def hash_seeds() -> tuple[str, str]:
    """Two seeds that differ from each other, and at least one from this process's seed."""
    return ("1", "2") if os.environ.get("PYTHONHASHSEED") != "1" else ("3", "4")


def example_jobs() -> list[tuple[Ticket, datetime]]:
    jobs = []
    for path in EXAMPLES:
        ticket = Ticket.from_mapping(json.loads(path.read_text(encoding="utf-8")))
        start = et.last_instant(ticket)
        for offset in (timedelta(0), timedelta(hours=1, minutes=3), timedelta(days=3, hours=2)):
            jobs.append((ticket, start + offset))
    return jobs


def test_example_decisions_are_the_same_bytes_in_other_processes() -> None:
    jobs = example_jobs()
    here = [POLICY.evaluate(ticket, now=now).to_json() for ticket, now in jobs]

    for seed in hash_seeds():
        assert here == decisions_in_subprocess(jobs, seed)


@ONCE
@given(batch=st.lists(cases(max_events=12), min_size=8, max_size=8))
def test_drawn_decisions_are_the_same_bytes_in_other_processes(
    batch: list[tuple[Ticket, datetime]],
) -> None:
    here = [POLICY.evaluate(ticket, now=now).to_json() for ticket, now in batch]

    there = decisions_in_subprocess(batch, hash_seeds()[0])

    assert here == there


@PROPERTY
@given(case=cases())
def test_action_ids_in_a_decision_are_distinct(case: tuple[Ticket, datetime]) -> None:
    ticket, now = case
    ids = [action.id for action in POLICY.evaluate(ticket, now=now).actions]

    assert len(ids) == len(set(ids))


@PROPERTY
@given(case=cases())
def test_a_decision_carries_one_rung_per_clock_and_one_level_per_path(
    case: tuple[Ticket, datetime],
) -> None:
    ticket, now = case
    actions = POLICY.evaluate(ticket, now=now).actions

    rungs = {a.source for a in actions if a.source.startswith("clock:")}
    clocks = [source.split("@")[0] for source in rungs]
    moves = [a.source for a in actions if a.kind in ("escalate", "transfer")]
    assert len(clocks) == len(set(clocks))
    assert len(moves) == len(set(moves))


# --------------------------------------------------------------------------------------------
# 2. Escalation never goes down as time passes
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(
    case=cases(within=timedelta(days=2)),
    offsets=st.lists(es.durations(timedelta(0), timedelta(days=30)), min_size=2, max_size=8),
)
def test_escalation_never_goes_down_as_time_passes(
    case: tuple[Ticket, datetime], offsets: list[timedelta]
) -> None:
    ticket, start = case
    before: dict[str, Any] = {}
    for offset in sorted(offsets):
        now = start + offset
        states = dict(POLICY.evaluate(ticket, now=now).paths)
        for name, old in before.items():
            new = states[name]
            if old.active:
                assert new.active, f"{name} became inactive at {now}"
                assert (new.round, new.level_index) >= (old.round, old.level_index), (
                    f"{name} went down at {now}"
                )
        before = states


# --------------------------------------------------------------------------------------------
# 3. next_evaluation_at is sound
# --------------------------------------------------------------------------------------------

NO_OVERRIDES = dataclasses.replace(et.ITIL, paths=MappingProxyType({}))
SHARES = st.lists(st.integers(0, 1_000_000), max_size=3)  # instants between, per million


def walk(
    ticket: Ticket, now: datetime, caller_records: bool, steps: int = 4
) -> Iterator[tuple[Ticket, datetime, Decision]]:
    """Follow ``next_evaluation_at`` from ``now``: the decisions a caller sees who wakes up only
    then (and, if ``caller_records``, records every due action as done at once)."""
    for _ in range(steps):
        decision = POLICY.evaluate(ticket, now=now)
        if decision.actions and caller_records:
            ticket = with_done(ticket, [a.id for a in decision.actions], now)
            decision = POLICY.evaluate(ticket, now=now)
        yield ticket, now, decision
        if decision.next_evaluation_at is None:
            return
        now = decision.next_evaluation_at


def assert_stable_until_next_evaluation(
    case: tuple[Ticket, datetime],
    records: bool,
    shares: list[int],
    view: Callable[[Decision], object],
) -> None:
    for ticket, now, decision in walk(*case, records):
        seen, wake_at = view(decision), decision.next_evaluation_at
        if wake_at is None:
            for later in (timedelta(hours=1), timedelta(days=9), timedelta(days=200)):
                assert view(POLICY.evaluate(ticket, now=now + later)) == seen, (
                    f"changed by {now + later} with next_evaluation_at None at {now}"
                )
            continue
        assert wake_at > now
        span = wake_at - now
        between = [now + ONE_US, now + span / 2, wake_at - ONE_US]
        between += [now + span * share / 1_000_000 for share in shares]
        for instant in between:
            if now < instant < wake_at:
                assert view(POLICY.evaluate(ticket, now=instant)) == seen, (
                    f"changed at {instant}, before next_evaluation_at {wake_at}"
                )


def assert_changes_at_next_evaluation(case: tuple[Ticket, datetime], records: bool) -> None:
    for ticket, _, decision in walk(*case, records):
        wake_at = decision.next_evaluation_at
        if wake_at is not None:
            assert reach(POLICY.evaluate(ticket, now=wake_at)) != reach(decision), (
                f"nothing changed at next_evaluation_at {wake_at}"
            )


@PROPERTY
@given(
    case=cases(action_done=False, within=timedelta(hours=8)),
    records=st.booleans(),
    shares=SHARES,
)
def test_nothing_changes_before_next_evaluation_at(
    case: tuple[Ticket, datetime], records: bool, shares: list[int]
) -> None:
    assert_stable_until_next_evaluation(case, records, shares, shape)


P1_OPENED_MONDAY = Ticket.from_mapping(
    {"id": "INC3", "opened_at": "2024-01-01T00:00:00Z", "priority": "P1"}
)


@PROPERTY
@example(case=(P1_OPENED_MONDAY, datetime(2024, 1, 1, 4, tzinfo=UTC)), records=False, shares=[])
@given(
    case=cases(action_done=False, within=timedelta(hours=8)),
    records=st.booleans(),
    shares=SHARES,
)
def test_whom_actions_reach_changes_only_at_next_evaluation_at(
    case: tuple[Ticket, datetime], records: bool, shares: list[int]
) -> None:
    assert_stable_until_next_evaluation(case, records, shares, reach)


@PROPERTY
@given(
    case=et.ticket_cases(NO_OVERRIDES, action_done=False, within=timedelta(hours=8)),
    records=st.booleans(),
)
def test_something_changes_at_next_evaluation_at(
    case: tuple[Ticket, datetime], records: bool
) -> None:
    assert_changes_at_next_evaluation(case, records)


NETWORK_OVERRIDE = Ticket.from_mapping(
    {
        "id": "INC4",
        "opened_at": "2024-12-10T17:30:00Z",
        "priority": "P3",
        "events": [
            {
                "at": "2024-12-10T17:30:00Z",
                "type": "override",
                "actor": "anna.schmidt",
                "reason": "customer escalation",
                "path": "network-team",
                "level": "network-ops",
            }
        ],
    }
)


@PROPERTY
@example(case=(NETWORK_OVERRIDE, datetime(2024, 12, 10, 17, 30, tzinfo=UTC)), records=False)
@given(case=cases(action_done=False, within=timedelta(hours=8)), records=st.booleans())
def test_something_changes_at_next_evaluation_at_after_overrides(
    case: tuple[Ticket, datetime], records: bool
) -> None:
    assert_changes_at_next_evaluation(case, records)


# --------------------------------------------------------------------------------------------
# 3b. Once resolved, closed or cancelled, time alone changes nothing
# --------------------------------------------------------------------------------------------

TERMINAL_EVENTS: dict[str, tuple[dict[str, str], ...]] = {
    "resolved": ({"type": "resolved"},),
    "closed": ({"type": "resolved"}, {"type": "closed"}),
    "cancelled": ({"type": "status-changed", "status": "cancelled"},),
}


@st.composite
def ended_tickets(draw: st.DrawFn, end: str) -> tuple[Ticket, datetime]:
    """A drawn ticket that then ends (``end``: resolved, closed or cancelled), and the instant
    of its last event. A ticket that already ended stays as it is if it ended the same way
    (resolved or closed count as one), and is not used otherwise."""
    ticket = draw(et.tickets(max_events=12))
    same = ("cancelled",) if end == "cancelled" else ("resolved", "closed")
    assume(ticket.status in same or ticket.status not in TERMINAL_EVENTS)
    if ticket.status not in same:
        data = ticket.to_dict()
        at = et.last_instant(ticket) + draw(es.durations(timedelta(0), timedelta(hours=12)))
        ending = [{"at": at, **event} for event in TERMINAL_EVENTS[end]]
        data["events"] = [*data["events"], *ending]  # type: ignore[misc]
        data["status"] = end
        ticket = Ticket.from_mapping(data)
    return ticket, et.last_instant(ticket)


def assert_time_alone_changes_nothing(
    ticket: Ticket, end: datetime, offsets: list[timedelta]
) -> None:
    decision = POLICY.evaluate(ticket, now=end)
    assert decision.next_evaluation_at is None, f"{ticket.status} ticket wakes up"
    for offset in offsets:
        later = POLICY.evaluate(ticket, now=end + offset)
        assert shape(later) == shape(decision), f"{ticket.status} ticket changed by {offset}"


LATER = st.lists(es.durations(timedelta(0), timedelta(days=40)), min_size=1, max_size=4)


@PROPERTY
@given(case=st.sampled_from(("resolved", "closed")).flatmap(ended_tickets), offsets=LATER)
def test_a_resolved_ticket_stays_as_it_is(
    case: tuple[Ticket, datetime], offsets: list[timedelta]
) -> None:
    assert_time_alone_changes_nothing(*case, offsets)


CANCELLED_P1 = Ticket.from_mapping(
    {
        "id": "INC1",
        "opened_at": "2024-03-04T10:00:00Z",
        "priority": "P1",
        "events": [{"at": "2024-03-04T10:05:00Z", "type": "status-changed", "status": "cancelled"}],
    }
)


@PROPERTY
@example(case=(CANCELLED_P1, datetime(2024, 3, 4, 10, 5, tzinfo=UTC)), offsets=[timedelta(hours=1)])
@given(case=ended_tickets("cancelled"), offsets=LATER)
def test_a_cancelled_ticket_stays_as_it_is(
    case: tuple[Ticket, datetime], offsets: list[timedelta]
) -> None:
    assert_time_alone_changes_nothing(*case, offsets)


@pytest.mark.parametrize("status", ["resolved", "closed", "cancelled"])
def test_a_ticket_that_arrives_ended_stays_as_it_is(status: str) -> None:
    ticket = Ticket.from_mapping(
        {"id": "INC2", "opened_at": "2024-03-04T10:00:00Z", "priority": "P1", "status": status}
    )

    assert_time_alone_changes_nothing(ticket, ticket.opened_at, [timedelta(hours=1)])


# --------------------------------------------------------------------------------------------
# 4. Idempotent actions
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(
    case=cases(),
    later=st.lists(es.durations(timedelta(0), timedelta(days=60)), max_size=4),
)
def test_recorded_actions_are_never_emitted_again(
    case: tuple[Ticket, datetime], later: list[timedelta]
) -> None:
    ticket, now = case
    decision = POLICY.evaluate(ticket, now=now)
    emitted = {action.id for action in decision.actions}
    recorded = with_done(ticket, sorted(emitted), now)

    same_now = POLICY.evaluate(recorded, now=now)

    assert same_now.actions == ()
    assert state_shape(same_now) == state_shape(decision)
    for offset in later:
        again = POLICY.evaluate(recorded, now=now + offset).actions
        assert not {a.id for a in again} & emitted, f"re-emitted at {now + offset}"
        # The pack's rules read fields that only events change (and path levels, which only
        # rise): without events a rule that fired keeps its trigger instance.
        refired = {rule_action(a.id) for a in again} & {rule_action(i) for i in emitted}
        assert refired <= {None}, f"rule fired again under a new trigger instance: {refired}"


def rule_action(action_id: str) -> tuple[str, str] | None:
    """``(rule id, action)`` of a rule's action id (``<ticket>:rule:<id>:<stamp>:<action>``),
    ``None`` for clock and path actions."""
    parts = action_id.split(":")
    return (parts[2], parts[4]) if len(parts) == 5 and parts[1] == "rule" else None


# --------------------------------------------------------------------------------------------
# 5. YAML key order and unrelated rules change nothing
# --------------------------------------------------------------------------------------------


@FEW
@given(data=et.reordered_keys(PACK_DATA), batch=st.lists(cases(), min_size=5, max_size=5))
def test_reordering_the_packs_keys_changes_no_decision(
    data: object, batch: list[tuple[Ticket, datetime]]
) -> None:
    reordered = loads(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    assert reordered.content_hash == POLICY.content_hash
    for ticket, now in batch:
        expected = without_sources(POLICY.evaluate(ticket, now=now).to_dict())
        assert without_sources(reordered.evaluate(ticket, now=now).to_dict()) == expected


def outcome(decision: Decision) -> dict[str, Any]:
    """A decision's dict without what depends on the policy's text (hash, digest, trace)."""
    out = decision.to_dict(trace=False)
    del out["policy"], out["input_digest"]
    return out


@FEW
@given(data=et.inserted_rules(PACK_DATA), batch=st.lists(cases(), min_size=5, max_size=5))
def test_a_rule_that_never_matches_changes_no_decision(
    data: dict[str, object], batch: list[tuple[Ticket, datetime]]
) -> None:
    policy = loads(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    known = {rule.id for rule in POLICY.rules}

    for ticket, now in batch:
        expected, actual = POLICY.evaluate(ticket, now=now), policy.evaluate(ticket, now=now)
        assert outcome(actual) == outcome(expected)
        statuses = {r.rule.id: r.status for r in actual.rule_results if r.rule.id in known}
        assert statuses == {r.rule.id: r.status for r in expected.rule_results}


# --------------------------------------------------------------------------------------------
# 6. One compiled policy, many threads
# --------------------------------------------------------------------------------------------


@ONCE
@given(batch=st.lists(cases(max_events=10), min_size=25, max_size=25))
def test_threads_sharing_a_policy_decide_as_one_thread_does(
    batch: list[tuple[Ticket, datetime]],
) -> None:
    tickets = distinct_tickets(batch)
    assert len({t.id for t, _ in tickets}) == 200
    serial = [POLICY.evaluate(ticket, now=now).to_json() for ticket, now in jobs_of(tickets)]
    fresh = jobs_of([(Ticket.from_mapping(t.to_dict()), now) for t, now in tickets])

    with frequent_thread_switches(), concurrent.futures.ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda job: POLICY.evaluate(job[0], now=job[1]).to_json(), fresh))

    assert threaded == serial
