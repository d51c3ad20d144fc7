"""The post-mortem document: its due date, its owner, its publication and its thresholds.

T1 is resolved Friday 25 October 2024 11:00 UTC; rule ``pm`` requires a post-mortem within
5 days of wall time: due Wednesday 30 October 11:00 UTC (tests/postmortem/policies.py).
"""

from __future__ import annotations

from fractions import Fraction

from escalate import loads
from tests.postmortem.policies import BASE, REQUIRED, REQUIRED_BY, SECTION, at, pm, policy, ticket

POLICY = policy()
DOCUMENT_DUE = "2024-10-30T11:00:00Z"
DOCUMENT_ID = "T1:postmortem:document#1@0:notify0"


def test_the_post_mortem_is_due_as_the_require_postmortem_action_says() -> None:
    found = POLICY.evaluate(ticket(), now=at("2024-10-27T23:00:00Z")).postmortem
    assert found is not None
    assert (found.required_at, found.required_by, found.due_by, found.status) == (
        at(REQUIRED),
        REQUIRED_BY,
        at(DOCUMENT_DUE),
        "pending",
    )
    # Sunday 27 October 23:00 UTC is 2.5 of the 5 days: the document counts real time.
    assert Fraction(50) == found.percent


def test_without_an_assigned_event_the_policy_s_owner_owns_it() -> None:
    found = POLICY.evaluate(ticket(), now=at("2024-10-26T00:00:00Z")).postmortem
    assert found is not None
    assert (found.owner, found.owner_from) == ("role:problem-manager", "policy")


def test_an_assigned_event_names_the_owner_instead() -> None:
    events = (pm("2024-10-25T12:00:00Z", "assigned", owner="anna", actor="pat"),)
    found = POLICY.evaluate(ticket(*events), now=at("2024-10-26T00:00:00Z")).postmortem
    assert found is not None
    assert (found.owner, found.owner_from) == ("anna", "event")


def test_an_owner_written_assignee_is_the_ticket_s_assignee_when_it_was_required() -> None:
    text = (BASE + SECTION).replace("owner: role:problem-manager", "owner: assignee")
    found = loads(text).evaluate(ticket(), now=at("2024-10-26T00:00:00Z")).postmortem
    assert found is not None
    assert (found.owner, found.owner_from) == ("zoe", "policy")


def test_one_microsecond_before_its_due_it_is_pending_and_wakes_at_the_due() -> None:
    decision = POLICY.evaluate(ticket(), now=at("2024-10-30T10:59:59.999999Z"))
    assert decision.postmortem is not None
    assert (decision.postmortem.status, decision.actions) == ("pending", ())
    assert at(DOCUMENT_DUE) == decision.next_evaluation_at


def test_at_its_due_unpublished_it_is_overdue_and_its_owner_is_notified() -> None:
    decision = POLICY.evaluate(ticket(), now=at(DOCUMENT_DUE))
    assert decision.postmortem is not None
    assert (decision.postmortem.status, decision.postmortem.overdue_since) == (
        "overdue",
        at(DOCUMENT_DUE),
    )
    [action] = decision.actions
    assert (action.id, action.source, action.targets, action.people, action.due_at) == (
        DOCUMENT_ID,
        "postmortem:document@100%",
        ("role:problem-manager",),
        ("pat",),
        at(DOCUMENT_DUE),
    )
    assert decision.next_evaluation_at is None


def test_the_owner_target_follows_an_assigned_owner() -> None:
    events = (pm("2024-10-25T12:00:00Z", "assigned", owner="anna"),)
    [action] = POLICY.evaluate(ticket(*events), now=at(DOCUMENT_DUE)).actions
    assert (action.targets, action.people) == (("person:anna",), ("anna",))


def test_an_owner_the_directory_does_not_know_is_left_for_the_caller_with_a_note() -> None:
    events = (pm("2024-10-25T12:00:00Z", "assigned", owner="role:sre-lead"),)
    [action] = POLICY.evaluate(ticket(*events), now=at(DOCUMENT_DUE)).actions
    assert (action.targets, action.people) == (("role:sre-lead",), ())
    assert "role:sre-lead is not in the directory: left for the caller to resolve" in action.notes


def test_an_assigned_due_replaces_the_due_date_and_arms_the_thresholds_again() -> None:
    events = (pm("2024-10-28T09:00:00Z", "assigned", owner="anna", due="2024-11-01T12:00:00Z"),)
    before = POLICY.evaluate(ticket(*events), now=at(DOCUMENT_DUE))
    assert before.postmortem is not None
    assert (before.postmortem.due_by, before.postmortem.revision, before.actions) == (
        at("2024-11-01T12:00:00Z"),
        2,
        (),
    )
    assert at("2024-11-01T12:00:00Z") == before.next_evaluation_at
    [action] = POLICY.evaluate(ticket(*events), now=at("2024-11-01T12:00:00Z")).actions
    assert "T1:postmortem:document#2@0:notify0" == action.id


def test_published_before_its_due_it_escalates_nothing_and_needs_no_wake_up() -> None:
    decision = POLICY.evaluate(
        ticket(pm("2024-10-29T09:00:00Z", "published")), now=at("2024-11-05T00:00:00Z")
    )
    assert decision.postmortem is not None
    assert (decision.postmortem.status, decision.postmortem.overdue_since) == ("published", None)
    assert (decision.actions, decision.next_evaluation_at) == ((), None)


def test_published_late_it_keeps_when_it_became_overdue() -> None:
    decision = POLICY.evaluate(
        ticket(pm("2024-10-31T09:00:00Z", "published")), now=at("2024-11-05T00:00:00Z")
    )
    assert decision.postmortem is not None
    found = decision.postmortem
    assert (found.status, found.published_at, found.overdue_since) == (
        "published",
        at("2024-10-31T09:00:00Z"),
        at(DOCUMENT_DUE),
    )
    assert () == decision.actions
