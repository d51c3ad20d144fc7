"""Evaluation time is bounded by the size of the input, not by the values in it.

Nothing here is timed (timing lives in ``bench/``): each test makes one evaluation whose cost
explodes if a lookup walks the time between two instants, a history fold copies state per
event, or a regular expression backtracks. With linear-time code the whole file takes well
under a second; a regression makes it visibly slow (the sizes are chosen so that the old
quadratic history fold and linear hand-off walk took seconds, not minutes). Every evaluation
must still answer with a ``Decision`` or an ``EscalateError``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalate.engine.compiled import Policy
from escalate.errors import EscalateError
from escalate.policy.loader import loads
from tests.fuzz.hostile import (
    EXAMPLE_TICKETS,
    PACK_TEXT,
    SMALL_CLOCKS,
    SMALL_ONCALL,
    SMALL_TICKETS,
    default_recursion_limit,
    failure,
    huge_int,
    show,
)

PACK = loads(PACK_TEXT)
CLOCKS = loads(SMALL_CLOCKS)
ONCALL = loads(SMALL_ONCALL)

#: Durations at the format's limits, business days on a calendar compiled for 130 years.
LONG_TARGETS = loads(
    """
policy: long
version: 1
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["08:00-17:00"]}
    years: [1970, 2100]
clocks:
  resolution:
    stop: {status: [resolved, closed]}
    targets:
      P1: {within: 36600d}
      P2: {within: 25000bd, calendar: office}
      default: {within: 36600d, calendar: office}
    ladder:
      - {at: 1%, notify: {to: [assignee]}}
      - {at: 1000%, require_postmortem: {within: 36600d}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 25000bd, calendar: office}
      - {name: L2, targets: ["team:ops"], after: 36600d, ack_timeout: 36600d}
      - {name: L3, targets: ["team:ops"]}
rules:
  - id: slow
    when: {clock.resolution.elapsed: {gte: 36600d}}
    then: {notify: {to: [assignee]}}
"""
)

#: A ``matches:`` condition that backtracks exponentially in a backtracking engine.
REDOS = loads(
    """
policy: redos
version: 1
rules:
  - id: nested-quantifier
    when: {category: {matches: "^(a+)+$"}, subcategory: {matches: "^(a|aa)+$"}}
    then: {notify: {to: [assignee]}}
"""
)


def decide(policy: Policy, ticket: Any, now: datetime) -> None:
    """Evaluate once; a ``Decision`` or an ``EscalateError`` is an answer, anything else fails."""
    try:
        with default_recursion_limit():
            policy.evaluate(ticket, now=now).to_json()
    except EscalateError:
        return
    except Exception as exc:
        case = f"ticket={show(ticket, 300)}, now={now.isoformat()}"
        raise AssertionError(
            failure("evaluate() let a foreign exception escape", case, exc)
        ) from exc


def opened(at: datetime, ticket: dict[str, Any]) -> dict[str, Any]:
    """``ticket`` moved so that it opens at ``at`` (its events keep their distances)."""
    out = copy.deepcopy(ticket)
    start = datetime.fromisoformat(out["opened_at"])
    shift = at - start
    out["opened_at"] = at.isoformat()
    for event in out.get("events", []):
        event["at"] = (datetime.fromisoformat(event["at"]) + shift).isoformat()
    return out


SPANS = {
    "fifty-years": (datetime(2024, 11, 20, 11, 20, tzinfo=UTC), datetime(2074, 11, 20, tzinfo=UTC)),
    "1970-to-2100": (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)),
    "1970-to-9999": (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 29, tzinfo=UTC)),
}


@pytest.mark.parametrize("span", ["fifty-years", "1970-to-2100"])
@pytest.mark.parametrize("ticket", ["INC0010001", "INC0010003", "INC0010006"])
def test_the_pack_decides_decades_after_opening(span: str, ticket: str) -> None:
    start, now = SPANS[span]
    decide(PACK, opened(start, EXAMPLE_TICKETS[ticket]), now)


@pytest.mark.parametrize("span", list(SPANS))
@pytest.mark.parametrize(
    ("policy", "ticket"),
    [(CLOCKS, "big-customer"), (CLOCKS, "paused-p2"), (ONCALL, "reopened")],
    ids=["clocks-p1", "clocks-paused", "oncall-reopened"],
)
def test_a_small_policy_decides_at_any_distance_from_opening(
    span: str, policy: Policy, ticket: str
) -> None:
    start, now = SPANS[span]
    if policy is ONCALL and span == "1970-to-9999":
        now = datetime(2224, 1, 1, tzinfo=UTC)  # a daily rota: two centuries of hand-offs
    decide(policy, opened(start, SMALL_TICKETS[ticket]), now)


@pytest.mark.parametrize("priority", ["P1", "P2", "P3"])
@pytest.mark.parametrize(
    "now", [datetime(2024, 11, 21, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)], ids=str
)
def test_targets_and_delays_at_the_format_limits_are_decided(priority: str, now: datetime) -> None:
    ticket = opened(datetime(1970, 1, 5, 9, tzinfo=UTC), SMALL_TICKETS["reopened"])
    ticket["priority"] = priority
    decide(LONG_TARGETS, ticket, now)


def _history(kinds: list[dict[str, Any]], count: int) -> dict[str, Any]:
    start = datetime(2024, 11, 20, 10, tzinfo=UTC)
    events = [{"at": start.isoformat(), "type": "created"}]
    for i in range(count):
        at = start + timedelta(seconds=i + 1)
        events.append({"at": at.isoformat(), **kinds[i % len(kinds)]})
    return {"id": "H1", "opened_at": start.isoformat(), "priority": "P1", "events": events}


HISTORIES = {
    "action-done": [{"type": "action-done", "action_id": "H1:rule:p1-bridge:x:open_bridge0"}],
    "distinct-action-done": None,  # filled per index below
    "ping-pong": [
        {"type": "assigned", "group": "service-desk"},
        {"type": "assigned", "group": "second-line"},
    ],
    "pause-resume": [
        {"type": "status-changed", "status": "awaiting-user-info"},
        {"type": "status-changed", "status": "in-progress"},
    ],
    "resolve-reopen": [{"type": "resolved"}, {"type": "reopened"}],
    "priority-flip": [
        {"type": "priority-changed", "priority": "P2"},
        {"type": "priority-changed", "priority": "P1"},
    ],
    "acknowledge": [{"type": "acknowledged", "actor": "anna.schmidt"}, {"type": "comment"}],
}
EVENTS = 3000


@pytest.mark.parametrize("kind", list(HISTORIES))
def test_a_long_history_is_decided(kind: str) -> None:
    kinds = HISTORIES[kind]
    if kinds is None:
        kinds = [{"type": "action-done", "action_id": f"H1:ext:{i}"} for i in range(EVENTS)]
    ticket = _history(kinds, EVENTS)
    decide(PACK, ticket, datetime(2024, 11, 20, 12, tzinfo=UTC))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("reassignment_count", 2**63 - 1),
        ("reassignment_count", huge_int(5000)),
        ("reopen_count", 2**63),
        ("reopen_count", huge_int(4301)),
    ],
    ids=[
        "reassignments-2**63-1",
        "reassignments-5000-digits",
        "reopens-2**63",
        "reopens-4301-digits",
    ],
)
def test_a_huge_counter_is_decided(key: str, value: int) -> None:
    ticket = copy.deepcopy(EXAMPLE_TICKETS["INC0010003"])
    ticket[key] = value
    decide(PACK, ticket, datetime(2024, 11, 21, tzinfo=UTC))


@pytest.mark.parametrize("length", [16, 24])
def test_a_value_against_a_nested_quantifier_is_decided(length: int) -> None:
    ticket = copy.deepcopy(SMALL_TICKETS["big-customer"])
    ticket["category"] = "a" * length + "!"
    ticket["subcategory"] = "a" * length + "!"
    decide(REDOS, ticket, datetime(2024, 11, 21, tzinfo=UTC))
