"""durable_rules' limits: 254 properties per fact and about 510 alternatives per ruleset
(past which it stops answering). Groups of rules reading more facts or costing more
alternatives are split over several rulesets, long lists become one flag, and one condition
past the limits is refused at bind, never failing or hanging at evaluation
(docs/backends.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import escalate
from escalate.engine.durable import MAX_ATTRIBUTES, MAX_BRANCHES
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


@pytest.mark.parametrize("count", [MAX_ATTRIBUTES, MAX_ATTRIBUTES + 1, 2 * MAX_ATTRIBUTES + 7])
def test_rules_reading_more_facts_than_one_fact_holds_are_split_and_match_as_native(
    count: int,
) -> None:
    policy = escalate.loads(tag_rules(count), filename="p.yaml")
    bound = policy.with_backend("durable")
    assert bound.matcher is not None
    groups = next(iter(bound.matcher._rulesets.values()))  # type: ignore[attr-defined]
    assert len(groups) == -(-count // MAX_ATTRIBUTES)  # as few rulesets as the limit allows
    for tags in [(), ("tag0",), (f"tag{count - 1}",), ("tag3", f"tag{MAX_ATTRIBUTES}")]:
        native = policy.evaluate(ticket(*tags), now=NOW)
        decided = bound.evaluate(ticket(*tags), now=NOW)
        assert decided.to_dict() == native.to_dict()
        numbers = sorted(int(t[3:]) for t in tags if int(t[3:]) < count)
        assert matched(decided) == [f"r{n}" for n in numbers]


def test_long_lists_are_one_flag_each_and_match_as_native() -> None:
    """``in:`` / ``any_of:`` lists longer than WIDE become one flag computed in Python, so a
    2,000-customer list neither needs 2,000 alternatives (durable_rules stops answering past
    about 510) nor 2,000 attributes."""
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


def test_many_rules_are_split_so_that_durable_keeps_answering() -> None:
    """700 rules of three alternatives each (2,800 branches): over several rulesets of at most
    MAX_BRANCHES, each answering, none of them stuck."""
    rules = "".join(
        f"  - id: r{i}\n    when: {{customer.id: {{in: [a{i}, b{i}, c{i}]}}}}\n"
        "    then: {notify: {to: [assignee]}}\n"
        for i in range(700)
    )
    policy = escalate.loads("policy: p\nversion: 1\nrules:\n" + rules, filename="p.yaml")
    bound = policy.with_backend("durable")
    assert bound.matcher is not None
    (rulesets,) = bound.matcher._rulesets.values()  # type: ignore[attr-defined]
    assert len(rulesets) == -(-700 * 4 // (MAX_BRANCHES - 1))
    for customer in ("a0", "c350", "b699", "zz"):
        t = {**ticket(), "customer": {"id": customer}}
        decided = bound.evaluate(t, now=NOW)
        assert decided.to_dict() == policy.evaluate(t, now=NOW).to_dict()
        assert matched(decided) == ([] if customer == "zz" else [f"r{customer[1:]}"])


def test_a_condition_with_more_alternatives_than_durable_answers_is_refused_at_bind() -> None:
    alternatives = "".join(f"{{customer.id: c{i}}}, " for i in range(MAX_BRANCHES))
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
    assert f"has {MAX_BRANCHES + 1} alternatives" in str(error.value)
    assert "native backend" in str(error.value)
    assert matched(policy.evaluate({**ticket(), "customer": {"id": "c7"}}, now=NOW)) == ["many"]


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
