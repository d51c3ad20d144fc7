"""Regressions found by the review of the post-mortem follow-up (issue 15): each test
failed before its fix.

Hand-worked instants come from tests/postmortem/policies.py: T1 is resolved Friday 25
October 2024 11:00 UTC, its post-mortem due five days later (Wednesday 30 October 11:00 UTC);
an item recorded Friday 13:00 UTC is due Tuesday 29 October 14:00 UTC (2bd on ``office``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from escalate import PolicyError, lint, loads
from tests.postmortem.policies import (
    BASE,
    REQUIRED,
    REQUIRED_BY,
    SECTION,
    at,
    done,
    item,
    pm,
    policy,
    ticket,
)

POLICY = policy()
DUE = "2024-10-29T14:00:00Z"


# -- a finished follow-up is never measured past its end (defect 2) ----------------------------


def test_a_finished_follow_up_evaluated_past_the_calendar_years_is_not_an_error() -> None:
    # All done in 2024; the calendar is compiled for 2024-2025; asked in 2026.
    data = ticket(
        item("2024-10-25T13:00:00Z", "fix"),
        pm("2024-10-25T14:00:00Z", "published"),
        pm("2024-10-28T13:00:00Z", "item-done", item="fix"),
        closed=True,
    )
    found = POLICY.evaluate(data, now=at("2026-01-05T00:00:00Z")).postmortem
    assert found is not None
    fix = found.item("fix")
    assert (found.status, fix.status, fix.due_at, fix.overdue_since) == (
        "published",
        "done",
        at(DUE),
        None,
    )


# -- the requirement: never in the future, never forgotten (defects 3, 4a, 4b; T1) -------------

CLOCKED = """\
policy: pm-clock
version: "1"
clocks:
  resolution:
    start: {event: created}
    stop: {category: [resolved, closed]}
    targets: {P1: {within: 1h}, P3: {within: 4h}}
    ladder:
      - {at: 100%, require_postmortem: {within: 2d}}
      - {at: 200%, notify: {to: [person:pat]}}
postmortem: {}
"""
RUNG = "T1:clock:resolution#1@0:require_postmortem0"


def clocked(*events: dict[str, Any], priority: str = "P1") -> dict[str, Any]:
    return {
        "id": "T1",
        "opened_at": "2024-10-25T10:00:00Z",
        "priority": priority,
        "events": [{"at": "2024-10-25T10:00:00Z", "type": "created"}, *events],
    }


def test_a_requirement_recorded_stays_when_a_later_priority_moves_its_rung_into_the_future() -> (
    None
):
    # P1 (1 h): the 100 % rung is reached 11:00 and recorded 11:05; at 11:30 the ticket becomes
    # P3 (4 h), so the rung now lies at 14:00. At 12:00 the post-mortem is still the one
    # required at 11:00, due two days later -- not a requirement in the future.
    data = clocked(
        done("2024-10-25T11:05:00Z", RUNG),
        {
            "at": "2024-10-25T11:30:00Z",
            "type": "priority-changed",
            "priority": "P3",
            "from_priority": "P1",
        },
        priority="P3",
    )
    for now in ("2024-10-25T12:00:00Z", "2024-10-25T15:00:00Z"):
        found = loads(CLOCKED).evaluate(data, now=at(now)).postmortem
        assert found is not None
        assert (found.required_at, found.required_by, found.due_by) == (
            at("2024-10-25T11:00:00Z"),
            RUNG,
            at("2024-10-27T11:00:00Z"),
        )


def test_a_rung_superseded_by_a_higher_one_still_required_the_post_mortem() -> None:
    # 100 % (11:00) requires it, 200 % (12:00) notifies: at 12:00 and after the resolution the
    # post-mortem required at 11:00 is still there, though never recorded.
    data = clocked()
    for now, events in (
        ("2024-10-25T12:00:00Z", ()),
        ("2024-10-28T12:00:00Z", ({"at": "2024-10-25T12:30:00Z", "type": "resolved"},)),
    ):
        found = loads(CLOCKED).evaluate({**data, "events": [*data["events"], *events]}, now=at(now))
        assert found.postmortem is not None
        assert (found.postmortem.required_at, found.postmortem.required_by) == (
            at("2024-10-25T11:00:00Z"),
            RUNG,
        )


def test_a_requirement_due_but_unrecorded_survives_a_reopening() -> None:
    # Resolved 11:00 (requirement due, not recorded), an item recorded, reopened Monday:
    # the post-mortem stays and its item is still escalated; resolved again Tuesday 09:00,
    # it is still the one required Friday 11:00, due Wednesday 11:00.
    reopened = {"at": "2024-10-28T09:00:00Z", "type": "reopened"}
    live = ticket(item("2024-10-25T13:00:00Z", "fix"), reopened, recorded=False)
    decision = POLICY.evaluate(live, now=at(DUE))
    assert decision.postmortem is not None
    assert (decision.postmortem.required_at, decision.postmortem.due_by) == (
        at(REQUIRED),
        at("2024-10-30T11:00:00Z"),
    )
    assert "T1:postmortem:fix#1@0:notify0" in [a.id for a in decision.actions]
    again = ticket(
        item("2024-10-25T13:00:00Z", "fix"),
        reopened,
        {"at": "2024-10-29T09:00:00Z", "type": "resolved"},
        recorded=False,
    )
    found = POLICY.evaluate(again, now=at(DUE)).postmortem
    assert found is not None
    assert (found.required_at, found.required_by, found.due_by) == (
        at(REQUIRED),
        REQUIRED_BY,
        at("2024-10-30T11:00:00Z"),
    )


def test_an_action_done_for_a_require_postmortem_that_was_never_due_creates_nothing() -> None:
    # The ticket is never resolved: rule pm never held, so its id recorded done is a mistake,
    # not a post-mortem. Likewise a clock rung recorded before it was reached.
    data = {
        "id": "T1",
        "opened_at": "2024-10-25T10:00:00Z",
        "events": [done("2024-10-25T11:05:00Z", REQUIRED_BY)],
    }
    assert POLICY.evaluate(data, now=at("2024-10-26T00:00:00Z")).postmortem is None
    early = clocked(done("2024-10-25T10:30:00Z", RUNG))
    assert loads(CLOCKED).evaluate(early, now=at("2024-10-25T10:45:00Z")).postmortem is None


# -- items: revisions and overdue instants (defects 5, 7) --------------------------------------


def test_re_sending_an_item_with_the_due_it_already_had_keeps_its_revision() -> None:
    data = ticket(
        item("2024-10-25T13:00:00Z", "fix"),
        done(DUE, "T1:postmortem:fix#1@0:notify0"),
        item("2024-10-29T15:00:00Z", "fix", due=DUE),
    )
    decision = POLICY.evaluate(data, now=at("2024-10-29T16:00:00Z"))
    assert decision.postmortem is not None
    assert (decision.postmortem.item("fix").revision, decision.actions) == (1, ())


def test_a_due_already_past_when_it_is_set_is_overdue_from_the_event_that_set_it() -> None:
    data = ticket(
        item("2024-10-25T13:00:00Z", "fix"),
        item("2024-10-28T09:00:00Z", "fix", due="2024-10-28T08:00:00Z"),
    )
    decision = POLICY.evaluate(data, now=at("2024-10-28T10:00:00Z"))
    assert decision.postmortem is not None
    fix = decision.postmortem.item("fix")
    assert (fix.status, fix.overdue_since) == ("overdue", at("2024-10-28T09:00:00Z"))
    [action] = decision.actions
    assert (action.id, action.due_at) == ("T1:postmortem:fix#2@0:notify0", fix.overdue_since)


# -- the owner (defect 9) ----------------------------------------------------------------------


def test_an_owner_the_policy_names_but_nobody_fills_comes_from_nowhere() -> None:
    # owner: assignee with no assignee: no owner, and so no source for it.
    text = (BASE + SECTION).replace("owner: role:problem-manager", "owner: assignee")
    data = ticket()
    del data["assignee"]
    data["events"] = data["events"][1:]
    found = loads(text).evaluate(data, now=at("2024-10-28T00:00:00Z")).postmortem
    assert found is not None
    assert (found.owner, found.owner_from) == (None, None)


# -- rules on postmortem.overdue_items: exact counts, linear cost (defect 1) --------------------

TWO = """\
  - id: two-late
    when: {postmortem.overdue_items: {gte: 2}}
    then: {notify: {to: [person:pat]}}
"""


def test_the_overdue_count_rises_falls_and_rises_again_as_items_come_due_and_close() -> None:
    # a: due 29 Oct 14:00 (2bd); b: due 15:00; a done 16:00 (count 2 -> 1); c: due 17:00
    # (count 2 again): the rule's current stretch began at 17:00.
    data = ticket(
        item("2024-10-25T13:00:00Z", "a"),
        item("2024-10-28T09:00:00Z", "b", due="2024-10-29T15:00:00Z"),
        item("2024-10-28T09:00:00Z", "c", due="2024-10-29T17:00:00Z"),
        pm("2024-10-29T16:00:00Z", "item-done", item="a"),
    )
    decision = policy(rules=TWO).evaluate(data, now=at("2024-10-29T18:00:00Z"))
    ids = [a.id for a in decision.actions if a.source == "rule:two-late"]
    assert ids == ["T1:rule:two-late:20241029T170000Z:notify0"]
    before = policy(rules=TWO).evaluate(
        {**data, "events": data["events"][:-1]}, now=at("2024-10-29T15:30:00Z")
    )
    assert [a.id for a in before.actions if a.source == "rule:two-late"] == [
        "T1:rule:two-late:20241029T150000Z:notify0"
    ]
    between = policy(rules=TWO).evaluate(data, now=at("2024-10-29T16:30:00Z"))
    assert [a.id for a in between.actions if a.source == "rule:two-late"] == []


def test_a_rule_on_overdue_items_reads_each_item_once_not_once_per_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 300 items recorded a second apart, all overdue: the rule's stretches ask for the count
    # at every change (about two per item). It used to measure every item at each of them
    # (items squared); now each item's overdue instant is worked out a bounded number of times and
    # the count comes from a bisection. Work is counted, not timed (timing lives in bench/).
    from escalate.engine import followup

    calls = [0]
    overdue_from = followup._Measured.overdue_from

    def counted(since: Any, due: Any) -> Any:
        calls[0] += 1
        return overdue_from(since, due)

    monkeypatch.setattr(followup._Measured, "overdue_from", staticmethod(counted))
    base = at("2024-10-25T13:00:00Z")
    n = 300
    events = [item((base + timedelta(seconds=k)).isoformat(), f"i{k}") for k in range(n)]
    data, now = ticket(*events), at("2024-11-05T00:00:00Z")
    read = []
    for rules in ("", TWO):
        calls[0] = 0
        decision = policy(rules=rules).evaluate(data, now=now)
        assert decision.postmortem is not None and decision.postmortem.overdue_items == n
        read.append(calls[0])
    assert read[1] <= read[0] + 2 * n, read  # not n * (2 n) reads


# -- owner-manager of a role, a team, a person without a manager (defect 8, T2) ---------------

OWNERS = """\
postmortem:
  items: {due: 2bd, calendar: office}
  escalation:
    - {at: 100%, notify: {to: [item-owner-manager]}}
  document_escalation:
    - {at: 100%, notify: {to: [postmortem-owner-manager]}}
"""
DOCUMENT_DUE = "2024-10-30T11:00:00Z"


def owners_policy(base: str = BASE) -> Any:
    teams = "  teams:\n    sre: {members: [zoe], lead: anna}\n  roles:\n"
    return loads(base.replace("  roles:\n", teams) + OWNERS, filename="pm.yaml")


def owner_action(decision: Any, prefix: str) -> Any:
    [found] = [a for a in decision.actions if a.id.startswith(prefix)]
    return found


def test_the_manager_of_a_role_owner_is_the_manager_of_whoever_holds_the_role() -> None:
    found = owners_policy(BASE.replace("    pat: {}\n", "    pat: {managers: [max]}\n"))
    action = owner_action(found.evaluate(ticket(), now=at(DOCUMENT_DUE)), "T1:postmortem:doc")
    assert (action.targets, action.people) == (("manager:pat",), ("max",))


def test_a_role_owner_whose_holder_has_no_manager_is_notified_itself_never_nobody() -> None:
    action = owner_action(
        owners_policy().evaluate(ticket(), now=at(DOCUMENT_DUE)), "T1:postmortem:doc"
    )
    assert (action.targets, action.people) == (("role:problem-manager",), ("pat",))
    assert "has no manager" in action.notes[0]


def test_the_manager_of_a_team_owner_is_its_lead() -> None:
    data = ticket(item("2024-10-25T13:00:00Z", "alert", owner="team:sre"))
    action = owner_action(owners_policy().evaluate(data, now=at(DUE)), "T1:postmortem:alert")
    assert (action.targets, action.people) == (("person:anna",), ("anna",))


def test_a_person_in_the_directory_without_a_manager_is_not_said_to_be_missing() -> None:
    data = ticket(item("2024-10-25T13:00:00Z", "fix", owner="zoe"))
    action = owner_action(owners_policy().evaluate(data, now=at(DUE)), "T1:postmortem:fix")
    assert (action.targets, action.people) == (("person:zoe",), ("zoe",))
    assert not any("not in the directory" in note for note in action.notes)
    assert "zoe has no manager" in action.notes[0]


def test_a_document_nobody_owns_notifies_nobody_until_someone_does() -> None:
    text = (BASE + SECTION).replace(", owner: role:problem-manager", "")
    unowned = loads(text).evaluate(ticket(), now=at(DOCUMENT_DUE))
    assert [a for a in unowned.actions if a.kind == "notify"] == []
    owned = loads(text).evaluate(
        ticket(pm("2024-10-30T12:00:00Z", "assigned", owner="anna")),
        now=at("2024-10-30T12:00:00Z"),
    )
    action = owner_action(owned, "T1:postmortem:document")
    assert (action.id, action.targets) == ("T1:postmortem:document#1@0:notify0", ("person:anna",))


# -- a mistyped owner target (defect 14) -------------------------------------------------------


def test_a_mistyped_owner_target_suggests_the_owner_target() -> None:
    section = SECTION.replace("to: [item-owner]}", "to: [item-ownr]}")
    with pytest.raises(PolicyError) as caught:
        policy(section=section)
    assert str(caught.value) == (
        "pm.yaml:23:32: postmortem.escalation[0].notify.to[0]: unknown target 'item-ownr' "
        "(did you mean 'item-owner'?)"
    )


# -- after: counts on the section's calendar for every item (defect 6) -------------------------

AFTER = """\
postmortem:
  items: {due: 5bd, calendar: office}
  escalation:
    - {after: 2bd, notify: {to: [item-owner]}}
"""


def test_after_business_days_count_on_the_calendar_for_an_item_with_its_own_due_too() -> None:
    # Recorded Friday 13:00 UTC: two business days on office is Tuesday 29 October 14:00 UTC
    # (not Sunday 13:00, two days of real time), whether the item has the default due or
    # its own (Friday 8 November).
    for payload in ({}, {"due": "2024-11-08T14:00:00Z"}):
        data = ticket(item("2024-10-25T13:00:00Z", "fix", **payload))
        early = policy(section=AFTER).evaluate(data, now=at("2024-10-26T00:00:00Z"))
        assert early.next_evaluation_at == at(DUE)
        [action] = policy(section=AFTER).evaluate(data, now=at(DUE)).actions
        assert (action.id, action.due_at) == ("T1:postmortem:fix#1@0:notify0", at(DUE))


# -- lint: unused people, unreached thresholds, owners without a manager (T3, 13, 8) -----------


def codes(text: str) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in lint(loads(text, filename="pm.yaml"))]


def test_people_who_may_own_items_notified_by_the_thresholds_are_not_unused() -> None:
    # anna is named nowhere but as an item owner in the tickets' events
    assert [c for c in codes(BASE + SECTION) if c[0] == "unused-person"] == []
    assert ("unused-person", "directory.people.anna") in codes(BASE)


def test_item_thresholds_without_items_due_are_reported_as_never_reached() -> None:
    section = "postmortem:\n  escalation:\n    - {after: 2bd, notify: {to: [item-owner]}}\n"
    assert ("postmortem-thresholds-unreached", "postmortem.escalation") in codes(BASE + section)
    assert "postmortem-thresholds-unreached" not in [c for c, _ in codes(BASE + SECTION)]


def test_an_owner_manager_threshold_whose_owner_has_no_manager_is_reported() -> None:
    assert ("postmortem-owner-without-manager", "rules.pm.then.require_postmortem.owner") in (
        codes(BASE + OWNERS)
    )
    managed = BASE.replace("    pat: {}\n", "    pat: {managers: [max]}\n")
    assert "postmortem-owner-without-manager" not in [c for c, _ in codes(managed + OWNERS)]


def test_a_requiring_rule_shadowed_by_a_final_rule_requires_nothing() -> None:
    # A final rule before pm holds whenever pm would: pm's action was never due.
    text = BASE.replace(
        "rules:\n",
        "rules:\n  - id: vendor-handles-it\n    when: {status_category: [resolved, closed]}\n"
        "    final: true\n    then: {set_flag: {flag: vendor}}\n",
    )
    decision = loads(text + SECTION).evaluate(ticket(recorded=False), now=at(DUE))
    assert (decision.postmortem, [a.kind for a in decision.actions]) == (None, ["set_flag"])
