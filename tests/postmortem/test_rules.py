"""Rules read postmortem.overdue_items and postmortem.status, after the follow-up stage; what
such a rule may not do is a load error."""

from __future__ import annotations

import pytest

from escalate import PolicyError, loads
from tests.postmortem.policies import BASE, at, done, item, pm, policy, ticket

NAG = """\
  - id: nag
    when: {postmortem.overdue_items: {gte: 1}}
    then: {notify: {to: [person:pat]}}
    rationale: the problem manager hears of every overdue action item
  - id: late-document
    when: {postmortem.status: overdue}
    then: {set_flag: {flag: postmortem-late}}
"""
POLICY = policy(rules=NAG)
RECORDED = "2024-10-25T13:00:00Z"
DUE = "2024-10-29T14:00:00Z"  # tests/postmortem/test_items.py


def rule_actions(now: str, *events: dict[str, object]) -> list[str]:
    decision = POLICY.evaluate(ticket(item(RECORDED, "fix-dns"), *events), now=at(now))
    return [a.id for a in decision.actions if a.source.startswith("rule:")]


def test_a_rule_on_overdue_items_holds_from_the_due_instant_named_by_it() -> None:
    assert ["T1:rule:nag:20241029T140000Z:notify0"] == rule_actions(DUE)


def test_a_rule_on_overdue_items_does_not_hold_one_microsecond_before() -> None:
    assert [] == rule_actions("2024-10-29T13:59:59.999999Z")


def test_a_rule_on_overdue_items_stops_holding_once_the_item_is_done() -> None:
    done_item = pm("2024-10-29T15:00:00Z", "item-done", item="fix-dns")
    assert [] == rule_actions("2024-10-29T16:00:00Z", done_item)


def test_the_rule_s_stretch_outlives_a_new_overdue_item() -> None:
    # A second item overdue later: the count goes from 1 to 2, the stretch (and id) stays.
    second = item("2024-10-28T09:00:00Z", "add-alert", due="2024-10-29T15:00:00Z")
    assert ["T1:rule:nag:20241029T140000Z:notify0"] == rule_actions("2024-10-29T16:00:00Z", second)


def test_a_rule_on_the_document_status_holds_once_it_is_overdue() -> None:
    ids = rule_actions("2024-10-30T11:00:00Z", done(DUE, "T1:rule:nag:20241029T140000Z:notify0"))
    assert ["T1:rule:late-document:20241030T110000Z:set_flag0"] == ids


def test_the_trace_shows_the_post_mortem_facts_the_rule_read() -> None:
    decision = POLICY.evaluate(ticket(item(RECORDED, "fix-dns")), now=at(DUE))
    trace = {r["rule"]: r for r in decision.to_dict()["rules"]}
    [condition] = trace["nag"]["conditions"]
    assert (condition["field"], condition["actual"], condition["result"]) == (
        "postmortem.overdue_items",
        1,
        True,
    )
    assert "pending" == decision.to_dict()["rules"][2]["conditions"][0]["actual"]


def test_a_ticket_without_a_post_mortem_reads_status_none_and_no_overdue_items() -> None:
    data = {"id": "T1", "opened_at": "2024-10-25T10:00:00Z"}
    decision = POLICY.evaluate(data, now=at(DUE))
    actual = {c["field"]: c["actual"] for r in decision.to_dict()["rules"] for c in r["conditions"]}
    assert (actual["postmortem.overdue_items"], actual["postmortem.status"]) == (0, "none")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "{id: r, final: true, when: {postmortem.overdue_items: {gte: 1}}, "
            "then: {notify: {to: [person:pat]}}}",
            "a rule that reads postmortem.* cannot be final",
        ),
        (
            "{id: r, when: {postmortem.status: overdue}, then: {require_postmortem: {}}}",
            "a rule that reads postmortem.* cannot require_postmortem",
        ),
    ],
)
def test_what_a_rule_reading_post_mortem_facts_cannot_do_is_a_load_error(
    rule: str, message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        policy(rules=f"  - {rule}\n")


def test_a_rule_reading_post_mortem_facts_cannot_move_a_path() -> None:
    paths = """\
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: [person:pat]}
      - {name: L2, targets: [person:max]}
"""
    rule = (
        "  - {id: r, when: {postmortem.overdue_items: {gte: 1}}, "
        "then: {escalate: {path: desk, to: L2}}}\n"
    )
    with pytest.raises(PolicyError, match="cannot escalate or transfer"):
        policy(rules=rule, extra=paths)


def test_a_status_value_that_is_not_one_is_a_load_error() -> None:
    with pytest.raises(PolicyError, match=r"postmortem\.status"):
        policy(rules="  - {id: r, when: {postmortem.status: late}, then: {set_flag: {flag: x}}}\n")


def test_a_policy_without_the_section_has_no_post_mortem_facts() -> None:
    rule = "  - {id: r, when: {postmortem.overdue_items: {gte: 1}}, then: {set_flag: {flag: x}}}\n"
    with pytest.raises(PolicyError, match=r"postmortem\.overdue_items"):
        loads(BASE + rule)
