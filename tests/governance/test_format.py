"""A decision with governance and risk classes matches the documented output format."""

from __future__ import annotations

import json

import jsonschema

from escalate.engine.decision_format import DecisionOutput
from escalate.schemas import json_schema
from tests.governance.policies import at, override, policy, ticket

POLICY = policy(
    """
rules:
  - id: gdpr
    when: {regulatory_flags: {any_of: [gdpr]}}
    risk: [regulatory]
    then: {notify: {to: [person:alice], channel: email}, risk: [reputational]}
governance:
  oversight:
    tiers: [team, board]
    matrix:
      default: [{after: 0m, tier: team}, {after: 1h, tier: board}]
  board_reportable: {tiers: [board], risks: [regulatory]}
  audit_sample: {rate: "1/20"}
  overrides: {unauthorised: reject}
"""
)


def test_a_governance_decision_validates_against_the_model_and_the_json_schema() -> None:
    data = ticket(override("2024-06-03T10:05:00Z", "erin", "L3"), regulatory_flags=["gdpr"])
    document = json.loads(POLICY.evaluate(data, now=at(3, 10, 30)).to_json())
    assert {"regulatory", "reputational"} == set(document["governance"]["risks"])
    DecisionOutput.model_validate(document)
    jsonschema.validate(document, json_schema("decision"))
