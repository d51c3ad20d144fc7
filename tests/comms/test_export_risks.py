"""Risk classes are governance data: no audience but ``internal`` reads them in an export,
not even on the actions meant for that audience."""

from __future__ import annotations

import json

import pytest

from tests.governance.policies import at, policy, ticket


@pytest.mark.parametrize("audience", ["customer", "executive", "regulator", "vendor"])
def test_no_external_or_executive_export_carries_risk_classes(audience: str) -> None:
    chosen = policy(
        """
rules:
  - id: customer-data
    when: {regulatory_flags: {any_of: [gdpr]}}
    risk: [regulatory]
    then:
      notify: {to: [person:alice], channel: email, audience: AUDIENCE}
      risk: [reputational]
governance:
  overrides: {unauthorised: flag}
""".replace("AUDIENCE", audience)
    )
    decision = chosen.evaluate(ticket(regulatory_flags=["gdpr"]), now=at(3, 10, 5))
    internal = chosen.export(decision, audience="internal")
    assert ["regulatory", "reputational"] == internal["actions"][0]["risks"]
    exported = chosen.export(decision, audience=audience)
    assert [a["id"] for a in exported["actions"]] == [a["id"] for a in internal["actions"]]
    assert all("risks" not in a for a in exported["actions"])
    assert '"risks"' not in json.dumps(exported)
    assert "reputational" not in json.dumps(exported)
