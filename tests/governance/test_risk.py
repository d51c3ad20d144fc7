"""Risk classes on rules and actions: carried by due actions, gathered by the decision."""

from __future__ import annotations

import json

import pytest

from escalate import PolicyError, loads
from tests.governance.policies import BASE, at, policy, ticket

RULES = """
rules:
  - id: p1-notify
    when: {priority: P1}
    risk: [reputational, financial]
    then:
      - {notify: {to: [person:alice], channel: email}, risk: [regulatory, financial]}
      - {notify: {to: [person:erin], channel: chat}}
  - id: vip
    when: {customer.vip: true}
    then: {notify: {to: [person:mona], channel: email}}
"""
LADDER = """
  half:
    type: resolution
    start: {event: created}
    stop: {category: [resolved]}
    targets: {default: {within: 2h}}
    ladder:
      - at: 50%
        notify: {to: [person:mona], channel: email}
        risk: [operational]
"""


def test_a_due_action_carries_its_own_and_its_rules_risk_classes_sorted() -> None:
    decision = policy(RULES).evaluate(ticket(), now=at(3, 10, 1))
    risks = {a.targets[0]: a.risks for a in decision.actions if a.kind == "notify"}
    assert {
        "person:alice": ("financial", "regulatory", "reputational"),
        "person:erin": ("financial", "reputational"),
    } == risks


def test_an_action_without_risk_classes_has_no_risks_key() -> None:
    decision = policy(RULES).evaluate(ticket(customer={"vip": True}), now=at(3, 10, 1))
    actions = {a["targets"][0]: a for a in decision.to_dict()["actions"]}
    assert ("risks" in actions["person:alice"], "risks" in actions["person:mona"]) == (True, False)
    assert ["financial", "regulatory", "reputational"] == actions["person:alice"]["risks"]


def test_a_rung_action_carries_the_rungs_risk_classes() -> None:
    with_ladder = BASE.replace("paths:\n", LADDER.lstrip("\n") + "paths:\n", 1)
    decision = loads(with_ladder, filename="gov.yaml").evaluate(ticket(), now=at(3, 11, 0))
    assert [("operational",)] == [a.risks for a in decision.actions if a.kind == "notify"]


def test_without_a_governance_section_the_decision_has_no_governance_key() -> None:
    decision = policy(RULES).evaluate(ticket(), now=at(3, 10, 1))
    assert (None, False) == (decision.governance, "governance" in decision.to_dict())


def test_the_decision_gathers_the_risks_of_due_actions_and_matched_rules() -> None:
    # Once its actions are recorded done, a matched rule still counts.
    chosen = policy(RULES + "governance: {}\n")
    first = chosen.evaluate(ticket(), now=at(3, 10, 1))
    assert ("financial", "regulatory", "reputational") == first.governance.risks  # type: ignore[union-attr]
    done = [
        {"at": "2024-06-03T10:01:00Z", "type": "action-done", "action_id": a.id}
        for a in first.actions
        if a.kind == "notify"
    ]
    later = chosen.evaluate(ticket(*done), now=at(3, 10, 2))
    assert [] == [a for a in later.actions if a.kind == "notify"]
    assert ("financial", "reputational") == later.governance.risks  # type: ignore[union-attr]


def test_the_risk_vocabulary_is_fixed_and_a_typo_gets_a_suggestion() -> None:
    with pytest.raises(PolicyError) as caught:
        policy(RULES.replace("risk: [reputational, financial]", "risk: [reputation]"))
    assert (
        "gov.yaml:61:12: rules[0].risk[0]: expected 'financial', 'reputational', 'operational' "
        "or 'regulatory', got 'reputation' (did you mean 'reputational'?)"
    ) == str(caught.value)


def test_a_policy_without_risk_classes_decides_byte_for_byte_as_before() -> None:
    plain = RULES.replace("    risk: [reputational, financial]\n", "").replace(
        ", risk: [regulatory, financial]", ""
    )
    decision = policy(plain).evaluate(ticket(), now=at(3, 10, 1))
    text = json.dumps(decision.to_dict(), sort_keys=True)
    assert ('"risks"' in text, '"governance"' in text) == (False, False)
