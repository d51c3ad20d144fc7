"""durable_rules' limit of 254 properties per fact: a group of rules reading more facts is
split over several rulesets, and one condition reading more is refused at bind, never
failing at evaluation (docs/backends.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import escalate
from escalate.engine.durable import MAX_ATTRIBUTES
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


def test_one_condition_reading_more_facts_than_a_fact_holds_is_refused_at_bind() -> None:
    tags = ", ".join(f"t{i}" for i in range(MAX_ATTRIBUTES + 1))
    text = (
        "policy: p\nversion: 1\nrules:\n  - id: many\n"
        f"    when: {{regulatory_flags: {{any_of: [{tags}]}}}}\n"
        "    then: {notify: {to: [assignee]}}\n"
    )
    policy = escalate.loads(text, filename="p.yaml")
    with pytest.raises(PolicyError) as error:
        policy.with_backend("durable")
    assert error.value.path[:3] == ("rules", 0, "when")
    assert error.value.source is not None and error.value.source[:2] == ("p.yaml", 5)
    assert f"reads {MAX_ATTRIBUTES + 1} facts" in str(error.value)
    assert "native backend" in str(error.value)
    assert policy.evaluate(ticket("t1"), now=NOW).rule_results[0].status == "matched"
