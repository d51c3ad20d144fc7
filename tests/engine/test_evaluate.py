"""The evaluate pipeline end to end: rules, ladders, idempotency, next evaluation, decision shape.

The ticket opens at 10:00 UTC on Wednesday 2024-11-20 unless a test says otherwise.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError, NaiveDatetimeError, TicketError
from escalate.policy.loader import load, loads
from tests.policy_helpers import action_ids, done, event, plus, policy, rule_status, ticket, utc

T0 = "2024-11-20T10:00:00+00:00"
ROOT = Path(__file__).resolve().parents[2]


def evaluate(body: str, tkt: dict[str, Any] | Ticket, now: str) -> Decision:
    return policy(body).evaluate(tkt, now=utc(now))


def status(at: str, value: str) -> dict[str, Any]:
    return event(at, "status-changed", status=value)


# -- the ticket and now ---------------------------------------------------------------------------

SIMPLE = """
rules:
  - id: r
    when: {category: network}
    then: {notify: {to: [assignee]}}
"""


def test_an_event_after_now_is_a_ticket_error_naming_the_event() -> None:
    tkt = ticket(T0, status("2024-11-20T11:00:00+00:00", "in-progress"))
    with pytest.raises(TicketError) as caught:
        evaluate(SIMPLE, tkt, "2024-11-20T10:30:00+00:00")
    assert (("events", 0, "at"), "2024-11-20T11:00:00+00:00") == (
        caught.value.path,
        caught.value.value,
    )


def test_a_ticket_opened_after_now_is_a_ticket_error() -> None:
    with pytest.raises(TicketError) as caught:
        evaluate(SIMPLE, ticket(T0), "2024-11-20T09:00:00+00:00")
    assert ("opened_at",) == caught.value.path


def test_a_naive_now_is_rejected() -> None:
    with pytest.raises(NaiveDatetimeError):
        policy(SIMPLE).evaluate(ticket(), now=datetime(2024, 11, 20, 12))


def test_an_event_exactly_at_now_is_part_of_the_history() -> None:
    body = """
    rules:
      - id: r
        when: {status: in-progress}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(T0, status("2024-11-20T11:00:00+00:00", "in-progress"))
    decision = evaluate(body, tkt, "2024-11-20T11:00:00+00:00")
    assert ["T1:rule:r:20241120T110000Z:notify0"] == action_ids(decision)


def test_a_ticket_object_and_its_mapping_give_the_same_decision() -> None:
    tkt = ticket(T0, category="network")
    as_mapping = evaluate(SIMPLE, tkt, "2024-11-20T11:00:00+00:00")
    as_ticket = evaluate(SIMPLE, Ticket.from_mapping(tkt), "2024-11-20T11:00:00+00:00")
    assert as_mapping.to_json() == as_ticket.to_json()


def test_no_match_is_a_decision_without_actions() -> None:
    decision = evaluate(SIMPLE, ticket(T0, category="storage"), "2024-11-20T11:00:00+00:00")
    assert ([], None, "not-matched") == (
        action_ids(decision),
        decision.next_evaluation_at,
        rule_status(decision, "r"),
    )


def test_the_priority_comes_from_the_terminology() -> None:
    body = """
    terminology:
      priority: {P1: [Sev1, "1 - Critical"], P2: [Sev2, "2 - High"]}
    """
    decision = evaluate(body, ticket(priority="Sev2"), "2024-11-20T11:00:00+00:00")
    assert "P2" == decision.priority


def test_a_priority_outside_the_terminology_is_a_ticket_error() -> None:
    body = """
    terminology:
      priority: {P1: [Sev1], P2: [Sev2]}
    """
    with pytest.raises(TicketError) as caught:
        evaluate(body, ticket(priority="Sev9"), "2024-11-20T11:00:00+00:00")
    assert (("priority",), "Sev9") == (caught.value.path, caught.value.value)


def test_the_priority_comes_from_the_matrix_when_the_ticket_has_none() -> None:
    body = """
    terminology:
      priority: {P1: [], P2: [], P3: []}
      impact: {high: ["1"], low: ["3"]}
      urgency: {high: ["1"], low: ["3"]}
    priority_matrix:
      high: {high: P1, low: P2}
      low: {high: P2, low: P3}
    """
    tkt = ticket(impact="1", urgency="3")
    del tkt["priority"]
    decision = evaluate(body, tkt, "2024-11-20T11:00:00+00:00")
    assert "P2" == decision.priority


# -- rules: precedence, final, shadowing, done ---------------------------------------------------

PRECEDENCE = """
rules:
  - id: low
    when: {category: network}
    then: {notify: {to: [assignee]}}
  - id: high
    priority: 10
    when: {category: network}
    then: {notify: {to: ["role:manager"]}}
  - id: also-low
    when: {category: network}
    then: {notify: {to: ["team:noc"]}}
"""


def test_rules_run_by_priority_then_file_order() -> None:
    decision = evaluate(PRECEDENCE, ticket(category="network"), "2024-11-20T11:00:00+00:00")
    assert (["high", "low", "also-low"], ["rule:high", "rule:low", "rule:also-low"]) == (
        [r.rule.id for r in decision.rule_results],
        [a.source for a in decision.actions],
    )


FINAL = """
rules:
  - id: first
    priority: 10
    when: {category: network}
    then: {notify: {to: [assignee]}}
  - id: stop-here
    priority: 5
    final: true
    when: {category: network}
    then: {notify: {to: ["role:manager"]}}
  - id: later
    when: {category: network}
    then: {notify: {to: ["team:noc"]}}
  - id: later-unmatched
    when: {category: storage}
    then: {notify: {to: ["team:noc"]}}
"""


def test_a_final_rule_shadows_the_matching_rules_after_it() -> None:
    decision = evaluate(FINAL, ticket(category="network"), "2024-11-20T11:00:00+00:00")
    assert (
        [("first", "matched"), ("stop-here", "matched"), ("later", "shadowed")],
        ["rule:first", "rule:stop-here"],
    ) == (
        [(r.rule.id, r.status) for r in decision.rule_results][:3],
        [a.source for a in decision.actions],
    )


def test_a_shadowed_rule_names_the_final_rule() -> None:
    decision = evaluate(FINAL, ticket(category="network"), "2024-11-20T11:00:00+00:00")
    assert "by final rule stop-here" == decision.rule_results[2].note


def test_a_rule_after_a_final_rule_that_does_not_match_is_not_matched() -> None:
    decision = evaluate(FINAL, ticket(category="network"), "2024-11-20T11:00:00+00:00")
    assert "not-matched" == rule_status(decision, "later-unmatched")


def test_a_final_rule_that_does_not_match_shadows_nothing() -> None:
    body = FINAL.replace(
        "    final: true\n    when: {category: network}",
        "    final: true\n    when: {category: storage}",
    )
    decision = evaluate(body, ticket(category="network"), "2024-11-20T11:00:00+00:00")
    assert ("not-matched", "matched") == (
        rule_status(decision, "stop-here"),
        rule_status(decision, "later"),
    )


def test_a_matched_rule_whose_actions_are_recorded_is_done() -> None:
    tkt = ticket(T0, done("2024-11-20T10:05:00+00:00", "T1:rule:r:20241120T100000Z:notify0"))
    tkt["category"] = "network"
    decision = evaluate(SIMPLE, tkt, "2024-11-20T11:00:00+00:00")
    assert ([], "done") == (action_ids(decision), rule_status(decision, "r"))


# -- rules: trigger instances ----------------------------------------------------------------------

IN_PROGRESS = """
rules:
  - id: r
    when: {status: in-progress}
    then: {notify: {to: [assignee]}}
"""


def test_a_rule_on_a_field_without_history_triggers_when_the_ticket_opened() -> None:
    decision = evaluate(SIMPLE, ticket(T0, category="network"), "2024-11-20T11:00:00+00:00")
    assert (["T1:rule:r:20241120T100000Z:notify0"], utc(T0), True) == (
        action_ids(decision),
        decision.actions[0].due_at,
        decision.actions[0].late,
    )


def test_a_rule_instance_is_named_by_the_instant_its_condition_began_to_hold() -> None:
    tkt = ticket(T0, status("2024-11-20T10:05:00+00:00", "in-progress"))
    decision = evaluate(IN_PROGRESS, tkt, "2024-11-20T11:00:00+00:00")
    assert ["T1:rule:r:20241120T100500Z:notify0"] == action_ids(decision)


def test_an_unbroken_stretch_keeps_its_instance_across_unrelated_events() -> None:
    tkt = ticket(
        T0,
        status("2024-11-20T10:05:00+00:00", "in-progress"),
        event("2024-11-20T10:30:00+00:00", "assigned", group="network"),
        event("2024-11-20T10:40:00+00:00", "status-changed", status="in-progress"),
    )
    decision = evaluate(IN_PROGRESS, tkt, "2024-11-20T11:00:00+00:00")
    assert ["T1:rule:r:20241120T100500Z:notify0"] == action_ids(decision)


def test_a_condition_that_breaks_and_holds_again_is_a_new_instance() -> None:
    tkt = ticket(
        T0,
        status("2024-11-20T10:05:00+00:00", "in-progress"),
        done("2024-11-20T10:06:00+00:00", "T1:rule:r:20241120T100500Z:notify0"),
        status("2024-11-20T10:20:00+00:00", "on-hold"),
        status("2024-11-20T10:40:00+00:00", "in-progress"),
    )
    decision = evaluate(IN_PROGRESS, tkt, "2024-11-20T11:00:00+00:00")
    assert ["T1:rule:r:20241120T104000Z:notify0"] == action_ids(decision)


def test_an_instance_stamp_keeps_microseconds_when_the_instant_has_them() -> None:
    tkt = ticket(T0, status("2024-11-20T10:05:00.250000+00:00", "in-progress"))
    decision = evaluate(IN_PROGRESS, tkt, "2024-11-20T11:00:00+00:00")
    assert ["T1:rule:r:20241120T100500.250000Z:notify0"] == action_ids(decision)


def test_an_instance_stamp_is_in_utc_whatever_offset_the_ticket_used() -> None:
    tkt = ticket("2024-11-20T11:00:00+01:00", status("2024-11-20T11:05:00+01:00", "in-progress"))
    decision = evaluate(IN_PROGRESS, tkt, "2024-11-20T11:00:00+00:00")
    assert ["T1:rule:r:20241120T100500Z:notify0"] == action_ids(decision)


CLOCK_RULE = """
clocks:
  res:
    stop: {status: [resolved]}
    targets: {default: {within: 4h}}
rules:
  - id: r
    when: WHEN
    then: {notify: {to: [assignee]}}
"""


def test_a_rule_on_a_clock_triggers_when_the_clock_crosses_its_threshold() -> None:
    body = CLOCK_RULE.replace("WHEN", "{clock.res.percent: {gte: 50}}")
    decision = evaluate(body, ticket(), "2024-11-20T12:30:00+00:00")
    assert (["T1:rule:r:20241120T120000Z:notify0"], utc("2024-11-20T12:00:00+00:00")) == (
        action_ids(decision),
        decision.actions[0].due_at,
    )


def test_a_rule_on_a_clock_and_a_status_triggers_at_the_later_of_the_two() -> None:
    body = CLOCK_RULE.replace("WHEN", "{clock.res.elapsed: {gte: 1h}, status: in-progress}")
    tkt = ticket(T0, status("2024-11-20T11:30:00+00:00", "in-progress"))
    decision = evaluate(body, tkt, "2024-11-20T12:00:00+00:00")
    assert ["T1:rule:r:20241120T113000Z:notify0"] == action_ids(decision)


def test_an_any_condition_keeps_its_instance_when_a_clock_leaf_also_becomes_true() -> None:
    body = CLOCK_RULE.replace(
        "WHEN", "{any: [{status: in-progress}, {clock.res.percent: {gte: 50}}]}"
    )
    tkt = ticket(
        T0,
        status("2024-11-20T10:05:00+00:00", "in-progress"),
        done("2024-11-20T11:00:00+00:00", "T1:rule:r:20241120T100500Z:notify0"),
    )
    decision = evaluate(body, tkt, "2024-11-20T12:30:00+00:00")
    assert [] == action_ids(decision)


def test_a_priority_upgrade_does_not_resend_a_done_clock_threshold_rule() -> None:
    body = """
    clocks:
      res:
        stop: {status: [resolved]}
        targets: {P1: {within: 4h}, P3: {within: 8h}}
    rules:
      - id: r
        when: {clock.res.percent: {gte: 50}}
        then: {notify: {to: [assignee]}}
    """
    # As P3 the rule crossed 50 % at 14:00 and was executed; the upgrade to P1 at 15:00 moves
    # the (retroactive) crossing to 12:00 while the condition keeps holding.
    tkt = ticket(
        T0,
        done("2024-11-20T14:30:00+00:00", "T1:rule:r:20241120T140000Z:notify0"),
        event("2024-11-20T15:00:00+00:00", "priority-changed", priority="P1", from_priority="P3"),
    )
    assert [] == action_ids(evaluate(body, tkt, "2024-11-20T15:00:00+00:00"))


def test_a_second_pause_is_a_new_instance_of_a_rule_on_the_clock_state() -> None:
    body = """
    clocks:
      res:
        pause: {status: [on-hold]}
        stop: {status: [resolved]}
        targets: {default: {within: 4h}}
    rules:
      - id: r
        when: {clock.res.state: paused}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(
        T0,
        status("2024-11-20T10:10:00+00:00", "on-hold"),
        status("2024-11-20T10:20:00+00:00", "in-progress"),
        status("2024-11-20T10:40:00+00:00", "on-hold"),
    )
    decision = evaluate(body, tkt, "2024-11-20T10:50:00+00:00")
    assert ["T1:rule:r:20241120T104000Z:notify0"] == action_ids(decision)


def test_a_rule_on_a_path_becoming_active_triggers_when_the_path_starts() -> None:
    body = """
    paths:
      net:
        kind: horizontal
        levels: [{name: network-ops, targets: ["team:network-ops"]}]
    rules:
      - id: wrong-team
        when: {status: in-progress}
        then: {transfer: {path: net}}
      - id: r
        when: {path.net.active: true}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(T0, status("2024-11-20T10:30:00+00:00", "in-progress"))
    decision = evaluate(body, tkt, "2024-11-20T10:50:00+00:00")
    assert utc("2024-11-20T10:30:00+00:00") == decision.actions[1].due_at


# -- actions --------------------------------------------------------------------------------------


def test_several_actions_of_a_rule_are_numbered_in_kind_order() -> None:
    body = """
    rules:
      - id: p1
        when: {priority: P1}
        then:
          - open_bridge: {participants: ["role:incident-manager"]}
            notify: {to: [assignee], channel: chat}
          - set_flag: {flag: major-incident}
    """
    decision = evaluate(body, ticket(), "2024-11-20T10:00:00+00:00")
    assert [
        "T1:rule:p1:20241120T100000Z:notify0",
        "T1:rule:p1:20241120T100000Z:open_bridge1",
        "T1:rule:p1:20241120T100000Z:set_flag2",
    ] == action_ids(decision)


def test_a_notify_action_carries_its_targets_and_details() -> None:
    body = """
    rules:
      - id: r
        rationale: tell the account manager
        when: {priority: P1}
        then:
          notify: {to: ["role:account-manager"], channel: sms, template: vip, audience: customer}
    """
    action = evaluate(body, ticket(), "2024-11-20T10:00:00+00:00").actions[0]
    assert (
        ("role:account-manager",),
        {"channel": "sms", "template": "vip", "audience": "customer"},
        "tell the account manager",
        False,
    ) == (action.targets, dict(action.details), action.rationale, action.late)


def test_a_postmortem_is_due_its_deadline_after_the_trigger() -> None:
    body = """
    rules:
      - id: pm
        when: {priority: P1}
        then: {require_postmortem: {within: 5d}}
    """
    action = evaluate(body, ticket(), "2024-11-20T11:00:00+00:00").actions[0]
    assert {"within": "5d", "due_by": "2024-11-25T10:00:00+00:00"} == dict(action.details)


def test_a_postmortem_deadline_is_rendered_in_utc() -> None:
    body = """
    rules:
      - id: pm
        when: {priority: P1}
        then: {require_postmortem: {within: 5d}}
    """
    cest = timezone(timedelta(hours=2))
    tkt = Ticket("T1", datetime(2024, 11, 20, 12, tzinfo=cest), priority="P1")
    action = evaluate(body, tkt, "2024-11-20T11:00:00+00:00").actions[0]
    assert "2024-11-25T10:00:00+00:00" == action.details["due_by"]


def test_a_custom_action_passes_its_payload_through() -> None:
    body = """
    rules:
      - id: r
        when: {priority: P1}
        then: {custom: {type: page-vendor, payload: {vendor: acme, severity: 1}}}
    """
    action = evaluate(body, ticket(), "2024-11-20T10:00:00+00:00").actions[0]
    assert ("custom", {"type": "page-vendor", "payload": {"vendor": "acme", "severity": 1}}) == (
        action.kind,
        dict(action.details),
    )


# -- ladders --------------------------------------------------------------------------------------

LADDER = """
clocks:
  res:
    stop: {status: [resolved, closed]}
    targets: {default: {within: 4h}}
    ladder:
      - {at: 50%, notify: {to: [assignee]}, rationale: half gone}
      - {at: 75%, notify: {to: [assignee, assignment-group]}, escalate: {path: desk, to: L2}}
      - {at: 100%, notify: {to: ["role:owner"]}, escalate: {path: desk, to: L3}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"]}
      - {name: L2, targets: ["team:second"]}
      - {name: L3, targets: ["role:owner"]}
"""


def test_a_reached_rung_emits_its_actions_with_the_rung_as_source() -> None:
    decision = evaluate(LADDER, ticket(), "2024-11-20T12:00:00+00:00")
    action = decision.actions[0]
    assert (["T1:clock:res#1@0:notify0"], "clock:res@50%", "half gone", False) == (
        action_ids(decision),
        action.source,
        action.rationale,
        action.late,
    )


def test_a_caller_away_past_two_rungs_gets_only_the_highest_one_late() -> None:
    # Down from 11:00 to 13:30: 50 % (12:00) and 75 % (13:00) have passed; only 75 % is due.
    decision = evaluate(LADDER, ticket(), "2024-11-20T13:30:00+00:00")
    clock_actions = [a for a in decision.actions if a.source.startswith("clock:")]
    assert (["T1:clock:res#1@1:notify1"], utc("2024-11-20T13:00:00+00:00"), True) == (
        [a.id for a in clock_actions],
        clock_actions[0].due_at,
        clock_actions[0].late,
    )


def test_a_rung_escalation_moves_the_path_at_the_rung_instant() -> None:
    decision = evaluate(LADDER, ticket(), "2024-11-20T13:30:00+00:00")
    state = decision.path("desk")
    assert (1, utc("2024-11-20T13:00:00+00:00"), "clock:res@75%") == (
        state.level_index,
        state.entered_at,
        state.reason,
    )


def test_a_rung_escalation_is_emitted_by_the_path_not_by_the_clock() -> None:
    decision = evaluate(LADDER, ticket(), "2024-11-20T13:30:00+00:00")
    assert ["T1:clock:res#1@1:notify1", "T1:path:desk:1:0:L2"] == action_ids(decision)


def test_a_recorded_rung_is_not_emitted_again() -> None:
    tkt = ticket(
        T0,
        done("2024-11-20T13:31:00+00:00", "T1:clock:res#1@1:notify1"),
        done("2024-11-20T13:31:00+00:00", "T1:path:desk:1:0:L2"),
    )
    decision = evaluate(LADDER, tkt, "2024-11-20T13:45:00+00:00")
    assert [] == action_ids(decision)


def test_a_superseded_lower_rung_never_comes_back() -> None:
    # 50 % was never executed; once 75 % is done, nothing of the ladder is due until 100 %.
    tkt = ticket(T0, done("2024-11-20T13:31:00+00:00", "T1:clock:res#1@1:notify1"))
    decision = evaluate(LADDER, tkt, "2024-11-20T13:45:00+00:00")
    assert "T1:clock:res#1@0:notify0" not in action_ids(decision)


def test_the_next_rung_is_due_after_the_previous_one_was_recorded() -> None:
    tkt = ticket(
        T0,
        done("2024-11-20T13:31:00+00:00", "T1:clock:res#1@1:notify1"),
        done("2024-11-20T13:31:00+00:00", "T1:path:desk:1:0:L2"),
    )
    decision = evaluate(LADDER, tkt, "2024-11-20T14:00:00+00:00")
    assert ["T1:clock:res#1@2:notify1", "T1:path:desk:1:0:L3"] == action_ids(decision)


def test_a_resolved_ticket_gets_no_rung_or_path_actions() -> None:
    tkt = ticket(
        T0,
        event("2024-11-20T13:30:00+00:00", "resolved"),
        status="resolved",
    )
    decision = evaluate(LADDER, tkt, "2024-11-20T13:45:00+00:00")
    assert ([], 1) == (action_ids(decision), decision.path("desk").level_index)


def test_a_closed_ticket_gets_no_rung_actions_but_its_rules_still_run() -> None:
    body = (
        LADDER
        + """
rules:
  - id: survey
    when: {status: closed}
    then: {notify: {to: [requester], template: survey}}
"""
    )
    tkt = ticket(T0, event("2024-11-20T13:30:00+00:00", "closed"))
    decision = evaluate(body, tkt, "2024-11-20T13:45:00+00:00")
    assert ["T1:rule:survey:20241120T133000Z:notify0"] == action_ids(decision)


# -- idempotency ----------------------------------------------------------------------------------

BUSY = (
    LADDER
    + """
rules:
  - id: p1-bridge
    when: {priority: P1}
    then: {open_bridge: {participants: ["role:incident-manager"]}}
  - id: pm
    when: {path.desk.level: {gte: L2}}
    then: {require_postmortem: {within: 5d}}
"""
)


def test_recording_every_emitted_action_leaves_nothing_due() -> None:
    now = "2024-11-20T13:30:00+00:00"
    first = evaluate(BUSY, ticket(), now)
    recorded = ticket(T0, *(done(now, a.id) for a in first.actions))
    assert (4, []) == (len(first.actions), action_ids(evaluate(BUSY, recorded, now)))


def test_action_ids_do_not_change_between_evaluations() -> None:
    early = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    later = evaluate(BUSY, ticket(), "2024-11-20T13:50:00+00:00")
    assert action_ids(early) == action_ids(later)


def test_an_unrecorded_action_is_emitted_again_at_every_evaluation() -> None:
    tkt = ticket(T0, category="network")
    first = evaluate(SIMPLE, tkt, "2024-11-20T10:00:00+00:00")
    again = evaluate(SIMPLE, tkt, "2024-11-20T18:00:00+00:00")
    assert (action_ids(first), [False, True]) == (
        action_ids(again),
        [first.actions[0].late, again.actions[0].late],
    )


def test_a_rule_reading_a_path_level_triggers_when_the_level_was_entered() -> None:
    decision = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    pm = next(a for a in decision.actions if a.source == "rule:pm")
    assert (
        "T1:rule:pm:20241120T130000Z:require_postmortem0",
        utc("2024-11-20T13:00:00+00:00"),
    ) == (
        pm.id,
        pm.due_at,
    )


# -- next_evaluation_at ---------------------------------------------------------------------------


def test_next_evaluation_is_the_earliest_of_rung_breach_and_path_move() -> None:
    body = LADDER.replace(
        '      - {name: L1, targets: ["team:desk"]}',
        '      - {name: L1, targets: ["team:desk"], after: 30m}',
    )
    decision = evaluate(body, ticket(), "2024-11-20T10:10:00+00:00")
    assert utc("2024-11-20T10:30:00+00:00") == decision.next_evaluation_at


def test_next_evaluation_includes_a_clock_crossing_that_would_make_a_rule_match() -> None:
    body = CLOCK_RULE.replace("WHEN", "{clock.res.elapsed: {gte: 20m}}")
    decision = evaluate(body, ticket(), "2024-11-20T10:05:00+00:00")
    assert utc("2024-11-20T10:20:00+00:00") == decision.next_evaluation_at


def test_next_evaluation_includes_a_remaining_threshold() -> None:
    body = CLOCK_RULE.replace("WHEN", "{clock.res.remaining: {lte: 30m}}")
    decision = evaluate(body, ticket(), "2024-11-20T10:05:00+00:00")
    # The rule's crossing (13:30) comes before the breach (14:00).
    assert utc("2024-11-20T13:30:00+00:00") == decision.next_evaluation_at


def test_next_evaluation_skips_a_crossing_after_which_the_rule_still_fails() -> None:
    body = CLOCK_RULE.replace("WHEN", "{clock.res.elapsed: {gte: 20m}, status: in-progress}")
    decision = evaluate(body, ticket(), "2024-11-20T10:05:00+00:00")
    # Only the breach is left: the crossing at 10:20 does not make the rule match.
    assert utc("2024-11-20T14:00:00+00:00") == decision.next_evaluation_at


def test_next_evaluation_is_none_when_nothing_changes_without_new_events() -> None:
    decision = evaluate(SIMPLE, ticket(category="network"), "2024-11-20T11:00:00+00:00")
    assert decision.next_evaluation_at is None


def test_evaluating_at_the_next_evaluation_instant_changes_the_decision() -> None:
    first = evaluate(LADDER, ticket(), "2024-11-20T11:00:00+00:00")
    assert first.next_evaluation_at is not None
    woken = policy(LADDER).evaluate(ticket(), now=first.next_evaluation_at)
    assert ([], ["T1:clock:res#1@0:notify0"]) == (action_ids(first), action_ids(woken))


# -- the decision as data and text ----------------------------------------------------------------


def test_to_dict_has_the_documented_top_level_keys() -> None:
    decision = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    assert [
        "actions",
        "clocks",
        "evaluated_at",
        "format",
        "input_digest",
        "next_evaluation_at",
        "paths",
        "policy",
        "priority",
        "rules",
        "segment",
        "ticket",
    ] == sorted(decision.to_dict())
    assert 1 == decision.to_dict()["format"]


def test_to_dict_without_trace_leaves_the_rules_out() -> None:
    decision = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    assert "rules" not in decision.to_dict(trace=False)


def test_an_action_as_data_has_every_field() -> None:
    decision = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    assert {
        "id": "T1:rule:p1-bridge:20241120T100000Z:open_bridge0",
        "kind": "open_bridge",
        "source": "rule:p1-bridge",
        "due_at": "2024-11-20T10:00:00+00:00",
        "late": True,
        "targets": ["role:incident-manager"],
        "people": [],
        "notes": [],
        "details": {},
        "rationale": None,
    } == next(a for a in decision.to_dict()["actions"] if a["kind"] == "open_bridge")


def test_a_path_as_data_has_every_field() -> None:
    decision = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    assert {
        "name": "desk",
        "kind": "vertical",
        "active": True,
        "level": "L2",
        "entered_at": "2024-11-20T13:00:00+00:00",
        "reason": "clock:res@75%",
        "round": 0,
        "cycle": 1,
        "acknowledged_at": None,
        "next_move_at": None,
    } == decision.to_dict()["paths"][0]


def test_a_clock_as_data_has_every_field() -> None:
    decision = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    assert {
        "name": "res",
        "type": "custom",
        "definition": None,
        "state": "running",
        "cycle": 1,
        "target": "4h",
        "calendar": "24x7",
        "started_at": "2024-11-20T10:00:00+00:00",
        "stopped_at": None,
        "paused_since": None,
        "elapsed": "3h30m",
        "elapsed_wall": "3h30m",
        "remaining": "30m",
        "percent": "87.50",
        "breached": False,
        "breach_at": "2024-11-20T14:00:00+00:00",
    } == decision.to_dict()["clocks"][0]


def test_the_rule_trace_names_each_condition_with_its_source_position() -> None:
    decision = evaluate(SIMPLE, ticket(category="storage"), "2024-11-20T11:00:00+00:00")
    assert [
        {
            "rule": "r",
            "status": "not-matched",
            "note": "",
            "conditions": [
                {
                    "field": "category",
                    "op": "eq",
                    "expected": "network",
                    "actual": "storage",
                    "result": False,
                    "at": "rules[0].when.category",
                    "source": "p.yaml:6:12",
                }
            ],
        }
    ] == decision.to_dict()["rules"]


def test_instants_in_the_decision_are_utc_whatever_offset_now_has() -> None:
    now = datetime(2024, 11, 20, 13, 30, tzinfo=timezone(timedelta(hours=-5)))
    decision = policy(BUSY).evaluate(ticket(), now=now)
    assert "2024-11-20T18:30:00+00:00" == decision.to_dict()["evaluated_at"]


def test_the_json_is_the_same_bytes_for_the_same_inputs() -> None:
    first = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00").to_json()
    second = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00").to_json()
    assert (first, True) == (second, json.loads(first) == json.loads(second))


def test_the_input_digest_changes_with_now() -> None:
    first = evaluate(BUSY, ticket(), "2024-11-20T13:30:00+00:00")
    second = evaluate(BUSY, ticket(), "2024-11-20T13:30:00.000001+00:00")
    assert first.input_digest != second.input_digest


def test_explain_lists_actions_clocks_paths_rules_and_the_next_evaluation() -> None:
    body = BUSY.replace("      - {at: 50%, notify: {to: [assignee]}, rationale: half gone}\n", "")
    decision = evaluate(body, ticket(), "2024-11-20T13:30:00+00:00")
    assert [
        "ticket T1 at 2024-11-20T13:30:00+00:00 (policy p v1, priority P1)",
        "due actions:",
        "  - notify -> assignee, assignment-group (via email, audience internal) "
        "[clock:res@75%] due 2024-11-20T13:00:00+00:00 LATE",
        "  - open_bridge -> role:incident-manager [rule:p1-bridge] due "
        "2024-11-20T10:00:00+00:00 LATE",
        "  - escalate -> team:second [path:desk] due 2024-11-20T13:00:00+00:00 LATE",
        "      because: entered L2 by clock:res@75%",
        "  - require_postmortem [rule:pm] due 2024-11-20T13:00:00+00:00 LATE",
        "clock res: running, 3h30m of 4h on 24x7 (87.50%), breach at 2024-11-20T14:00:00+00:00",
        "path desk: at L2 since 2024-11-20T13:00:00+00:00 (clock:res@75%)",
        "rule p1-bridge: matched",
        "rule pm: matched",
        "next evaluation: 2024-11-20T14:00:00+00:00",
    ] == decision.explain().splitlines()


def test_explain_says_when_nothing_is_due_and_nothing_will_change() -> None:
    decision = evaluate(SIMPLE, ticket(category="storage"), "2024-11-20T11:00:00+00:00")
    assert [
        "ticket T1 at 2024-11-20T11:00:00+00:00 (policy p v1, priority P1)",
        "no actions due",
        "next evaluation: never (nothing changes without new events)",
    ] == decision.explain().splitlines()


def test_full_explain_shows_every_comparison_with_its_position() -> None:
    decision = evaluate(SIMPLE, ticket(category="storage"), "2024-11-20T11:00:00+00:00")
    assert [
        "rule r: not-matched",
        "    no category eq 'network': actual 'storage' (p.yaml:6:12)",
    ] == decision.explain(full=True).splitlines()[2:4]


def test_explain_names_a_clock_without_a_target() -> None:
    body = """
    clocks:
      res:
        stop: {status: [resolved]}
        targets: {P1: {within: 1h}}
    """
    decision = evaluate(body, ticket(priority="P4"), "2024-11-20T11:00:00+00:00")
    assert "clock res: no target for priority P4" in decision.explain().splitlines()


# -- the shipped pack on the example tickets ------------------------------------------------------


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "tickets" / f"{name}.json").read_text())
    return data


DEMO_AT = datetime(2024, 11, 20, 15, tzinfo=UTC)


def test_the_pack_does_not_repeat_a_recorded_bridge() -> None:
    decision = load(ROOT / "rules" / "itil-default.yaml").evaluate(
        example("INC0010001"), now=DEMO_AT
    )
    assert ("P1", "done") == (decision.priority, rule_status(decision, "p1-bridge"))


def test_the_pack_gives_a_resolved_ticket_no_actions() -> None:
    decision = load(ROOT / "rules" / "itil-default.yaml").evaluate(
        example("INC0010004"), now=DEMO_AT
    )
    assert ([], None) == (action_ids(decision), decision.next_evaluation_at)


def test_the_pack_derives_the_priority_from_impact_and_urgency() -> None:
    decision = load(ROOT / "rules" / "itil-default.yaml").evaluate(
        example("INC0010005"), now=DEMO_AT
    )
    assert "P2" == decision.priority


def test_regression_a_rule_on_an_inactive_gated_path_keeps_its_trigger_instance() -> None:
    # A path whose `when:` is false had no history, so the past facts lacked
    # path.<name>.active and the rule's instance was re-stamped with `now` every time.
    policy = loads(
        """
policy: p
version: 1
paths:
  major:
    kind: vertical
    when: {priority: P1}
    levels: [{name: L1, targets: ["team:x"]}]
rules:
  - id: quiet
    when: {path.major.active: false}
    then: {notify: {to: ["team:x"]}}
""",
        filename="p.yaml",
    )
    ticket = {"id": "T1", "opened_at": "2024-01-01T00:00:00+00:00", "priority": "P3"}
    ids = {
        action.id
        for at in ("2024-01-01T01:00:00+00:00", "2024-01-01T02:00:00+00:00")
        for action in policy.evaluate(ticket, now=datetime.fromisoformat(at)).actions
    }
    assert {"T1:rule:quiet:20240101T000000Z:notify0"} == ids


# -- regressions found by trying the public API as a new user ------------------------------------


@pytest.mark.parametrize("now", ["2024-11-20T11:00:00+00:00", None, 1732100400])
def test_a_now_that_is_not_a_datetime_raises_an_escalate_error_naming_now(now: object) -> None:
    with pytest.raises(EscalateError, match="now must be an aware datetime") as caught:
        policy(SIMPLE).evaluate(ticket(T0), now=now)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)


PATHED = """
paths:
  service-desk:
    kind: vertical
    levels:
      - {name: l1, targets: [team:desk], after: 30m}
      - {name: l2, targets: [team:desk]}
"""


def test_an_override_naming_an_unknown_path_is_a_ticket_error_with_a_suggestion() -> None:
    override = event(plus(T0, minutes=5), "override", actor="amy", reason="x", path="service-dsk")
    override["level"] = "l2"
    with pytest.raises(TicketError, match="did you mean 'service-desk'") as caught:
        evaluate(PATHED, ticket(T0, override), plus(T0, minutes=10))
    assert (("events", 0, "path"), "service-dsk") == (caught.value.path, caught.value.value)


def test_an_override_naming_an_unknown_level_is_an_error_before_the_path_starts() -> None:
    override = event(plus(T0, minutes=5), "override", actor="amy", reason="x", path="service-desk")
    override["level"] = "l9"
    with pytest.raises(TicketError, match="levels: l1, l2") as caught:
        evaluate(PATHED, ticket(T0, override), plus(T0, minutes=10))
    assert ("events", 0, "level") == caught.value.path
