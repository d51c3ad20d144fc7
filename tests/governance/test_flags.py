"""Board-reportable and audit-sample flags: declared criteria, each reason named."""

from __future__ import annotations

import hashlib

import pytest

from escalate.engine.governance import audit_share
from tests.governance.policies import at, policy, ticket

BOARD = """
governance:
  oversight:
    tiers: [team, management, board]
    matrix:
      high: [{after: 0m, tier: management}, {after: 4h, tier: board}]
  board_reportable:
    tiers: [board]
    risks: [regulatory]
    when: {customer.vip: true}
rules:
  - id: gdpr
    when: {regulatory_flags: {any_of: [gdpr]}}
    risk: [regulatory]
    then: {set_flag: {flag: privacy-review}}
"""
FLAGGED = policy(BOARD)


@pytest.mark.parametrize(
    ("fields", "now", "reasons"),
    [
        ({"impact": "high"}, at(3, 13, 59), ()),
        ({"impact": "high"}, at(3, 14), ("oversight tier board",)),
        ({"regulatory_flags": ["gdpr"]}, at(3, 10), ("risk regulatory",)),
        ({"customer": {"vip": True}}, at(3, 10), ("its condition (board_reportable.when) holds",)),
        (
            {"impact": "high", "regulatory_flags": ["gdpr"], "customer": {"vip": True}},
            at(3, 15),
            (
                "oversight tier board",
                "risk regulatory",
                "its condition (board_reportable.when) holds",
            ),
        ),
    ],
)
def test_a_ticket_is_board_reportable_when_any_criterion_holds_and_says_which(
    fields: dict[str, object], now: object, reasons: tuple[str, ...]
) -> None:
    gov = FLAGGED.evaluate(ticket(**fields), now=now).governance  # type: ignore[arg-type]
    assert gov is not None
    assert (bool(reasons), reasons) == (gov.board_reportable, gov.board_reasons)


SAMPLE = policy(
    """
governance:
  audit_sample: {when: {priority: P1}, rate: "1/20"}
"""
)
#: Of INC0001 ... INC0199, the ids whose SHA-256 share of 20 is 0 (sampled at 1/20).
PINNED = [
    "INC0021",
    "INC0066",
    "INC0068",
    "INC0092",
    "INC0113",
    "INC0163",
    "INC0173",
    "INC0177",
]


def test_the_audit_sample_is_a_fixed_share_of_ticket_ids() -> None:
    chosen = []
    for number in range(1, 200):
        data = ticket(id=f"INC{number:04d}", priority="P3")
        gov = SAMPLE.evaluate(data, now=at(3, 10)).governance
        assert gov is not None
        if gov.audit_sample:
            chosen.append(data["id"])
    assert PINNED == chosen


def test_the_share_is_sha256_of_the_id_as_documented() -> None:
    for tid in ("INC0021", "INC0001", "chg-ü-42"):
        digest = hashlib.sha256(tid.encode("utf-8")).digest()
        assert int.from_bytes(digest[:8], "big") % 20 == audit_share(tid, 20)


def test_every_ticket_the_condition_holds_for_is_sampled_and_the_reason_says_why() -> None:
    condition = SAMPLE.evaluate(ticket(id="INC0001"), now=at(3, 10)).governance
    share = SAMPLE.evaluate(ticket(id="INC0021", priority="P3"), now=at(3, 10)).governance
    left = SAMPLE.evaluate(ticket(id="INC0001", priority="P3"), now=at(3, 10)).governance
    assert condition is not None and share is not None and left is not None
    assert [
        (True, "its condition (audit_sample.when) holds"),
        (True, "in the 1/20 share: sha256(id) mod 20 = 0"),
        (False, "not in the 1/20 share: sha256(id) mod 20 = 3"),
    ] == [(g.audit_sample, g.audit_reason) for g in (condition, share, left)]


@pytest.mark.parametrize(("rate", "expected"), [("0/1", False), ("1/1", True), ("20/20", True)])
def test_a_rate_of_none_or_all(rate: str, expected: bool) -> None:
    chosen = policy(f'\ngovernance:\n  audit_sample: {{rate: "{rate}"}}\n')
    gov = chosen.evaluate(ticket(id="INC0001"), now=at(3, 10)).governance
    assert gov is not None and expected == gov.audit_sample
