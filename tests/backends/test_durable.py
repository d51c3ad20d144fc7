"""The durable backend as a user meets it: binding a policy, the errors, exact answers.

``Policy.with_backend("durable")`` (and ``backend="durable"`` on every evaluating call) must
give byte for byte the decision the native backend gives: every test here compares with the
native answer and, for the comparisons durable_rules is known to get wrong on its own (64-bit
integers, non-ASCII text, percents with six decimals, a half-open calendar window), with the
answer worked out by hand too. The errors a user can meet are checked for their class and for
what their message tells them to do.

Tests that need durable_rules skip, with the reason, when it is not installed
(``pip install 'escalate[durable]'``; ``make test`` installs it, so CI runs them all).
"""

from __future__ import annotations

import json
import pickle
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import escalate
from escalate import Policy, Ticket
from escalate._models import MAX_INT, MIN_INT
from escalate.engine.conditions import Leaf, Node
from escalate.engine.rules import PolicyView, RuleDef
from escalate.errors import ArgumentError, EscalateError, MissingExtraError, PolicyError
from escalate.policy.loader import loads
from tests import durable_helpers
from tests.policy_helpers import OFFICE, policy, rule_status, ticket, utc, yaml_text

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"


needs_durable = durable_helpers.needs_durable
_MISSING = durable_helpers.MISSING

if _MISSING is None:
    from escalate.engine.durable import DurableError, DurableMatcher


@cache
def pack() -> Policy:
    """The shipped pack, loaded once (its segments: ``uk`` on London's calendar, ``globex``)."""
    return escalate.load(PACK)


def example_tickets() -> list[dict[str, Any]]:
    """The example tickets, each as a mapping (as a ticketing system sends it)."""
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
    ]


# After the last example ticket's last event (2024-11-20 13:05 UTC).
LATER = datetime(2024, 11, 20, 14, 0, tzinfo=UTC)


def same(native: escalate.Decision, durable: escalate.Decision) -> None:
    """The two decisions are one: the same rule results (compared first, for a readable
    failure), the same JSON, trace included."""
    assert _statuses(durable) == _statuses(native)
    assert durable.to_json() == native.to_json()


def _statuses(decision: escalate.Decision) -> dict[str, str]:
    return {r.rule.id: r.status for r in decision.rule_results}


# -- binding ----------------------------------------------------------------------------------


@needs_durable
def test_with_backend_binds_a_copy_and_leaves_the_policy_native() -> None:
    original = pack()
    bound = original.with_backend("durable")
    assert bound.backend == "durable"
    assert isinstance(bound.matcher, DurableMatcher)
    assert original.backend == "native" and original.matcher is None
    assert bound is not original
    assert bound.content_hash == original.content_hash
    assert bound.id == original.id and bound.rules == original.rules
    # Asking again costs a lookup: the same bound policy, the same compiled matcher.
    assert original.with_backend("durable") is bound
    # The segments' policies are bound to the same matcher; the original's stay native.
    assert [s.id for s in bound.segments] == [s.id for s in original.segments] == ["uk", "globex"]
    for segment in bound.segments:
        assert isinstance(segment.policy, Policy)
        assert segment.policy.backend == "durable"
        assert segment.policy.matcher is bound.matcher
    for segment in original.segments:
        assert isinstance(segment.policy, Policy)
        assert segment.policy.backend == "native"


@needs_durable
def test_native_rebinds_a_bound_policy_and_native_on_native_is_the_policy_itself() -> None:
    original = pack()
    bound = original.with_backend("durable")
    back = bound.with_backend("native")
    assert back.backend == "native" and back.matcher is None
    assert all(isinstance(s.policy, Policy) and s.policy.matcher is None for s in back.segments)
    for t in example_tickets():
        same(original.evaluate(t, now=LATER), back.evaluate(t, now=LATER))
    assert original.with_backend("native") is original
    assert original.with_backend(None) is original


# Instants chosen where Berlin's office (the pack's calendar) and London's (the uk segment's)
# disagree: 07:30 UTC Berlin is open and London closed; 17:15 UTC Berlin is closed and London
# open; and a Saturday noon and a weekday noon where they agree.
SEGMENT_INSTANTS = [
    "2024-11-20T07:30:00+00:00",
    "2024-11-20T12:00:00+00:00",
    "2024-11-20T17:15:00+00:00",
    "2024-11-23T12:00:00+00:00",
]
SEGMENT_TICKETS = {
    None: {"id": "B1", "priority": "P1"},
    "uk": {"id": "U1", "priority": "P1", "region": "uk"},
    "globex": {"id": "G1", "priority": "Sev A", "business_unit": "globex"},
}


@needs_durable
@pytest.mark.parametrize("segment", list(SEGMENT_TICKETS), ids=str)
@pytest.mark.parametrize("now", SEGMENT_INSTANTS)
def test_each_segment_decides_as_natively(segment: str | None, now: str) -> None:
    """Each segment's rules are matched with its own conditions and calendars: the pack's
    after-hours rule pages on Berlin's office hours, the uk segment's on London's."""
    tkt = {**SEGMENT_TICKETS[segment], "opened_at": "2024-11-20T06:00:00+00:00"}
    if now.startswith("2024-11-23"):
        tkt["opened_at"] = "2024-11-23T06:00:00+00:00"
    native = pack().evaluate(tkt, now=utc(now))
    durable = pack().with_backend("durable").evaluate(tkt, now=utc(now))
    assert native.segment == segment
    same(native, durable)


SEGMENT_RULES = """
rules:
  - id: r
    when: {priority: P1}
    then: {notify: {to: [assignee]}}
segments:
  - id: network
    when: {category: network}
    precedence: 10
    rules:
      - id: r
        when: {priority: P2}
        then: {notify: {to: [assignee]}}
"""


@needs_durable
@pytest.mark.parametrize(
    ("fields", "segment", "expected"),
    [
        ({"priority": "P1"}, None, "matched"),
        ({"priority": "P2"}, None, "not-matched"),
        ({"priority": "P1", "category": "network"}, "network", "not-matched"),
        ({"priority": "P2", "category": "network"}, "network", "matched"),
    ],
)
def test_a_segment_that_rewrites_a_rule_keeps_its_own_condition(
    fields: dict[str, str], segment: str | None, expected: str
) -> None:
    """A segment may replace a rule by id: the policy and the segment share the content hash
    and the rule ids, yet each must be matched with its own ``when``."""
    p = policy(SEGMENT_RULES)
    tkt = ticket(**fields)
    now = utc("2024-11-20T12:00:00+00:00")
    native = p.evaluate(tkt, now=now)
    durable = p.with_backend("durable").evaluate(tkt, now=now)
    assert native.segment == durable.segment == segment
    assert rule_status(native, "r") == expected
    assert rule_status(durable, "r") == expected


@needs_durable
def test_evaluate_with_a_backend_argument_gives_the_bound_policys_decision() -> None:
    original = pack()
    bound = original.with_backend("durable")
    for t in example_tickets():
        native = original.evaluate(t, now=LATER)
        same(native, original.evaluate(t, now=LATER, backend="durable"))
        same(native, bound.evaluate(t, now=LATER))
        same(native, bound.evaluate(t, now=LATER, backend="native"))


@needs_durable
def test_evaluate_with_a_backend_argument_reuses_the_bound_matcher() -> None:
    """``evaluate(..., backend="durable")`` compiles nothing: it asks the matcher bound once,
    one durable session per group of rules the evaluation matches."""
    original = pack()
    matcher = original.with_backend("durable").matcher
    assert isinstance(matcher, DurableMatcher)
    compiled = dict(matcher._rulesets)
    t = example_tickets()[0]  # the pack's own rules: two groups (plain, reading path levels)
    before = next(matcher._sessions)
    original.evaluate(t, now=LATER, backend="durable")
    after = next(matcher._sessions)
    assert after - before - 1 == 2
    assert matcher._rulesets == compiled


@needs_durable
def test_evaluate_many_and_sweep_with_the_durable_backend_decide_as_natively() -> None:
    original = pack()
    tickets = example_tickets()
    natives = list(original.evaluate_many(tickets, now=LATER))
    durables = list(original.evaluate_many(tickets, now=LATER, backend="durable"))
    assert len(natives) == len(durables) == len(tickets)
    for native, durable in zip(natives, durables, strict=True):
        same(native, durable)

    first_native = list(original.sweep([(t, None) for t in tickets], now=LATER))
    first_durable = list(original.sweep([(t, None) for t in tickets], now=LATER, backend="durable"))
    assert [s.evaluated for s in first_durable] == [True] * len(tickets)
    for native, durable in zip(first_native, first_durable, strict=True):
        same(native.decision, durable.decision)
    # A second sweep an hour later: the tickets not due keep their previous decision.
    later = LATER + timedelta(hours=1)
    again_native = list(
        original.sweep(
            [(t, s.decision) for t, s in zip(tickets, first_native, strict=True)], now=later
        )
    )
    again_durable = list(
        original.sweep(
            [(t, s.decision) for t, s in zip(tickets, first_durable, strict=True)],
            now=later,
            backend="durable",
        )
    )
    assert [s.evaluated for s in again_durable] == [s.evaluated for s in again_native]
    assert not all(s.evaluated for s in again_native)  # the test covers both kinds
    for native, durable in zip(again_native, again_durable, strict=True):
        same(native.decision, durable.decision)


@needs_durable
def test_replay_with_the_durable_backend_decides_as_natively() -> None:
    original = pack()
    data = example_tickets()[0]
    full = Ticket.from_mapping(data)
    start = Ticket.from_mapping({**data, "events": data["events"][:2]})
    rest = full.events[2:]
    native = original.replay(start)
    durable = original.replay(start, backend="durable")
    steps: list[tuple[str, datetime]] = [("decide", full.events[1].at + timedelta(minutes=1))]
    steps += [("update", e.at) for e in rest]
    # Instants where Berlin's office and the uk segment's London office agree (segments are
    # the subject of test_each_segment_decides_as_natively).
    steps += [("decide", LATER), ("decide", LATER + timedelta(hours=1, minutes=30))]
    added = iter(rest)
    for kind, at in steps:
        if kind == "update":
            event = next(added)
            a = native.update(events=[event], now=at)
            b = durable.update(events=[event], now=at)
        else:
            a, b = native.decide(at), durable.decide(at)
        same(a, b)
    assert durable.ticket == native.ticket


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["drools", "Durable", "", "durable_rules"])
def test_an_unknown_backend_name_is_an_argument_error_naming_it(name: str) -> None:
    p = policy("rules: []\n")
    with pytest.raises(ArgumentError, match=f"unknown backend '{name}'") as caught:
        p.with_backend(name)
    assert "'native' or 'durable'" in str(caught.value)
    tkt = ticket()
    now = utc("2024-11-20T12:00:00+00:00")
    with pytest.raises(ArgumentError, match=f"unknown backend '{name}'"):
        p.evaluate(tkt, now=now, backend=name)
    with pytest.raises(ArgumentError, match=f"unknown backend '{name}'"):
        p.evaluate_many([tkt], now=now, backend=name)
    with pytest.raises(ArgumentError, match=f"unknown backend '{name}'"):
        p.replay(tkt, backend=name)


@pytest.mark.parametrize("backend", [42, object(), b"durable", ["durable"]])
def test_a_backend_that_is_no_matcher_is_an_argument_error(backend: object) -> None:
    p = policy("rules: []\n")
    with pytest.raises(ArgumentError, match=type(backend).__name__):
        p.with_backend(backend)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="backend must be 'native', 'durable' or a Matcher"):
        p.evaluate(ticket(), now=utc("2024-11-20T12:00:00+00:00"), backend=backend)  # type: ignore[arg-type]


def test_without_the_extra_the_durable_backend_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs whether or not durable_rules is installed: ``None`` in ``sys.modules`` makes
    importing it fail as it fails where it is missing."""
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)
    # A policy never bound before (a bound one is kept, and needs no import).
    p = loads(
        yaml_text(
            "rules: [{id: r, when: {priority: P1}, then: {notify: {to: [assignee]}}}]\n"
            "description: missing extra\n"
        ),
        filename="p.yaml",
    )
    with pytest.raises(MissingExtraError) as caught:
        p.with_backend("durable")
    assert "pip install 'escalate[durable]'" in str(caught.value)
    assert isinstance(caught.value, ImportError)
    tkt = ticket()
    now = utc("2024-11-20T12:00:00+00:00")
    with pytest.raises(MissingExtraError, match=r"pip install 'escalate\[durable\]'"):
        p.evaluate(tkt, now=now, backend="durable")
    # The native backend needs nothing.
    assert rule_status(p.evaluate(tkt, now=now), "r") == "matched"
    assert rule_status(p.evaluate(tkt, now=now, backend="native"), "r") == "matched"


def _with_rules(p: Policy, rules: tuple[RuleDef, ...]) -> Policy:
    """``p`` with other compiled rules: how a condition no YAML can write reaches a backend."""
    clone: Policy = object.__new__(Policy)
    for slot in Policy.__slots__:
        object.__setattr__(clone, slot, getattr(p, slot))
    object.__setattr__(clone, "rules", rules)
    object.__setattr__(clone, "_bound", {"native": clone})
    object.__setattr__(clone, "_binding", threading.Lock())
    return clone


UNKNOWN_BODY = """
custom_fields: {u_score: integer}
clocks:
  res:
    stop: {status: [resolved]}
    targets: {default: {within: 4h}}
rules:
  - id: fine
    when: {priority: P1}
    then: {notify: {to: [assignee]}}
  - id: odd
    when: {any: [{priority: P2}, {not: {category: network}}]}
    then: {notify: {to: [assignee]}}
"""


def _refused(replacement: Leaf) -> PolicyError:
    """Bind a policy whose rule ``odd`` has ``replacement`` as the ``not``'s leaf."""
    p = policy(UNKNOWN_BODY)
    odd = p.rules[1]
    assert isinstance(odd.when, Node) and odd.when.kind == "any"
    negation = odd.when.children[1]
    assert isinstance(negation, Node) and negation.kind == "not"
    when = replace(
        odd.when, children=(odd.when.children[0], replace(negation, children=(replacement,)))
    )
    rules = (p.rules[0], replace(odd, when=when))
    changed = _with_rules(p, rules)
    with pytest.raises(PolicyError) as caught:
        changed.with_backend("durable")
    # The native backend still evaluates it: only the binding is refused.
    changed.evaluate(ticket(), now=utc("2024-11-20T12:00:00+00:00"))
    return caught.value


LEAF_PATH = ("rules", 1, "when", "any", 1, "not", "category", "frobnicate")


@needs_durable
def test_a_leaf_with_an_unknown_operator_is_refused_at_bind_with_its_key_path() -> None:
    leaf = Leaf("category", "frobnicate", "network", LEAF_PATH, lambda f: True)
    error = _refused(leaf)
    assert error.path == LEAF_PATH
    assert "category frobnicate" in error.message
    assert "native backend" in error.message


@needs_durable
def test_an_ordering_against_a_string_is_refused_at_bind() -> None:
    """durable would compare ``"abc" >= 30`` and the like; the rewriter refuses any ordering
    whose operand is not an integer rather than guess."""
    path = ("rules", 1, "when", "any", 1, "not", "fields.u_score", "gt")
    leaf = Leaf(
        "fields.u_score", "gt", "30", path, lambda f: False, operand=("fields.u_score", "30")
    )
    error = _refused(leaf)
    assert error.path == path
    assert "'30'" in error.message


@needs_durable
def test_a_percent_finer_than_six_decimals_is_refused_at_bind() -> None:
    path = ("rules", 1, "when", "any", 1, "not", "clock.res.percent", "gte")
    leaf = Leaf(
        "clock.res.percent", "gte", "100/3", path, lambda f: False, threshold=Fraction(1, 3)
    )
    error = _refused(leaf)
    assert error.path == path
    assert "six decimals" in error.message


class FakeEngine:
    """durable_rules' C module, failing where told to, recording the sessions deleted.

    A failing call never reaches the real module: durable_rules 2.0.28 aborts the process
    (a double free) when a session whose actions were never started is deleted, so a session
    the fake made fail is never handed to it. Deleting a session that does not exist raises
    what the real module raises (its ``error``, code 309).
    """

    def __init__(self, real: Any, fail_in: str | None) -> None:
        self.real = real
        self.fail_in = fail_in
        self.asserted: list[str] = []
        self.deleted: list[str] = []
        self._fake: set[str] = set()  # sessions the fake made, the real module never saw

    def assert_fact(self, handle: int, fact: str) -> Any:
        sid = json.loads(fact)["sid"]
        self.asserted.append(sid)
        if self.fail_in == "assert_fact":
            raise self.real.error("Could not assert fact, error code: 101")
        if self.fail_in == "start_action_for_state":
            self._fake.add(sid)
            return (0, 0)
        if self.fail_in == "no-match":
            self._fake.add(sid)
            return (1, 0)
        return self.real.assert_fact(handle, fact)

    def start_action_for_state(self, handle: int, state: int) -> Any:
        if self.fail_in == "start_action_for_state":
            raise self.real.error("Could not start action, error code: 302")
        return self.real.start_action_for_state(handle, state)

    def complete_and_start_action(self, handle: int, state: int) -> Any:
        return self.real.complete_and_start_action(handle, state)

    def delete_state(self, handle: int, sid: str) -> None:
        self.deleted.append(sid)
        if self.fail_in == "delete_state":
            self.real.delete_state(handle, sid)  # deleted all the same: nothing leaks here
            raise self.real.error("Could not delete state, error code: 309")
        if sid in self._fake:
            self._fake.discard(sid)
        elif self.fail_in == "assert_fact":  # never created: durable says so
            raise self.real.error("Could not delete state, error code: 309")
        else:
            self.real.delete_state(handle, sid)


def _fail_in_the_core(monkeypatch: pytest.MonkeyPatch, fail_in: str) -> tuple[Policy, FakeEngine]:
    p = policy(UNKNOWN_BODY)
    bound = p.with_backend("durable")
    matcher = bound.matcher
    assert isinstance(matcher, DurableMatcher)
    fake = FakeEngine(matcher._engine, fail_in)
    monkeypatch.setattr(matcher, "_engine", fake)
    return bound, fake


@needs_durable
@pytest.mark.parametrize(
    ("fail_in", "says"),
    [
        ("start_action_for_state", "error code: 302"),
        ("no-match", "did not match its catch-all rule"),
    ],
)
def test_a_failure_in_the_c_core_is_a_durable_error_and_the_session_is_left_to_durable(
    monkeypatch: pytest.MonkeyPatch, fail_in: str, says: str
) -> None:
    """A session whose actions were not all taken is not deleted: durable_rules 2.0.28
    aborts the process deleting one (see FakeEngine). The next call works and is deleted."""
    bound, fake = _fail_in_the_core(monkeypatch, fail_in)
    tkt = ticket(priority="P1")
    now = utc("2024-11-20T12:00:00+00:00")
    with pytest.raises(DurableError, match=says) as caught:
        bound.evaluate(tkt, now=now)
    assert isinstance(caught.value, EscalateError)
    assert len(fake.asserted) == 1
    assert fake.deleted == []  # never handed to a delete that would crash the process
    # The matcher is not left broken (its lock released, nothing half-kept): it works again.
    fake.fail_in = None
    same(policy(UNKNOWN_BODY).evaluate(tkt, now=now), bound.evaluate(tkt, now=now))
    assert fake.deleted == fake.asserted[1:] and len(fake.asserted) == 2


@needs_durable
def test_a_fact_durable_refuses_is_a_durable_error_naming_the_cores_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The C core raising in ``assert_fact`` (``error code: 101``; at its 1,024-session cap
    it raises MemoryError) creates no session: deleting it then fails too (code 309), and
    that second failure must not hide the first nor leave the library as durable's own
    exception; it is not tried."""
    bound, fake = _fail_in_the_core(monkeypatch, "assert_fact")
    tkt = ticket(priority="P1")
    now = utc("2024-11-20T12:00:00+00:00")
    with pytest.raises(DurableError, match="error code: 101"):
        bound.evaluate(tkt, now=now)
    assert fake.deleted == []  # no session to delete, and none tried
    fake.fail_in = None
    same(policy(UNKNOWN_BODY).evaluate(tkt, now=now), bound.evaluate(tkt, now=now))


@needs_durable
def test_a_session_durable_cannot_delete_is_a_durable_error_not_durables_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bound, fake = _fail_in_the_core(monkeypatch, "delete_state")
    tkt = ticket(priority="P1")
    now = utc("2024-11-20T12:00:00+00:00")
    with pytest.raises(DurableError, match=r"could not delete session .*error code: 309"):
        bound.evaluate(tkt, now=now)
    assert fake.deleted == fake.asserted[:1]  # the first call's delete failed: no decision
    fake.fail_in = None
    same(policy(UNKNOWN_BODY).evaluate(tkt, now=now), bound.evaluate(tkt, now=now))


# -- exactness ----------------------------------------------------------------------------------

EXACT_BODY = (
    """
custom_fields: {u_score: integer, u_contact: string}
clocks:
  res:
    stop: {status: [resolved]}
    targets: {default: {within: 4h}}
"""
    + OFFICE
    + """
rules:
  - id: r
    when: WHEN
    then: {notify: {to: [assignee]}}
"""
)
OPENED = "2024-11-20T10:00:00+00:00"  # a Wednesday; the 4 h clock breaches at 14:00


def holds(when: str, now: str, opened: str = OPENED, **fields: Any) -> bool:
    """Whether rule ``r`` (``when:`` in flow YAML) matches at ``now``; the native and the
    durable decisions must be the same, byte for byte."""
    p = policy(EXACT_BODY.replace("WHEN", when))
    tkt = ticket(opened, **fields)
    native = p.evaluate(tkt, now=utc(now))
    durable = p.evaluate(tkt, now=utc(now), backend="durable")
    same(native, durable)
    return rule_status(durable, "r") == "matched"


def at(clock: str) -> str:
    """An instant on 2024-11-20 UTC, ``HH:MM:SS[.ffffff]``."""
    return f"2024-11-20T{clock}+00:00"


# 75 % of 4 h is 3 h exactly: 13:00:00.
PERCENT_CASES = [
    ("{clock.res.percent: {gte: 75}}", at("13:00:00"), True),
    ("{clock.res.percent: {gt: 75}}", at("13:00:00"), False),
    ("{clock.res.percent: {lte: 75}}", at("13:00:00"), True),
    ("{clock.res.percent: {lt: 75}}", at("13:00:00"), False),
    ("{clock.res.percent: {gte: 75}}", at("12:59:59.999999"), False),
    ("{clock.res.percent: {lt: 75}}", at("12:59:59.999999"), True),
    ("{clock.res.percent: {gt: 75}}", at("13:00:00.000001"), True),
    ("{clock.res.percent: {lte: 75}}", at("13:00:00.000001"), False),
    # 33.333333 % of 14,400 s is 4,799.999952 s: 11:19:59.999952.
    ("{clock.res.percent: {gte: 33.333333}}", at("11:19:59.999952"), True),
    ("{clock.res.percent: {gt: 33.333333}}", at("11:19:59.999952"), False),
    ("{clock.res.percent: {gte: 33.333333}}", at("11:19:59.999951"), False),
    ("{clock.res.percent: {gt: 33.333333}}", at("11:19:59.999953"), True),
    ("{clock.res.percent: {lte: 33.333333}}", at("11:19:59.999952"), True),
    ("{clock.res.percent: {lt: 33.333333}}", at("11:19:59.999952"), False),
    # 0.000001 % of 4 h is 144 µs.
    ("{clock.res.percent: {gte: 0.000001}}", at("10:00:00.000144"), True),
    ("{clock.res.percent: {gte: 0.000001}}", at("10:00:00.000143"), False),
    ("{clock.res.percent: {gt: 0}}", at("10:00:00.000001"), True),
    # 1000 % of 4 h is 40 h: 2024-11-22 02:00.
    ("{clock.res.percent: {gte: 1000}}", "2024-11-22T02:00:00+00:00", True),
    ("{clock.res.percent: {gt: 1000}}", "2024-11-22T02:00:00+00:00", False),
    ("{clock.res.percent: {gt: 1000}}", "2024-11-22T02:00:00.000001+00:00", True),
    ("{clock.res.percent: {exists: true}}", at("12:00:00"), True),
    ("{clock.res.percent: {exists: false}}", at("12:00:00"), False),
]
DURATION_CASES = [
    ("{clock.res.elapsed: {gte: 2h}}", at("12:00:00"), True),
    ("{clock.res.elapsed: {gt: 2h}}", at("12:00:00"), False),
    ("{clock.res.elapsed: {gte: 2h}}", at("11:59:59.999999"), False),
    ("{clock.res.elapsed: {gt: 2h}}", at("12:00:00.000001"), True),
    ("{clock.res.remaining: {lte: 1h}}", at("13:00:00"), True),
    ("{clock.res.remaining: {lt: 1h}}", at("13:00:00"), False),
    ("{clock.res.remaining: {gt: 1h}}", at("12:59:59.999999"), True),
    ("{clock.res.remaining: {lt: 1h}}", at("13:00:00.000001"), True),
    # Past the breach the remaining time is negative: below every duration.
    ("{clock.res.remaining: {lt: 1m}}", at("15:00:00"), True),
    ("{clock.res.remaining: {gte: 1m}}", at("15:00:00"), False),
]


@needs_durable
@pytest.mark.parametrize(("when", "now", "expected"), PERCENT_CASES + DURATION_CASES)
def test_clock_comparisons_are_exact_to_the_microsecond(
    when: str, now: str, expected: bool
) -> None:
    assert holds(when, now) is expected


@needs_durable
@pytest.mark.parametrize(
    ("when", "now", "expected"),
    [
        ("{clock.res.breached: true}", at("15:00:00"), True),
        ("{clock.res.breached: true}", at("13:00:00"), False),
        ("{clock.res.breached: false}", at("13:00:00"), True),
        ("{clock.res.state: running}", at("13:00:00"), True),
        ("{clock.res.state: {ne: running}}", at("13:00:00"), False),
        ("{clock.res.state: {in: [paused, stopped]}}", at("13:00:00"), False),
    ],
)
def test_clock_state_and_breach_conditions_bind_and_match(
    when: str, now: str, expected: bool
) -> None:
    """Plain comparisons of a clock's state and breach flag (a string and a boolean fact)
    are as exact in durable as any other field's: nothing to refuse."""
    assert holds(when, now) is expected


@needs_durable
@pytest.mark.parametrize(
    ("elapsed", "op", "percent", "expected"),
    [
        (0, "gte", 100, True),
        (0, "lte", 100, True),
        (0, "gt", 100, False),
        (0, "lt", 100, False),
        (0, "gte", 0, True),
        (0, "gt", 0, False),
        (1, "gt", 1000, True),
        (1, "lte", 1000, False),
        (-1, "lt", 0, True),
        (-1, "gte", 0, False),
    ],
)
def test_a_clock_with_a_zero_target_matches_as_the_exact_comparison_does(
    elapsed: int, op: str, percent: int, expected: bool
) -> None:
    """No policy can declare a zero target (``within: 0m`` is a load error), so this is asked
    of the matcher directly: ``elapsed × den`` against ``num × 0``."""
    p = policy(EXACT_BODY.replace("WHEN", f"{{clock.res.percent: {{{op}: {percent}}}}}"))
    bound = p.with_backend("durable")
    assert isinstance(bound.matcher, DurableMatcher)
    rules = bound.rules
    facts = {"clock.res": SimpleNamespace(applies=True, elapsed_us=elapsed, target_us=0)}
    assert rules[0].when.check(facts) is expected  # the native answer
    assert bound.matcher.matching(bound, rules, facts) == (
        frozenset({"r"}) if expected else frozenset()
    )


INTEGER_CASES = [
    (f"{{fields.u_score: {{eq: {MAX_INT}}}}}", MAX_INT, True),
    (f"{{fields.u_score: {{eq: {MAX_INT}}}}}", MAX_INT - 1, False),
    (f"{{fields.u_score: {{ne: {MAX_INT}}}}}", MIN_INT, True),
    (f"{{fields.u_score: {{gt: {MAX_INT - 1}}}}}", MAX_INT, True),
    (f"{{fields.u_score: {{gt: {MAX_INT}}}}}", MAX_INT, False),
    (f"{{fields.u_score: {{gte: {MAX_INT}}}}}", MAX_INT, True),
    (f"{{fields.u_score: {{lt: {MAX_INT}}}}}", MAX_INT - 1, True),
    (f"{{fields.u_score: {{eq: {MIN_INT}}}}}", MIN_INT, True),
    (f"{{fields.u_score: {{lt: {MIN_INT + 1}}}}}", MIN_INT, True),
    (f"{{fields.u_score: {{lte: {MIN_INT}}}}}", MIN_INT, True),
    (f"{{fields.u_score: {{gt: {MIN_INT}}}}}", MIN_INT, False),
    (f"{{fields.u_score: {{gt: {MIN_INT}}}}}", MIN_INT + 1, True),
    (f"{{fields.u_score: {{in: [{MIN_INT}, {MAX_INT}]}}}}", MAX_INT, True),
    (f"{{fields.u_score: {{not_in: [{MIN_INT}, {MAX_INT}]}}}}", 0, True),
    (f"{{fields.u_score: {{lt: {MIN_INT + 1}}}}}", MAX_INT, False),
]


@needs_durable
@pytest.mark.parametrize(("when", "value", "expected"), INTEGER_CASES)
def test_integers_compare_exactly_at_the_ends_of_64_bits(
    when: str, value: int, expected: bool
) -> None:
    assert holds(when, at("12:00:00"), fields={"u_score": value}) is expected


MISSING_CASES = [
    ("{fields.u_score: {ne: 5}}", True),
    ("{fields.u_score: {not_in: [5, 6]}}", True),
    ("{fields.u_score: {exists: false}}", True),
    ("{fields.u_score: {eq: 5}}", False),
    ("{fields.u_score: {in: [5, 6]}}", False),
    (f"{{fields.u_score: {{gt: {MIN_INT}}}}}", False),
    (f"{{fields.u_score: {{gte: {MIN_INT}}}}}", False),
    (f"{{fields.u_score: {{lt: {MAX_INT}}}}}", False),
    ("{fields.u_score: {lte: 0}}", False),
    ("{fields.u_contact: {ne: phone}}", True),
    ("{fields.u_contact: {not_in: [phone]}}", True),
    ("{fields.u_contact: {eq: phone}}", False),
    ("{fields.u_contact: {in: [phone]}}", False),
    ("{fields.u_contact: {matches: '.*'}}", False),
    ("{subcategory: {ne: wan}}", True),
    ("{subcategory: {exists: true}}", False),
    # Negated, a missing value's failed comparisons hold.
    ("{not: {fields.u_score: {gt: 5}}}", True),
    ("{not: {fields.u_score: {lte: 5}}}", True),
    ("{not: {fields.u_contact: {in: [phone]}}}", True),
    ("{not: {fields.u_contact: {ne: phone}}}", False),
    ("{not: {fields.u_contact: {matches: '.*'}}}", True),
]


@needs_durable
@pytest.mark.parametrize(("when", "expected"), MISSING_CASES)
def test_a_missing_value_is_unequal_to_everything_and_fails_every_ordering(
    when: str, expected: bool
) -> None:
    assert holds(when, at("12:00:00")) is expected


TEXT = "é😀"
TEXT_CASES = [
    ("{fields.u_contact: 'é😀'}", TEXT, True),
    ("{fields.u_contact: 'é😁'}", TEXT, False),  # the same first bytes, another emoji
    ("{fields.u_contact: 'e😀'}", TEXT, False),
    ("{fields.u_contact: 'è😀'}", TEXT, False),
    ("{fields.u_contact: {ne: 'é😀'}}", TEXT, False),
    ("{fields.u_contact: {ne: 'é😁'}}", TEXT, True),
    ("{fields.u_contact: {in: ['è😀', 'é😀']}}", TEXT, True),
    ("{fields.u_contact: {not_in: ['è😀', 'é😀']}}", TEXT, False),
    ("{fields.u_contact: {not_in: ['è😀']}}", TEXT, True),
    ("{fields.u_contact: 'é'}", "é", True),
    ("{fields.u_contact: 'é'}", "e", False),
    ("{fields.u_contact: {matches: '^é'}}", TEXT, True),
    ("{fields.u_contact: {matches: '😀$'}}", TEXT, True),
    ("{fields.u_contact: {matches: '^e'}}", TEXT, False),
    ("{category: 'réseau'}", "réseau", True),
]


@needs_durable
@pytest.mark.parametrize(("when", "value", "expected"), TEXT_CASES)
def test_non_ascii_text_compares_exactly(when: str, value: str, expected: bool) -> None:
    """durable_rules' own string comparison fails on non-ASCII text: values are coded in
    Python before durable sees them."""
    fields: dict[str, Any] = (
        {"category": value} if when.startswith("{category") else {"fields": {"u_contact": value}}
    )
    assert holds(when, at("12:00:00"), **fields) is expected


@needs_durable
@pytest.mark.parametrize(
    ("when", "values", "expected"),
    [
        ("{fields.u_score: {gte: 30}}", {"u_contact": "30"}, False),
        ("{fields.u_score: {gte: 30}}", {"u_contact": "abc"}, False),
        ("{fields.u_score: {eq: 30}}", {"u_contact": "30"}, False),
        ("{fields.u_contact: '30'}", {"u_score": 30}, False),
        ("{fields.u_contact: '30'}", {"u_contact": "30", "u_score": 29}, True),
        ("{fields.u_score: {gte: 30}}", {"u_contact": "abc", "u_score": 30}, True),
        ("{fields.u_score: {lt: 30}}", {"u_contact": "abc", "u_score": 30}, False),
    ],
)
def test_a_string_is_never_coerced_to_a_number(
    when: str, values: dict[str, Any], expected: bool
) -> None:
    """durable on its own compares ``"abc" >= 30`` as true; here a string field's text never
    answers an integer comparison of another field."""
    assert holds(when, at("12:00:00"), fields=values) is expected


@needs_durable
@pytest.mark.parametrize(
    ("when", "value", "expected"),
    [
        ("{category: {matches: '^(network|wan|lan)'}}", "network-core", True),
        ("{category: {matches: '^(network|wan|lan)'}}", "storage", False),
        ("{category: {matches: '(?i)^NET'}}", "network", True),
        ("{category: {matches: '^\\d{3}-\\d{2}$'}}", "123-45", True),
        ("{category: {matches: '^\\d{3}-\\d{2}$'}}", "123-456", False),
        ("{category: {matches: '^\\pL+$'}}", "réseau", True),
        ("{category: {matches: '^[[:alpha:]]+$'}}", "network", True),
        ("{category: {matches: '\\bwan\\b'}}", "core wan link", True),
        ("{category: {matches: '\\bwan\\b'}}", "swank", False),
        ("{category: {matches: '^a.c$'}}", "a😀c", True),  # . is one character, not a byte
        ("{not: {category: {matches: '^net'}}}", "network", False),
    ],
)
def test_matches_is_re2(when: str, value: str, expected: bool) -> None:
    assert holds(when, at("12:00:00"), category=value) is expected


@needs_durable
@pytest.mark.parametrize(
    ("when", "fields", "expected"),
    [
        ("{not: {any: [{priority: P1}, {category: network}]}}", {"category": "storage"}, False),
        ("{not: {any: [{priority: P2}, {category: network}]}}", {"category": "storage"}, True),
        ("{not: {any: [{priority: P2}, {category: network}]}}", {"category": "network"}, False),
        ("{not: {any: [{priority: P2}, {category: network}]}}", {}, True),
        ("{not: {all: [{priority: P1}, {category: network}]}}", {"category": "network"}, False),
        ("{not: {all: [{priority: P1}, {category: network}]}}", {"category": "storage"}, True),
        ("{not: {all: [{priority: P1}, {category: network}]}}", {}, True),
        ("{not: {not: {priority: P1}}}", {}, True),
        ("{not: {not: {not: {priority: P1}}}}", {}, False),
        ("{not: {clock.res.percent: {gte: 50}}}", {}, False),
        ("{not: {clock.res.percent: {gt: 50}}}", {}, True),
        ("{not: {any: [{clock.res.elapsed: {gt: 2h}}, {fields.u_score: {gte: 1}}]}}", {}, True),
        (
            "{not: {all: [{clock.res.elapsed: {gte: 2h}}, {fields.u_score: {exists: false}}]}}",
            {},
            False,
        ),
        ("{not: {regulatory_flags: {any_of: [gdpr, nis2]}}}", {"regulatory_flags": ["dora"]}, True),
        ("{not: {regulatory_flags: {none_of: [gdpr]}}}", {"regulatory_flags": ["gdpr"]}, True),
        ("{not: {regulatory_flags: {contains: gdpr}}}", {"regulatory_flags": []}, True),
    ],
)
def test_not_over_any_and_all(when: str, fields: dict[str, Any], expected: bool) -> None:
    # At 12:00 the clock stands at 50 % exactly, 2 h elapsed; the ticket is a P1.
    assert holds(when, at("12:00:00"), **fields) is expected


@needs_durable
@pytest.mark.parametrize(
    ("when", "now", "expected"),
    [
        ("{within: office}", at("16:59:59.999999"), True),
        ("{within: office}", at("17:00:00"), False),  # 08:00-17:00 is half-open
        ("{not_within: office}", at("17:00:00"), True),
        ("{not_within: office}", at("16:59:59.999999"), False),
        ("{within: office}", at("08:00:00"), True),
        ("{within: office}", at("07:59:59.999999"), False),
        ("{not: {within: office}}", at("17:00:00"), True),
        ("{not: {not_within: office}}", at("17:00:00"), False),
        ("{any: [{within: office}, {priority: P2}]}", at("17:00:00"), False),
        ("{within: office, priority: P1}", at("12:00:00"), True),
        ("{within: office}", "2024-11-23T12:00:00+00:00", False),  # a Saturday
    ],
)
def test_calendar_tests_at_the_edge_of_the_window(when: str, now: str, expected: bool) -> None:
    assert holds(when, now, opened="2024-11-20T06:00:00+00:00") is expected


# -- pickling -------------------------------------------------------------------------------------


@needs_durable
def test_a_bound_policy_pickles_to_a_bound_policy_with_the_same_decisions() -> None:
    bound = pack().with_backend("durable")
    copy = pickle.loads(pickle.dumps(bound))
    assert isinstance(copy, Policy)
    assert copy.backend == "durable"
    assert isinstance(copy.matcher, DurableMatcher)
    assert copy.matcher is not bound.matcher  # compiled again: C handles do not travel
    assert copy.content_hash == bound.content_hash
    assert [s.id for s in copy.segments] == ["uk", "globex"]
    assert all(
        isinstance(s.policy, Policy) and s.policy.backend == "durable" for s in copy.segments
    )
    assert len(copy.matcher._rulesets) == len(bound.matcher._rulesets)
    for t in example_tickets():
        same(bound.evaluate(t, now=LATER), copy.evaluate(t, now=LATER))
    for segment, tkt in SEGMENT_TICKETS.items():
        one = {**tkt, "opened_at": "2024-11-20T06:00:00+00:00"}
        decision = copy.evaluate(one, now=utc(SEGMENT_INSTANTS[1]))
        assert decision.segment == segment
        same(pack().evaluate(one, now=utc(SEGMENT_INSTANTS[1])), decision)


@needs_durable
def test_a_policy_loaded_from_text_pickles_bound_too() -> None:
    text = yaml_text(EXACT_BODY.replace("WHEN", "{fields.u_contact: {matches: '^é'}}"))
    bound = loads(text, filename="p.yaml").with_backend("durable")
    copy = pickle.loads(pickle.dumps(bound))
    assert copy.backend == "durable"
    tkt = ticket(OPENED, fields={"u_contact": TEXT})
    now = utc(at("12:00:00"))
    assert rule_status(copy.evaluate(tkt, now=now), "r") == "matched"
    same(bound.evaluate(tkt, now=now), copy.evaluate(tkt, now=now))


# -- one matcher, compiled once ------------------------------------------------------------------

GROUPS_BODIES = {
    # one group: rules that read neither path levels nor the post-mortem
    "plain": """
rules:
  - {id: a, when: {priority: P1}, then: {notify: {to: [assignee]}}}
  - {id: b, when: {category: network}, then: {notify: {to: [assignee]}}}
""",
    # two groups: the plain rules, and those that read path levels (run after the paths)
    "paths": """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:a"], after: 1h}
      - {name: L2, targets: ["team:b"]}
rules:
  - {id: a, when: {priority: P1}, then: {notify: {to: [assignee]}}}
  - {id: c, when: {path.desk.level: {gte: L2}}, then: {notify: {to: [assignee]}}}
  - {id: d, when: {path.desk.level: L1, priority: P2}, then: {notify: {to: [assignee]}}}
""",
    # one group again, of path rules only
    "only-paths": """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:a"], after: 1h}
      - {name: L2, targets: ["team:b"]}
rules:
  - {id: c, when: {path.desk.level: {gte: L2}}, then: {notify: {to: [assignee]}}}
""",
}
GROUPS = {"plain": 1, "paths": 2, "only-paths": 1}


@needs_durable
def test_one_matcher_per_bound_policy_compiles_each_group_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import escalate.engine.durable as durable_module

    compiled: list[tuple[str, tuple[str, ...]]] = []
    real = durable_module._compile

    def counting(engine: Any, p: PolicyView, rules: Sequence[RuleDef]) -> Any:
        compiled.append((p.content_hash, tuple(r.id for r in rules)))
        return real(engine, p, rules)

    monkeypatch.setattr(durable_module, "_compile", counting)
    bound: dict[str, Policy] = {}
    for name, body in GROUPS_BODIES.items():
        # Loaded here (not from a cache), so that binding happens under the counter.
        text = yaml_text(body + f"description: {name}\n")
        bound[name] = loads(text, filename="p.yaml").with_backend("durable")
    assert len(compiled) == sum(GROUPS.values())  # compiled at bind, each group once
    matchers = {name: b.matcher for name, b in bound.items()}
    assert len({id(m) for m in matchers.values()}) == len(matchers)  # one each

    sessions_before = {name: next(m._sessions) for name, m in matchers.items()}  # type: ignore[union-attr]
    start = datetime(2024, 11, 20, 10, 0, tzinfo=UTC)
    tickets = [ticket(start.isoformat(), priority="P1"), ticket(start.isoformat(), priority="P2")]
    instants = [start + timedelta(minutes=7 + 23 * step) for step in range(12)]
    for b in bound.values():
        for now in instants:
            for tkt in tickets:
                b.evaluate(tkt, now=now)
    assert len(compiled) == sum(GROUPS.values())  # nothing compiled per call
    for name, matcher in matchers.items():
        assert isinstance(matcher, DurableMatcher)
        assert len(matcher._rulesets) == GROUPS[name]
        # One durable session per group and evaluation, nothing more.
        used = next(matcher._sessions) - sessions_before[name] - 1
        assert used == GROUPS[name] * len(instants) * len(tickets)


@needs_durable
def test_a_matcher_object_is_asked_and_bound_once_per_policy() -> None:
    """Any :class:`Matcher` may be bound: it is prepared once for the policy and each of its
    segments' policies, asked once per group and evaluation, and decides as natively."""

    class Recorder:
        name = "recorder"

        def __init__(self) -> None:
            self.inner = DurableMatcher()
            self.prepared: list[str | None] = []
            self.asked = 0

        def prepare(self, p: PolicyView) -> None:
            self.prepared.append(p.segment)
            self.inner.prepare(p)

        def matching(
            self, p: PolicyView, rules: Sequence[RuleDef], facts: Mapping[str, Any]
        ) -> frozenset[str]:
            self.asked += 1
            return self.inner.matching(p, rules, facts)

    recorder = Recorder()
    original = pack()
    bound = original.with_backend(recorder)
    assert bound.backend == "recorder" and bound.matcher is recorder
    assert sorted(recorder.prepared, key=str) == sorted([None, "uk", "globex"], key=str)
    # A Matcher object is bound anew at each call (the caller keeps the bound policy; a policy
    # keeps only the bindings by name, so that objects passed in do not pile up on it).
    again = original.with_backend(recorder)
    assert again is not bound and again.matcher is recorder
    tickets = example_tickets()
    for t in tickets:
        same(original.evaluate(t, now=LATER), original.evaluate(t, now=LATER, backend=recorder))
    assert recorder.asked == 2 * len(tickets)  # the pack's two groups, once each
    assert len(recorder.prepared) == 3 * (2 + len(tickets))  # each bind prepares 3 policies
