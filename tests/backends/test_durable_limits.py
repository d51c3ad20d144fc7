"""durable_rules' limits (a stack of 64 nodes while matching, 512 hash buckets, 16 rules
below one node, 32 expressions a sequence, 254 properties a fact): rule groups are split over
rulesets small enough that no fact can reach them, long lists become one flag, and what one
condition cannot fit is refused at bind, never failing or hanging at evaluation
(docs/backends.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import escalate
from escalate.engine.durable import MAX_ATTRIBUTES, MAX_NODES, MAX_PATHS
from escalate.errors import PolicyError

durable = pytest.importorskip(
    "durable_rules_engine",
    reason="durable_rules is not installed (pip install 'escalate[durable]')",
)

NOW = datetime(2024, 11, 20, 12, tzinfo=UTC)


def tag_rules(count: int) -> str:
    """``count`` rules, each reading its own flag of the set ``regulatory_flags``."""
    return "policy: p\nversion: 1\nrules:\n" + "".join(
        f"  - id: r{i}\n    when: {{regulatory_flags: {{contains: tag{i}}}}}\n"
        f"    then: {{notify: {{to: [assignee]}}}}\n"
        for i in range(count)
    )


def ticket(*tags: str) -> dict[str, object]:
    return {"id": "T1", "opened_at": "2024-11-20T10:00:00Z", "regulatory_flags": list(tags)}


def matched(decision: escalate.Decision) -> list[str]:
    return [r.rule.id for r in decision.rule_results if r.status != "not-matched"]


@pytest.mark.parametrize(
    ("count", "condition", "comparisons"),
    [
        # 65 rules holding at once: one ruleset would fail with durable's error 303 (a stack
        # of 64 nodes); 1,000 such rules, or 257 alike, spin or fail with 108 in one ruleset.
        (65, "{{reassignment_count: {{lte: {i}}}}}", 2),  # presence and value
        (1000, "{{reassignment_count: {{gte: {i}}}}}", 2),
        (257, "{{priority: P1}}", 1),
    ],
)
def test_rules_are_split_so_that_durable_keeps_answering_however_many_hold(
    count: int, condition: str, comparisons: int
) -> None:
    rules = "".join(
        f"  - id: r{i}\n    when: {condition.format(i=i)}\n"
        "    then: {notify: {to: [assignee]}}\n"
        for i in range(count)
    )
    policy = escalate.loads("policy: p\nversion: 1\nrules:\n" + rules, filename="p.yaml")
    bound = policy.with_backend("durable")
    assert bound.matcher is not None
    (rulesets,) = bound.matcher._rulesets.values()  # type: ignore[attr-defined]
    per_ruleset = (MAX_NODES - 1) // comparisons  # the mark is shared
    assert len(rulesets) == -(-count // per_ruleset)  # as few as the limits allow
    for reassigned, priority in [(0, "P1"), (500, "P3"), (2000, "P1")]:
        t = {**ticket(), "priority": priority, "reassignment_count": reassigned}
        decided = bound.evaluate(t, now=NOW)
        assert decided.to_dict() == policy.evaluate(t, now=NOW).to_dict()


def test_long_lists_are_one_flag_each_and_match_as_native() -> None:
    """``in:`` / ``any_of:`` lists longer than WIDE become one flag computed in Python, so a
    2,000-customer list neither needs 2,000 alternatives (durable_rules stops answering past
    about 510 in one ruleset) nor 2,000 attributes."""
    customers = ", ".join(f"c{i}" for i in range(2000))
    tags = ", ".join(f"t{i}" for i in range(MAX_ATTRIBUTES + 1))
    text = (
        "policy: p\nversion: 1\nrules:\n"
        f"  - id: vip\n    when: {{customer.id: {{in: [{customers}]}}}}\n"
        "    then: {notify: {to: [assignee]}}\n"
        f"  - id: outsider\n    when: {{customer.id: {{not_in: [{customers}]}}}}\n"
        "    then: {notify: {to: [assignee]}}\n"
        f"  - id: tagged\n    when: {{regulatory_flags: {{any_of: [{tags}]}}}}\n"
        "    then: {notify: {to: [assignee]}}\n"
        f"  - id: untagged\n    when: {{regulatory_flags: {{none_of: [{tags}]}}}}\n"
        "    then: {notify: {to: [assignee]}}\n"
    )
    policy = escalate.loads(text, filename="p.yaml")
    bound = policy.with_backend("durable")
    for customer, flags, expected in [
        ("c1999", [], ["vip", "untagged"]),
        ("zz", ["t251"], ["outsider", "tagged"]),
        (None, ["x"], ["outsider", "untagged"]),
    ]:
        t: dict[str, object] = {
            **ticket(*flags),
            **({"customer": {"id": customer}} if customer else {}),
        }
        decided = bound.evaluate(t, now=NOW)
        assert decided.to_dict() == policy.evaluate(t, now=NOW).to_dict()
        assert matched(decided) == expected


def test_a_condition_with_more_comparisons_than_a_ruleset_holds_is_refused_at_bind() -> None:
    alternatives = "".join(f"{{customer.id: c{i}}}, " for i in range(MAX_NODES))
    text = (
        "policy: p\nversion: 1\nrules:\n  - id: many\n"
        f"    when: {{any: [{alternatives}]}}\n"
        "    then: {notify: {to: [assignee]}}\n"
    )
    policy = escalate.loads(text, filename="p.yaml")
    with pytest.raises(PolicyError) as error:
        policy.with_backend("durable")
    assert error.value.path[:3] == ("rules", 0, "when")
    assert error.value.source is not None and error.value.source[:2] == ("p.yaml", 5)
    assert f"makes {MAX_NODES} comparisons" in str(error.value)
    assert "native backend" in str(error.value)
    assert matched(policy.evaluate({**ticket(), "customer": {"id": "c7"}}, now=NOW)) == ["many"]


def test_a_condition_durable_refuses_to_compile_is_refused_at_its_rule_saying_why() -> None:
    """An ``any:`` of 14 integer comparisons (each an ``$and`` of presence and value) is
    past durable_rules' 32 expression slots a rule: its error 113, at the rule."""
    branches = ", ".join(f"{{reassignment_count: {{lte: {i}}}}}" for i in range(14))
    text = (
        "policy: p\nversion: 1\nrules:\n  - id: fine\n    when: {priority: P1}\n"
        "    then: {notify: {to: [assignee]}}\n  - id: long\n"
        f"    when: {{any: [{branches}]}}\n"
        "    then: {notify: {to: [assignee]}}\n"
    )
    policy = escalate.loads(text, filename="p.yaml")
    with pytest.raises(PolicyError) as error:
        policy.with_backend("durable")
    assert error.value.path == ("rules", 1, "when", "any")
    assert "error code: 113" in str(error.value)
    assert "32 expression slots a rule" in str(error.value)


def test_a_condition_that_holds_in_too_many_ways_is_refused_at_bind() -> None:
    """durable_rules fires a rule once per way it holds: an ``all:`` of 13 four-way
    ``any_of``s that all hold would fire it 4¹³ times (tens of GB); refused at bind."""
    groups = ", ".join("{regulatory_flags: {any_of: [a, b, c, d]}}" for _ in range(13))
    text = (
        "policy: p\nversion: 1\nrules:\n  - id: ways\n"
        f"    when: {{all: [{groups}]}}\n"
        "    then: {notify: {to: [assignee]}}\n"
    )
    policy = escalate.loads(text, filename="p.yaml")
    with pytest.raises(PolicyError) as error:
        policy.with_backend("durable")
    assert error.value.path[:3] == ("rules", 0, "when")
    assert f"holds in up to {4**13} ways" in str(error.value)
    assert f"escalate allows {MAX_PATHS}" in str(error.value)
    three = text.replace(groups, ", ".join(["{regulatory_flags: {any_of: [a, b, c, d]}}"] * 3))
    small = escalate.loads(three, filename="p.yaml")
    every = ticket("a", "b", "c", "d")
    assert small.with_backend("durable").evaluate(every, now=NOW).to_dict() == (
        small.evaluate(every, now=NOW).to_dict()
    )


HOLIDAYS = """policy: p
version: 1
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["08:00-18:00"]}
    holidays: {country: DE, years: [2024, 2025]}
rules:
  - id: resolved-in-hours
    when: {status: resolved, within: office}
    then: {notify: {to: [assignee]}}
  - id: open
    when: {status: new}
    then: {notify: {to: [assignee]}}
"""


def test_a_fact_that_cannot_be_computed_is_left_to_the_native_conditions() -> None:
    """In 2026 the calendar knows no holidays: asking whether it is open is an error. The
    native condition never asks for an open ticket (``status: resolved`` is false first);
    durable needs every fact of the call, so that call is answered natively: the same decision,
    and the same error where the native condition needs the calendar too."""
    policy = escalate.loads(HOLIDAYS, filename="p.yaml")
    bound = policy.with_backend("durable")
    now = datetime(2026, 3, 4, 10, tzinfo=UTC)
    opened = {"id": "T1", "opened_at": "2026-03-04T09:00:00Z", "status": "new"}
    decided = bound.evaluate(opened, now=now)
    assert decided.actions == policy.evaluate(opened, now=now).actions
    assert matched(decided) == ["open"]
    resolved = {**opened, "status": "resolved"}
    for deciding in (policy, bound):
        with pytest.raises(escalate.CalendarRangeError):
            deciding.evaluate(resolved, now=now)


def test_a_matcher_class_passed_for_an_object_is_an_argument_error() -> None:
    from escalate.engine.durable import DurableMatcher

    policy = escalate.loads(HOLIDAYS, filename="p.yaml")
    with pytest.raises(escalate.ArgumentError, match=r"DurableMatcher\(\)"):
        policy.with_backend(DurableMatcher)  # type: ignore[arg-type]


def test_full_sessions_say_what_happened_and_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """durable_rules raises a bare MemoryError once its 1,024 sessions are taken (by calls
    that failed, whose sessions cannot be deleted safely): the error says so."""
    policy = escalate.loads(HOLIDAYS, filename="p.yaml").with_backend("durable")
    matcher = policy.matcher
    assert matcher is not None
    real = matcher._engine  # type: ignore[attr-defined]

    class Full:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def assert_fact(self, handle: int, fact: str) -> object:
            raise MemoryError

    monkeypatch.setattr(matcher, "_engine", Full())
    opened = {"id": "T1", "opened_at": "2024-11-20T09:00:00Z", "status": "new"}
    with pytest.raises(escalate.DurableError, match=r"1,024 sessions .* new DurableMatcher"):
        policy.evaluate(opened, now=NOW)
