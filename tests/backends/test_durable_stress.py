"""Stress: the durable backend over 10,000 evaluations and from 8 threads at once.

durable_rules keeps state per session id and caps live sessions at 1,024; its Python host
starts threads that never stop; its C core crashes when threads share it. escalate drives the
C module directly, one new session per call deleted in ``finally``, no host, calls serialised
by a lock. These tests hold it to that: memory (Python's and the process's) and the number of
live threads do not grow with the number of evaluations, no session outlives its call, and
eight threads sharing one bound policy get exactly the native decisions.

The shipped pack (``rules/itil-default.yaml``, with its ``uk`` and ``globex`` segments) and
the example tickets (``examples/tickets``) are the workload: what a user runs.

Tests skip, with the reason, when durable_rules is not installed
(``pip install 'escalate[durable]'``; ``make test`` installs it, so CI runs them).
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import tracemalloc
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import escalate
from escalate import Policy, Ticket
from escalate.engine.rules import PolicyView, RuleDef
from tests import durable_helpers

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "itil-default.yaml"


pytestmark = durable_helpers.needs_durable
_MISSING = durable_helpers.MISSING

if _MISSING is None:
    from escalate.engine.durable import DurableMatcher

#: How many evaluations the memory test runs, and how many of them warm the caches up.
EVALUATIONS = 10_000
WARM_UP = 1_000
#: Growth allowed after the warm-up: of Python's allocated memory blocks over the full
#: evaluations (one block leaked per evaluation would be 9,000), of Python memory traced
#: over the matcher calls, and of the process's resident memory (durable's C allocations are
#: invisible to Python).
MAX_BLOCKS_GROWTH = 1_000
MAX_TRACED_GROWTH = 64 * 1024
MAX_RSS_GROWTH = 8 * 1024 * 1024
THREADS = 8


def _tickets(policy: Policy) -> list[Ticket]:
    """The example tickets, three of them again for the ``uk`` segment and one for
    ``globex`` (whose own severities it is given): every part of the pack decides some."""
    base = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
    ]
    mappings = list(base)
    mappings += [{**t, "id": t["id"] + "-UK", "region": "uk"} for t in base[:3]]
    mappings.append({**base[0], "id": "GLOBEX-1", "business_unit": "globex", "priority": "Sev A"})
    return [Ticket.from_mapping(m, empty=policy.empty_values) for m in mappings]


def _workload(policy: Policy, instants: int) -> list[tuple[Ticket, datetime]]:
    """Each ticket at ``instants`` instants 37 minutes apart from 2024-11-20 13:10 UTC (after
    every example ticket's last event): office hours and nights, Berlin's and London's."""
    start = datetime(2024, 11, 20, 13, 10, tzinfo=UTC)
    tickets = _tickets(policy)
    return [(t, start + timedelta(minutes=37 * i)) for i in range(instants) for t in tickets]


def _rss() -> int | None:
    """The process's resident memory in bytes (``None`` where ``/proc`` is not Linux's)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    import resource

    return pages * resource.getpagesize()


def _live_sessions(matcher: DurableMatcher, sids: range) -> list[tuple[str, str]]:
    """The sessions among ``sids`` that durable still holds, in any compiled ruleset."""
    engine = matcher._engine
    live = []
    for ruleset in (r for chunks in matcher._rulesets.values() for r in chunks):
        for sid in sids:
            try:
                engine.get_state(ruleset.handle, str(sid))
            except engine.error:  # "Could not get state, error code: 309": no such session
                continue
            live.append((ruleset.handle, str(sid)))
    return live


def _check_sessions_are_seen(matcher: DurableMatcher) -> None:
    """:func:`_live_sessions` finds a session that is left alive (so that its empty answer
    means something), and not once it is deleted."""
    engine = matcher._engine
    ruleset = next(iter(matcher._rulesets.values()))[0]
    fact = {name: 0 for name, _ in ruleset.attributes}
    fact.update(esc=1, sid="probe")
    state = engine.assert_fact(ruleset.handle, json.dumps(fact))[1]
    # durable must see the session's actions started before deleting it (it aborts the
    # process otherwise): run them out, as the matcher does.
    started = engine.start_action_for_state(ruleset.handle, state)
    while started:
        started = engine.complete_and_start_action(ruleset.handle, state)
    found = engine.get_state(ruleset.handle, "probe")
    assert "probe" in found
    engine.delete_state(ruleset.handle, "probe")
    with pytest.raises(engine.error, match="309"):
        engine.get_state(ruleset.handle, "probe")


def test_ten_thousand_evaluations_keep_memory_threads_and_sessions_constant() -> None:
    """10,000 evaluations of the shipped pack with the durable backend: after a warm-up of
    1,000, Python's allocated blocks and the process's resident memory stay put, no thread
    is started, and no durable session is left behind.

    Each evaluation asks durable twice (the pack's two groups of rules), each time under a new
    session: 20,000 sessions. durable holds at most 1,024 live sessions and raises
    MemoryError past them, so a session not deleted after its call would make this test fail
    at the 1,025th, before any of its assertions; they check it directly too.
    """
    policy = escalate.load(PACK).with_backend("durable")
    matcher = policy.matcher
    assert isinstance(matcher, DurableMatcher)
    compiled = dict(matcher._rulesets)  # at binding: every group of every part of the pack
    work = _workload(policy, 40)  # 400 distinct (ticket, instant) pairs, cycled
    threads = threading.active_count()
    first_sid = next(matcher._sessions)

    for i in range(WARM_UP):
        ticket, now = work[i % len(work)]
        policy.evaluate(ticket, now=now)
    gc.collect()
    blocks, rss = sys.getallocatedblocks(), _rss()
    for i in range(WARM_UP, EVALUATIONS):
        ticket, now = work[i % len(work)]
        policy.evaluate(ticket, now=now)
    gc.collect()
    blocks_growth = sys.getallocatedblocks() - blocks
    rss_after = _rss()

    assert blocks_growth < MAX_BLOCKS_GROWTH, f"{blocks_growth} Python blocks more"
    if rss is not None and rss_after is not None:  # Linux
        assert rss_after - rss < MAX_RSS_GROWTH, f"{rss_after - rss} bytes more resident"
    assert threading.active_count() == threads
    last_sid = next(matcher._sessions)
    assert last_sid - first_sid - 1 == 2 * EVALUATIONS  # one session per group and call
    assert _live_sessions(matcher, range(first_sid, last_sid)) == []
    _check_sessions_are_seen(matcher)
    assert matcher._rulesets == compiled  # nothing compiled per call


class _Recorder:
    """A matcher that records what the rule stage asks a durable matcher (the policy, the
    rules of one pass, a copy of the facts of now) and answers with it."""

    name = "durable"

    def __init__(self, inner: DurableMatcher) -> None:
        self.inner = inner
        self.calls: list[tuple[PolicyView, tuple[RuleDef, ...], dict[str, Any]]] = []

    def prepare(self, policy: PolicyView) -> None:
        self.inner.prepare(policy)

    def matching(
        self, policy: PolicyView, rules: Sequence[RuleDef], facts: Mapping[str, Any]
    ) -> frozenset[str]:
        self.calls.append((policy, tuple(rules), dict(facts)))
        return self.inner.matching(policy, rules, facts)


def _captured(
    matcher: DurableMatcher,
) -> list[tuple[PolicyView, tuple[RuleDef, ...], dict[str, Any]]]:
    """The questions real evaluations of the pack ask ``matcher`` (200 evaluations, 400
    questions): every group of every part of the pack, at many instants."""
    recorder = _Recorder(matcher)
    policy = escalate.load(PACK).with_backend(recorder)
    for ticket, now in _workload(policy, 20):
        policy.evaluate(ticket, now=now)
    return recorder.calls


def _native(rules: Sequence[RuleDef], facts: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(rule.id for rule in rules if rule.when.check(facts))


def test_ten_thousand_matcher_calls_trace_no_python_growth() -> None:
    """10,000 questions to the matcher, with the facts real evaluations asked about: Python
    memory traced from the 1,000th call on does not grow, and every answer is the native one
    (no state carried from one session to the next)."""
    matcher = DurableMatcher()
    calls = _captured(matcher)
    expected = [_native(rules, facts) for _, rules, facts in calls]
    threads = threading.active_count()
    first_sid = next(matcher._sessions)
    rss = _rss()

    def ask(i: int) -> None:
        policy, rules, facts = calls[i % len(calls)]
        assert matcher.matching(policy, rules, facts) == expected[i % len(calls)], i

    for i in range(WARM_UP):
        ask(i)
    gc.collect()
    tracemalloc.start()
    try:
        traced = tracemalloc.get_traced_memory()[0]
        for i in range(WARM_UP, EVALUATIONS):
            ask(i)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - traced
    finally:
        tracemalloc.stop()
    rss_after = _rss()

    assert growth < MAX_TRACED_GROWTH, f"{growth} bytes of Python memory more"
    if rss is not None and rss_after is not None:
        assert rss_after - rss < MAX_RSS_GROWTH, f"{rss_after - rss} bytes more resident"
    assert threading.active_count() == threads
    last_sid = next(matcher._sessions)
    assert last_sid - first_sid - 1 == EVALUATIONS
    assert _live_sessions(matcher, range(first_sid, last_sid)) == []


def _run_threads(target: Any, count: int) -> list[Any]:
    """Run ``target(i, barrier)`` in ``count`` threads started together; their results in
    thread order; the first exception any of them raised is raised here."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = target(i, barrier)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), name=f"stress-{i}") for i in range(count)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as CPython can: more interleavings
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    if errors:
        raise errors[0]
    return results


def test_eight_threads_sharing_a_bound_policy_decide_as_natively() -> None:
    """Eight threads evaluate at once over one bound policy, each the whole workload in its
    own order: no crash, every decision the native one (byte for byte), no thread left."""
    native = escalate.load(PACK)
    policy = native.with_backend("durable")
    matcher = policy.matcher
    assert isinstance(matcher, DurableMatcher)
    work = _workload(native, 15)  # 150 (ticket, instant) pairs
    expected = [native.evaluate(ticket, now=now).to_json() for ticket, now in work]
    threads = threading.active_count()
    first_sid = next(matcher._sessions)

    def evaluate(i: int, barrier: threading.Barrier) -> list[tuple[int, str]]:
        offset = i * len(work) // THREADS
        order = [(k + offset) % len(work) for k in range(len(work))]
        if i % 2:
            order.reverse()
        barrier.wait(timeout=60)
        return [(k, policy.evaluate(work[k][0], now=work[k][1]).to_json()) for k in order]

    results = _run_threads(evaluate, THREADS)
    assert threading.active_count() == threads
    for decisions in results:
        assert len(decisions) == len(work)
        for k, text in decisions:
            assert text == expected[k], f"{work[k][0].id} at {work[k][1].isoformat()}"
    last_sid = next(matcher._sessions)
    assert last_sid - first_sid - 1 == 2 * THREADS * len(work)
    assert _live_sessions(matcher, range(first_sid, last_sid)) == []


def test_eight_threads_asking_a_new_matcher_compile_each_group_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight threads ask a matcher that has compiled nothing yet, all at once, about every
    group of the pack: each ruleset is compiled once (durable cannot free a ruleset; one
    compiled twice would be kept twice) and every answer is the native one."""
    import escalate.engine.durable as durable_module

    calls = _captured(DurableMatcher())
    groups = {(p.content_hash, p.segment, tuple(r.id for r in rules)) for p, rules, _ in calls}
    fresh = DurableMatcher()
    compiled: list[tuple[str, ...]] = []
    compile_ruleset = durable_module._compile

    def counting(engine: Any, policy: PolicyView, rules: Sequence[RuleDef]) -> Any:
        compiled.append(tuple(rule.id for rule in rules))
        return compile_ruleset(engine, policy, rules)

    monkeypatch.setattr(durable_module, "_compile", counting)

    def ask(i: int, barrier: threading.Barrier) -> list[bool]:
        mine = calls[i::THREADS] + calls[: THREADS * 4]  # every thread starts on the same
        barrier.wait(timeout=60)
        return [
            fresh.matching(p, rules, facts) == _native(rules, facts) for p, rules, facts in mine
        ]

    threads = threading.active_count()
    results = _run_threads(ask, THREADS)
    assert threading.active_count() == threads
    assert all(all(answers) for answers in results)
    assert len(compiled) == len(fresh._rulesets) <= len(groups)
