"""Lint findings for authority that is silently never granted (review of issue 14)."""

from __future__ import annotations

from escalate import lint, loads
from escalate.policy.lint import render_where
from tests.governance.policies import BASE


def found(text: str, *codes: str) -> list[tuple[str, str, str]]:
    policy = loads(text, filename="gov.yaml")
    return [(f.code, render_where(f.where), f.message) for f in lint(policy) if f.code in codes]


def test_a_label_that_looks_like_a_built_in_action_is_reported_with_the_action() -> None:
    text = BASE.replace(
        "authority: [override-escalation, declare-major-incident]",
        'authority: [overide-escalation, "Override Escalation", declare-major-incident]',
    )
    assert [
        (
            "authority-near-miss",
            "directory.people.alice.authority[0]",
            "authority 'overide-escalation' is not an action escalate names; did you mean "
            "'override-escalation'? (authorize matches labels exactly)",
        ),
        (
            "authority-near-miss",
            "directory.people.alice.authority[1]",
            "authority 'Override Escalation' is not an action escalate names; did you mean "
            "'override-escalation'? (authorize matches labels exactly)",
        ),
    ] == found(text, "authority-near-miss")


def test_reject_with_nobody_holding_override_escalation_is_reported() -> None:
    nobody = BASE.replace("override-escalation", "declare-major-incident").replace(
        "[approve-emergency-change, declare-major-incident]", "[approve-emergency-change]"
    )
    reject = "governance:\n  overrides: {unauthorised: reject}\n"
    assert ["override-authority-missing"] == [
        c for c, _, _ in found(nobody + reject, "override-authority-missing")
    ]
    assert [] == found(nobody + "governance: {}\n", "override-authority-missing")
    assert [] == found(BASE + reject, "override-authority-missing")


def test_a_person_holding_only_authority_or_a_spend_limit_is_not_unused() -> None:
    # mona only has a spend limit; zoe only an authority label; yann nothing at all
    text = BASE.replace(
        "    mona:\n",
        "    zoe: {authority: [declare-major-incident]}\n    yann: {}\n    mona:\n",
    )
    assert ["directory.people.yann"] == [w for _, w, _ in found(text, "unused-person")]
