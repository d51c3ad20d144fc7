"""Action items: due dates on a business calendar, thresholds at 100 % and 150 %, closing.

Hand-worked (tests/postmortem/policies.py): item ``fix-dns`` recorded Friday 25 October 2024
13:00 UTC (15:00 in Berlin, summer time) is due two business days later at the same wall
time, Tuesday 29 October 15:00 in Berlin -- winter time by then, so 14:00 UTC. The time
allowed is the office's working time in between: Friday 15-17 (2 h), Monday (8 h) and
Tuesday 9-15 (6 h), 16 h. 150 % is 24 h: Friday 2 h, Monday 8 h, Tuesday 8 h, then Wednesday
9-15 (6 h): Wednesday 30 October 15:00 in Berlin, 14:00 UTC.
"""

from __future__ import annotations

from fractions import Fraction

from escalate import Decision
from tests.postmortem.policies import at, done, item, pm, policy, ticket

POLICY = policy()
RECORDED = "2024-10-25T13:00:00Z"
DUE = "2024-10-29T14:00:00Z"
AT_150 = "2024-10-30T14:00:00Z"
DOCUMENT_DUE = "2024-10-30T11:00:00Z"
AT_100_ID = "T1:postmortem:fix-dns#1@0:notify0"
AT_150_ID = "T1:postmortem:fix-dns#1@1:notify0"


def decide(*events: dict[str, object], now: str, closed: bool = False) -> Decision:
    return POLICY.evaluate(ticket(item(RECORDED, "fix-dns"), *events, closed=closed), now=at(now))


def test_an_item_without_a_due_is_due_two_business_days_later_across_a_weekend_and_dst() -> None:
    found = decide(now="2024-10-28T12:00:00Z").postmortem
    assert found is not None
    fix = found.item("fix-dns")
    assert (fix.due_at, fix.target, fix.status) == (at(DUE), "2bd", "open")


def test_percent_counts_working_time_of_the_time_allowed_exactly() -> None:
    # Monday 28 October 12:00 UTC is 13:00 in Berlin: Friday 2 h + Monday 4 h = 6 h of 16 h.
    found = decide(now="2024-10-28T12:00:00Z").postmortem
    assert found is not None
    assert Fraction(75, 2) == found.item("fix-dns").percent


def test_one_microsecond_before_the_due_instant_nothing_is_due_and_it_wakes_at_the_due() -> None:
    decision = decide(now="2024-10-29T13:59:59.999999Z")
    assert decision.postmortem is not None
    assert (decision.actions, decision.postmortem.item("fix-dns").status) == ((), "open")
    assert at(DUE) == decision.next_evaluation_at


def test_at_the_due_instant_the_item_is_overdue_and_its_owner_is_notified() -> None:
    decision = decide(now=DUE)
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix-dns")
    assert (fix.status, fix.overdue_since, fix.percent) == ("overdue", at(DUE), 100)
    [action] = decision.actions
    assert (action.id, action.kind, action.source, action.due_at, action.late) == (
        AT_100_ID,
        "notify",
        "postmortem:fix-dns@100%",
        at(DUE),
        False,
    )
    assert (action.targets, action.people) == (("person:anna",), ("anna",))
    assert at(DOCUMENT_DUE) == decision.next_evaluation_at  # before the 150 % threshold


def test_at_150_percent_the_manager_is_notified_and_the_100_percent_notice_superseded() -> None:
    decision = decide(done(DUE, AT_100_ID), now=AT_150)
    ids = [a.id for a in decision.actions]
    assert AT_150_ID in ids and AT_100_ID not in ids
    manager = next(a for a in decision.actions if a.id == AT_150_ID)
    assert (manager.targets, manager.people, manager.due_at) == (
        ("manager:anna",),
        ("max",),
        at(AT_150),
    )


def test_one_microsecond_before_150_percent_only_the_100_percent_notice_is_due() -> None:
    decision = decide(pm("2024-10-25T14:00:00Z", "published"), now="2024-10-30T13:59:59.999999Z")
    assert [AT_100_ID] == [a.id for a in decision.actions]
    assert at(AT_150) == decision.next_evaluation_at


def test_the_100_percent_notice_recorded_done_is_not_due_again() -> None:
    decision = decide(
        pm("2024-10-25T14:00:00Z", "published"), done(DUE, AT_100_ID), now="2024-10-29T15:00:00Z"
    )
    assert () == decision.actions
    assert at(AT_150) == decision.next_evaluation_at


def test_an_item_done_before_its_due_is_done_on_time_and_escalates_nothing() -> None:
    # Monday 28 October 12:00 UTC: 6 h of 16 h.
    decision = decide(
        pm("2024-10-25T14:00:00Z", "published"),
        pm("2024-10-28T12:00:00Z", "item-done", item="fix-dns"),
        now=AT_150,
    )
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix-dns")
    assert (fix.status, fix.closed_at, fix.overdue_since, fix.percent) == (
        "done",
        at("2024-10-28T12:00:00Z"),
        None,
        Fraction(75, 2),
    )
    assert ((), None) == (decision.actions, decision.next_evaluation_at)


def test_an_item_done_at_exactly_its_due_instant_is_on_time() -> None:
    decision = decide(pm(DUE, "item-done", item="fix-dns"), now=DUE)
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix-dns")
    assert (fix.status, fix.overdue_since) == ("done", None)
    assert [] == [a for a in decision.actions if a.source.startswith("postmortem:fix-dns")]


def test_an_item_done_after_its_due_keeps_when_it_became_overdue_and_stops_escalating() -> None:
    decision = decide(pm("2024-10-30T09:00:00Z", "item-done", item="fix-dns"), now=AT_150)
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix-dns")
    assert (fix.status, fix.overdue_since) == ("done", at(DUE))
    assert [] == [a for a in decision.actions if a.source.startswith("postmortem:fix-dns")]
    assert "done late 2024-10-30T09:00:00+00:00" in decision.explain()


def test_a_dropped_item_keeps_its_reason_and_escalates_nothing() -> None:
    decision = decide(
        pm("2024-10-28T09:00:00Z", "item-dropped", item="fix-dns", reason="the zone moved"),
        now=AT_150,
    )
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix-dns")
    assert (fix.status, fix.reason, fix.overdue_since) == ("dropped", "the zone moved", None)
    assert 0 == decision.postmortem.overdue_items
    assert [] == [a for a in decision.actions if a.source.startswith("postmortem:fix-dns")]


def test_an_item_with_its_own_due_is_measured_in_real_time_to_that_instant() -> None:
    # Recorded Friday 13:00 UTC, due Saturday 13:00 UTC: 24 h of real time allowed; at
    # Saturday 01:00 UTC, 12 h have passed (50 %) though the office is closed.
    decision = POLICY.evaluate(
        ticket(item(RECORDED, "fix-dns", due="2024-10-26T15:00:00+02:00")),
        now=at("2024-10-26T01:00:00Z"),
    )
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix-dns")
    assert (fix.due_at, fix.target, fix.percent) == (at("2024-10-26T13:00:00Z"), "1d", 50)
    assert at("2024-10-26T13:00:00Z") == decision.next_evaluation_at


def test_a_resent_item_with_a_new_due_arms_its_thresholds_again() -> None:
    # Overdue Tuesday 14:00 UTC, notified and recorded; re-sent Tuesday 15:00 UTC with a due
    # of Thursday 31 October 15:00 UTC: 6 days 2 hours of real time from its recording. Revision 2
    # reaches 100 % at the new due with an id of its own.
    resent = item("2024-10-29T15:00:00Z", "fix-dns", owner="zoe", due="2024-10-31T15:00:00Z")
    events = (pm("2024-10-25T14:00:00Z", "published"), done(DUE, AT_100_ID), resent)
    before = decide(*events, now="2024-10-31T14:59:59.999999Z")
    assert before.postmortem is not None
    fix = before.postmortem.item("fix-dns")
    assert (fix.revision, fix.status, fix.owner, fix.due_at, fix.target) == (
        2,
        "open",
        "zoe",
        at("2024-10-31T15:00:00Z"),
        "6d2h",
    )
    assert ((), at("2024-10-31T15:00:00Z")) == (before.actions, before.next_evaluation_at)
    after = decide(*events, now="2024-10-31T15:00:00Z")
    [action] = after.actions
    assert (action.id, action.targets) == ("T1:postmortem:fix-dns#2@0:notify0", ("person:zoe",))


def test_an_item_resent_without_a_due_keeps_its_due_and_takes_the_new_title() -> None:
    resent = pm("2024-10-28T09:00:00Z", "item", item="fix-dns", title="Lower the TTL", owner="zoe")
    found = decide(resent, now="2024-10-28T10:00:00Z").postmortem
    assert found is not None
    fix = found.item("fix-dns")
    assert (fix.title, fix.owner, fix.revision, fix.due_at) == ("Lower the TTL", "zoe", 1, at(DUE))


def test_an_item_whose_due_had_passed_when_recorded_is_overdue_from_its_recording() -> None:
    decision = POLICY.evaluate(
        ticket(item(RECORDED, "fix-dns", due="2024-10-25T12:00:00Z")), now=at(RECORDED)
    )
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix-dns")
    assert (fix.status, fix.overdue_since, fix.percent) == ("overdue", at(RECORDED), None)
    assert {AT_100_ID.replace("@0", "@1")} == {a.id for a in decision.actions}


def test_items_follow_the_order_of_their_first_recording() -> None:
    found = decide(
        item("2024-10-25T14:00:00Z", "add-alert"),
        item("2024-10-25T15:00:00Z", "fix-dns", owner="zoe"),
        now="2024-10-25T16:00:00Z",
    ).postmortem
    assert found is not None
    assert ["fix-dns", "add-alert"] == [i.id for i in found.items]
