"""A bad governance section is a PolicyError naming file:line:col, the key path and the value."""

from __future__ import annotations

import pytest

from escalate import PolicyError
from tests.governance.policies import policy

CASES = [
    (
        """
governance:
  oversight:
    tiers: [team, management]
    matrix:
      default: [{after: 0m, tier: team}, {after: 4h, tier: managment}]
""",
        "gov.yaml:62:54: governance.oversight.matrix.default[1].tier: unknown tier "
        "'managment' (tiers: team, management) (did you mean 'management'?)",
    ),
    (
        """
governance:
  oversight:
    tiers: [team, management]
    matrix:
      default: [{after: 4h, tier: team}, {after: 1h, tier: management}]
""",
        "gov.yaml:62:43: governance.oversight.matrix.default[1].after: entries are in "
        "ascending 'after' order; 1h is not after 4h",
    ),
    (
        """
governance:
  oversight:
    tiers: [team, management]
    matrix:
      default: [{after: 0m, tier: management}, {after: 1h, tier: team}]
""",
        "gov.yaml:62:60: governance.oversight.matrix.default[1].tier: oversight only rises: "
        "tier 'team' is below 'management' (tiers are listed lowest first)",
    ),
    (
        """
governance:
  oversight:
    tiers: [team]
    matrix:
      critical: [{after: 0m, tier: team}]
""",
        "gov.yaml:62:7: governance.oversight.matrix.critical: 'critical' is not a canonical "
        "impact (known: high, low, medium)",
    ),
    (
        """
governance:
  oversight:
    tiers: [team]
    duration: clock:resolve
    matrix:
      default: [{after: 4h, tier: team}]
""",
        "gov.yaml:61:5: governance.oversight.duration: unknown clock 'resolve'",
    ),
    (
        """
governance:
  oversight:
    tiers: [team]
    duration: elapsed
    matrix:
      default: [{after: 4h, tier: team}]
""",
        "gov.yaml:61:5: governance.oversight.duration: expected 'open' or 'clock:<name>', "
        "got 'elapsed'",
    ),
    (
        """
governance:
  audit_sample: {rate: "3/2"}
""",
        "gov.yaml:59:18: governance.audit_sample.rate: rate is a share from '0/1' to '1/1', "
        "like '1/20', got '3/2'",
    ),
    (
        """
governance:
  board_reportable: {tiers: [board]}
""",
        "gov.yaml:59:22: governance.board_reportable.tiers: board_reportable.tiers reads the "
        "oversight tier: declare governance.oversight",
    ),
    (
        """
governance:
  board_reportable: {risks: [regulatry]}
""",
        "gov.yaml:59:30: governance.board_reportable.risks[0]: expected 'financial', "
        "'reputational', 'operational' or 'regulatory', got 'regulatry' "
        "(did you mean 'regulatory'?)",
    ),
    (
        """
governance:
  board_reportable: {when: {priorty: P1}}
""",
        "gov.yaml:59:29: governance.board_reportable.when.priorty: unknown field 'priorty' in "
        "condition (did you mean 'priority'?)",
    ),
    (
        """
governance:
  overrides: {unauthorised: ignore}
""",
        "gov.yaml:59:15: governance.overrides.unauthorised: expected 'reject' or 'flag', got "
        "'ignore'",
    ),
]


@pytest.mark.parametrize(("extra", "message"), CASES)
def test_a_bad_governance_section_names_where_and_what(extra: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        policy(extra)
    assert message == str(caught.value)
