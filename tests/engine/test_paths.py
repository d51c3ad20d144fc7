"""Escalation paths: timers from entering a level, acknowledgements, requests, repeat, reopen.

The ticket opens at 10:00 UTC on Wednesday 2024-11-20 unless a test says otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from escalate.engine.decision import Decision
from escalate.engine.paths import PathState
from tests.policy_helpers import OFFICE, action_ids, done, event, policy, ticket, utc

T0 = "2024-11-20T10:00:00+00:00"

DESK = """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m LEVEL1}
      - {name: L2, targets: ["team:second"], after: 1h LEVEL2}
      - {name: L3, targets: ["role:owner"]}
"""


def desk(level1: str = "", level2: str = "", more: str = "") -> str:
    """The three-level desk path, with extra keys for L1 and L2 (``, until: resolved``)."""
    return DESK.replace(" LEVEL1", level1).replace(" LEVEL2", level2) + more


def evaluate(body: str, tkt: dict[str, Any], now: str) -> Decision:
    return policy(body).evaluate(tkt, now=utc(now))


def where(decision: Decision, name: str = "desk") -> tuple[str | None, str | None]:
    """(level name, entered_at as ISO UTC) of a path."""
    state = decision.path(name)
    entered = state.entered_at.isoformat() if state.entered_at else None
    return (state.level_name, entered)


def state(decision: Decision, name: str = "desk") -> PathState:
    return decision.path(name)


def ack(at: str) -> dict[str, Any]:
    return event(at, "acknowledged", actor="anna")


# -- timers --------------------------------------------------------------------------------------


def test_a_vertical_path_starts_at_its_first_level_when_the_ticket_opens() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:10:00+00:00")
    assert (("L1", T0), "start", utc("2024-11-20T10:30:00+00:00")) == (
        where(decision),
        state(decision).reason,
        state(decision).next_move_at,
    )


def test_the_first_level_of_an_on_open_path_emits_nothing() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:10:00+00:00")
    assert [] == action_ids(decision)


def test_after_moves_to_the_next_level_that_long_after_entering() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:45:00+00:00")
    assert (("L2", "2024-11-20T10:30:00+00:00"), "timer") == (
        where(decision),
        state(decision).reason,
    )


def test_entering_a_level_emits_an_escalation_to_its_targets() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:45:00+00:00")
    action = decision.actions[0]
    assert (
        ["T1:path:desk:1:0:L2"],
        "escalate",
        "path:desk",
        ("team:second",),
        utc("2024-11-20T10:30:00+00:00"),
        True,
        "entered L2 by timer",
    ) == (
        action_ids(decision),
        action.kind,
        action.source,
        action.targets,
        action.due_at,
        action.late,
        action.rationale,
    )


def test_an_escalation_evaluated_at_the_instant_of_entry_is_not_late() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:30:00+00:00")
    assert (["T1:path:desk:1:0:L2"], False) == (action_ids(decision), decision.actions[0].late)


DETAILED = """
    paths:
      desk:
        kind: vertical
        levels:
          - {name: L1, targets: ["team:desk"], after: 30m}
          - name: L2
            targets: ["team:second"]
            owner: person:lead
            ack_within: 15m
            resolve_within: 4h
            authority: [approve-emergency-change]
            on_empty: fallback
            fallback: ["person:carol"]
    """


def test_the_escalation_details_describe_the_level() -> None:
    body = DETAILED
    decision = evaluate(body, ticket(), "2024-11-20T10:45:00+00:00")
    assert {
        "path": "desk",
        "level": "L2",
        "round": 0,
        "authority": ("approve-emergency-change",),
        "owner": "person:lead",
        "ack_within": "15m",
        "resolve_within": "4h",
        "on_empty": "fallback",
        "fallback": ("person:carol",),
    } == decision.actions[0].details


def test_the_escalation_details_serialise_lists_as_json_arrays() -> None:
    decision = evaluate(DETAILED, ticket(), "2024-11-20T10:45:00+00:00")
    out = json.loads(decision.to_json())["actions"][0]["details"]
    assert (["approve-emergency-change"], ["person:carol"]) == (out["authority"], out["fallback"])


def test_after_on_the_next_level_counts_from_entering_that_level() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T11:29:59+00:00")
    assert ("L2", "2024-11-20T10:30:00+00:00") == where(decision)


def test_a_caller_away_past_two_levels_gets_only_the_highest_escalation() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T12:00:00+00:00")
    assert (["T1:path:desk:1:0:L3"], utc("2024-11-20T11:30:00+00:00")) == (
        action_ids(decision),
        decision.actions[0].due_at,
    )


def test_the_last_level_without_repeat_has_no_next_move() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T12:00:00+00:00")
    assert (None, None) == (state(decision).next_move_at, decision.next_evaluation_at)


def test_the_next_evaluation_is_the_path_next_move() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:45:00+00:00")
    assert utc("2024-11-20T11:30:00+00:00") == decision.next_evaluation_at


def test_a_recorded_escalation_is_not_emitted_again() -> None:
    tkt = ticket(T0, done("2024-11-20T10:31:00+00:00", "T1:path:desk:1:0:L2"))
    decision = evaluate(desk(), tkt, "2024-11-20T10:45:00+00:00")
    assert ([], ("L2", "2024-11-20T10:30:00+00:00")) == (action_ids(decision), where(decision))


def test_a_level_calendar_counts_after_in_working_time() -> None:
    body = OFFICE + desk(level1=", calendar: office")
    # Friday 16:00 + 30 working minutes = Friday 16:30; opened at 16:50 it is Monday 08:20.
    decision = evaluate(body, ticket("2024-11-22T16:50:00+00:00"), "2024-11-25T09:00:00+00:00")
    assert ("L2", "2024-11-25T08:20:00+00:00") == where(decision)


# -- acknowledgements ----------------------------------------------------------------------------


def test_an_acknowledgement_stops_the_timer_of_the_current_level() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"))
    decision = evaluate(desk(), tkt, "2024-11-20T13:00:00+00:00")
    assert (("L1", T0), None, utc("2024-11-20T10:20:00+00:00"), []) == (
        where(decision),
        state(decision).next_move_at,
        state(decision).acknowledged_at,
        action_ids(decision),
    )


def test_an_acknowledgement_at_a_higher_level_stops_that_level() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:50:00+00:00"))
    decision = evaluate(desk(), tkt, "2024-11-20T13:00:00+00:00")
    assert (("L2", "2024-11-20T10:30:00+00:00"), None) == (
        where(decision),
        state(decision).next_move_at,
    )


def test_an_acknowledgement_before_entering_a_level_does_not_stop_it() -> None:
    # L1 ignores acknowledgements; the 10:20 one predates L2 (10:30), so L2 still times out.
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"))
    decision = evaluate(desk(level1=", until: resolved"), tkt, "2024-11-20T11:45:00+00:00")
    assert ("L3", "2024-11-20T11:30:00+00:00") == where(decision)


def test_until_resolved_ignores_acknowledgements() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"))
    decision = evaluate(desk(level1=", until: resolved"), tkt, "2024-11-20T10:45:00+00:00")
    assert ("L2", "2024-11-20T10:30:00+00:00") == where(decision)


def test_an_acknowledgement_timeout_moves_the_path_on_when_the_acknowledgement_lapses() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"))
    decision = evaluate(desk(level1=", ack_timeout: 1h"), tkt, "2024-11-20T11:30:00+00:00")
    assert (("L2", "2024-11-20T11:20:00+00:00"), "ack-timeout", "entered L2 by ack-timeout") == (
        where(decision),
        state(decision).reason,
        decision.actions[0].rationale,
    )


def test_an_acknowledged_level_with_a_timeout_wakes_up_when_the_acknowledgement_lapses() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"))
    decision = evaluate(desk(level1=", ack_timeout: 1h"), tkt, "2024-11-20T10:30:00+00:00")
    assert (("L1", T0), utc("2024-11-20T11:20:00+00:00")) == (
        where(decision),
        decision.next_evaluation_at,
    )


def test_a_later_acknowledgement_renews_the_timeout() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"), ack("2024-11-20T11:00:00+00:00"))
    decision = evaluate(desk(level1=", ack_timeout: 1h"), tkt, "2024-11-20T11:30:00+00:00")
    assert (("L1", T0), utc("2024-11-20T12:00:00+00:00")) == (
        where(decision),
        state(decision).next_move_at,
    )


def test_an_acknowledgement_after_the_lapse_belongs_to_the_next_level() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"), ack("2024-11-20T11:25:00+00:00"))
    decision = evaluate(desk(level1=", ack_timeout: 1h"), tkt, "2024-11-20T13:00:00+00:00")
    assert (("L2", "2024-11-20T11:20:00+00:00"), None) == (
        where(decision),
        state(decision).next_move_at,
    )


# -- at: offsets from the path start -------------------------------------------------------------

AT_PATH = """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"]}
      - {name: L2, targets: ["team:second"], at: 1h}
      - {name: L3, targets: ["role:owner"], at: 3h}
"""


def test_at_enters_a_level_that_long_after_the_path_started() -> None:
    decision = evaluate(AT_PATH, ticket(), "2024-11-20T12:00:00+00:00")
    assert (("L2", "2024-11-20T11:00:00+00:00"), utc("2024-11-20T13:00:00+00:00")) == (
        where(decision),
        state(decision).next_move_at,
    )


def test_at_counts_from_the_path_start_not_from_entering_the_previous_level() -> None:
    decision = evaluate(AT_PATH, ticket(), "2024-11-20T13:00:00+00:00")
    assert ("L3", "2024-11-20T13:00:00+00:00") == where(decision)


def test_at_counts_from_the_last_reopen_in_a_new_cycle() -> None:
    tkt = ticket(
        T0,
        event("2024-11-20T10:30:00+00:00", "resolved"),
        event("2024-11-20T12:00:00+00:00", "reopened"),
    )
    decision = evaluate(AT_PATH, tkt, "2024-11-20T13:30:00+00:00")
    assert (("L2", "2024-11-20T13:00:00+00:00"), ["T1:path:desk:2:0:L2"]) == (
        where(decision),
        action_ids(decision),
    )


def test_the_earlier_of_after_and_the_next_levels_at_wins() -> None:
    body = AT_PATH.replace(
        '{name: L1, targets: ["team:desk"]}', '{name: L1, targets: ["team:desk"], after: 2h}'
    )
    decision = evaluate(body, ticket(), "2024-11-20T10:59:00+00:00")
    assert utc("2024-11-20T11:00:00+00:00") == state(decision).next_move_at


# -- repeat --------------------------------------------------------------------------------------

REPEAT = """
paths:
  desk:
    kind: vertical
    repeat: 1
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["team:second"], after: 30m}
"""


def test_repeat_wraps_to_the_first_level_in_the_next_round() -> None:
    decision = evaluate(REPEAT, ticket(), "2024-11-20T11:10:00+00:00")
    assert (("L1", "2024-11-20T11:00:00+00:00"), 1) == (where(decision), state(decision).round)


def test_the_first_level_of_a_later_round_emits_an_escalation() -> None:
    decision = evaluate(REPEAT, ticket(), "2024-11-20T11:10:00+00:00")
    assert (["T1:path:desk:1:1:L1"], ("team:desk",)) == (
        action_ids(decision),
        decision.actions[0].targets,
    )


def test_the_rounds_end_at_the_last_level_of_the_last_round() -> None:
    decision = evaluate(REPEAT, ticket(), "2024-11-20T14:00:00+00:00")
    assert (("L2", "2024-11-20T11:30:00+00:00"), 1, None) == (
        where(decision),
        state(decision).round,
        state(decision).next_move_at,
    )


# -- requests ------------------------------------------------------------------------------------

REQUESTED = (
    desk()
    + """
rules:
  - id: r
    when: WHEN
    then: {escalate: {path: desk, to: TO}}
"""
)


def requested(when: str, to: str) -> str:
    return REQUESTED.replace("WHEN", when).replace("TO", to)


def test_a_rule_request_moves_the_path_to_the_requested_level_when_the_rule_triggers() -> None:
    tkt = ticket(T0, category="network")
    decision = evaluate(requested("{category: network}", "L3"), tkt, "2024-11-20T10:05:00+00:00")
    assert (("L3", T0), "rule:r", ["T1:path:desk:1:0:L3"]) == (
        where(decision),
        state(decision).reason,
        action_ids(decision),
    )


def test_a_request_never_moves_a_path_down() -> None:
    tkt = ticket(T0, event("2024-11-20T10:40:00+00:00", "status-changed", status="in-progress"))
    body = requested("{status: in-progress}", "L1")
    decision = evaluate(body, tkt, "2024-11-20T10:45:00+00:00")
    assert ("L2", "2024-11-20T10:30:00+00:00") == where(decision)


def test_a_request_to_a_higher_level_restarts_the_timer_from_there() -> None:
    tkt = ticket(T0, event("2024-11-20T10:10:00+00:00", "status-changed", status="in-progress"))
    body = requested("{status: in-progress}", "L2")
    decision = evaluate(body, tkt, "2024-11-20T10:45:00+00:00")
    assert (("L2", "2024-11-20T10:10:00+00:00"), utc("2024-11-20T11:10:00+00:00")) == (
        where(decision),
        state(decision).next_move_at,
    )


def test_an_acknowledgement_before_a_requested_level_does_not_stop_it() -> None:
    tkt = ticket(
        T0,
        ack("2024-11-20T10:05:00+00:00"),
        event("2024-11-20T10:10:00+00:00", "status-changed", status="in-progress"),
    )
    body = requested("{status: in-progress}", "L2")
    decision = evaluate(body, tkt, "2024-11-20T11:15:00+00:00")
    assert ("L3", "2024-11-20T11:10:00+00:00") == where(decision)


# -- resolution and reopen -----------------------------------------------------------------------


def test_resolution_stops_the_path_timers() -> None:
    tkt = ticket(T0, event("2024-11-20T10:20:00+00:00", "resolved"))
    decision = evaluate(desk(), tkt, "2024-11-20T13:00:00+00:00")
    assert (("L1", T0), None, None) == (
        where(decision),
        state(decision).next_move_at,
        decision.next_evaluation_at,
    )


def test_a_resolved_ticket_gets_no_escalation_for_the_level_it_reached() -> None:
    tkt = ticket(T0, event("2024-11-20T10:40:00+00:00", "resolved"))
    decision = evaluate(desk(), tkt, "2024-11-20T13:00:00+00:00")
    assert (("L2", "2024-11-20T10:30:00+00:00"), []) == (where(decision), action_ids(decision))


def test_a_cancelled_ticket_gets_no_escalation() -> None:
    tkt = ticket(T0, event("2024-11-20T10:40:00+00:00", "status-changed", status="cancelled"))
    decision = evaluate(desk(), tkt, "2024-11-20T13:00:00+00:00")
    assert [] == action_ids(decision)


def reopened() -> dict[str, Any]:
    return ticket(
        T0,
        event("2024-11-20T10:40:00+00:00", "resolved"),
        event("2024-11-20T11:00:00+00:00", "reopened"),
    )


def test_a_reopen_restarts_the_path_at_its_first_level() -> None:
    decision = evaluate(desk(), reopened(), "2024-11-20T11:20:00+00:00")
    assert (("L1", "2024-11-20T11:00:00+00:00"), 2, utc("2024-11-20T11:30:00+00:00")) == (
        where(decision),
        state(decision).cycle,
        state(decision).next_move_at,
    )


def test_escalations_after_a_reopen_carry_the_new_cycle_in_their_id() -> None:
    decision = evaluate(desk(), reopened(), "2024-11-20T11:45:00+00:00")
    assert ["T1:path:desk:2:0:L2"] == action_ids(decision)


def test_acknowledgements_before_a_reopen_do_not_hold_the_new_cycle() -> None:
    tkt = ticket(
        T0,
        ack("2024-11-20T10:10:00+00:00"),
        event("2024-11-20T10:40:00+00:00", "resolved"),
        event("2024-11-20T11:00:00+00:00", "reopened"),
    )
    decision = evaluate(desk(), tkt, "2024-11-20T11:45:00+00:00")
    assert ("L2", "2024-11-20T11:30:00+00:00") == where(decision)


# -- horizontal paths, on-trigger paths and criteria ---------------------------------------------

NETWORK = """
paths:
  net:
    kind: horizontal
    levels:
      - {name: network-ops, targets: ["team:network-ops"], after: 2h}
      - {name: network-vendor, targets: ["team:vendor"]}
rules:
  - id: wrong-team
    when: {category: network}
    then: {transfer: {path: net}}
"""


def test_a_horizontal_path_waits_for_a_trigger() -> None:
    decision = evaluate(NETWORK, ticket(T0, category="storage"), "2024-11-20T13:00:00+00:00")
    assert ((None, None), False, []) == (
        where(decision, "net"),
        state(decision, "net").active,
        action_ids(decision),
    )


def test_a_transfer_request_starts_a_horizontal_path_and_emits_a_transfer() -> None:
    decision = evaluate(NETWORK, ticket(T0, category="network"), "2024-11-20T10:05:00+00:00")
    assert (["T1:path:net:1:0:network-ops"], "transfer", ("team:network-ops",)) == (
        action_ids(decision),
        decision.actions[0].kind,
        decision.actions[0].targets,
    )


def test_a_horizontal_path_times_out_to_its_next_level() -> None:
    decision = evaluate(NETWORK, ticket(T0, category="network"), "2024-11-20T12:30:00+00:00")
    assert (
        ("network-vendor", "2024-11-20T12:00:00+00:00"),
        ["T1:path:net:1:0:network-vendor"],
    ) == (
        where(decision, "net"),
        action_ids(decision),
    )


def test_an_on_trigger_vertical_path_emits_its_first_level() -> None:
    body = """
    paths:
      coord:
        kind: vertical
        starts: on-trigger
        levels: [{name: coordinator, targets: ["role:coordinator"]}]
    rules:
      - id: ping-pong
        when: {reassignment_count: {gte: 2}}
        then: {escalate: {path: coord, to: coordinator}}
    """
    tkt = ticket(
        T0,
        event("2024-11-20T10:01:00+00:00", "assigned", group="a"),
        event("2024-11-20T10:10:00+00:00", "assigned", group="b"),
        event("2024-11-20T10:20:00+00:00", "assigned", group="a"),
    )
    decision = evaluate(body, tkt, "2024-11-20T10:30:00+00:00")
    assert (["T1:path:coord:1:0:coordinator"], utc("2024-11-20T10:20:00+00:00")) == (
        action_ids(decision),
        decision.actions[0].due_at,
    )


def test_a_path_whose_criteria_do_not_hold_is_not_active() -> None:
    body = desk(more="").replace(
        "    kind: vertical\n", "    kind: vertical\n    when: {priority: P1}\n"
    )
    decision = evaluate(body, ticket(priority="P3"), "2024-11-20T13:00:00+00:00")
    assert (False, "criteria", [], None) == (
        state(decision).active,
        state(decision).reason,
        action_ids(decision),
        decision.next_evaluation_at,
    )


def test_a_path_whose_criteria_hold_runs() -> None:
    body = desk().replace("    kind: vertical\n", "    kind: vertical\n    when: {priority: P1}\n")
    decision = evaluate(body, ticket(priority="P1"), "2024-11-20T10:45:00+00:00")
    assert ["T1:path:desk:1:0:L2"] == action_ids(decision)


# -- known bugs ------------------------------------------------------------------------------------


def test_a_horizontal_path_keeps_running_after_the_transfer_was_executed() -> None:
    body = NETWORK.replace("when: {category: network}", "when: {assignment_group: service-desk}")
    tkt = ticket(
        T0,
        event("2024-11-20T10:01:00+00:00", "assigned", group="service-desk"),
        done("2024-11-20T10:02:00+00:00", "T1:path:net:1:0:network-ops"),
        event("2024-11-20T10:03:00+00:00", "assigned", group="network-ops"),
    )
    decision = evaluate(body, tkt, "2024-11-20T12:30:00+00:00")
    assert ("network-vendor", "2024-11-20T12:01:00+00:00") == where(decision, "net")


def test_a_requested_level_stays_after_the_rule_stops_matching() -> None:
    tkt = ticket(
        T0,
        event("2024-11-20T10:05:00+00:00", "status-changed", status="on-hold"),
        event("2024-11-20T10:15:00+00:00", "status-changed", status="in-progress"),
    )
    body = requested("{status: on-hold}", "L3")
    decision = evaluate(body, tkt, "2024-11-20T10:20:00+00:00")
    assert ("L3", "2024-11-20T10:05:00+00:00") == where(decision)


def test_an_on_trigger_path_runs_again_after_a_reopen_while_its_rule_still_holds() -> None:
    tkt = ticket(
        T0,
        event("2024-11-20T10:40:00+00:00", "resolved"),
        event("2024-11-20T11:00:00+00:00", "reopened"),
        category="network",
    )
    decision = evaluate(NETWORK, tkt, "2024-11-20T11:05:00+00:00")
    assert (("network-ops", "2024-11-20T11:00:00+00:00"), 2) == (
        where(decision, "net"),
        state(decision, "net").cycle,
    )


def test_a_clock_restart_does_not_move_a_path_down() -> None:
    body = """
    clocks:
      res:
        stop: {status: [resolved]}
        on_priority_change: restart
        targets: {P1: {within: 4h}, P3: {within: 8h}}
        ladder:
          - {at: 50%, escalate: {path: desk, to: L2}}
    paths:
      desk:
        kind: vertical
        levels:
          - {name: L1, targets: ["team:desk"]}
          - {name: L2, targets: ["team:second"]}
          - {name: L3, targets: ["role:owner"]}
    """
    tkt = ticket(
        T0,
        event("2024-11-20T15:00:00+00:00", "priority-changed", priority="P1", from_priority="P3"),
    )
    decision = evaluate(body, tkt, "2024-11-20T15:30:00+00:00")
    assert ("L2", "2024-11-20T14:00:00+00:00") == where(decision)


def test_a_gated_path_starts_when_its_criteria_start_to_hold() -> None:
    body = desk().replace("    kind: vertical\n", "    kind: vertical\n    when: {priority: P1}\n")
    tkt = ticket(
        T0,
        event("2024-11-20T12:00:00+00:00", "priority-changed", priority="P1", from_priority="P3"),
    )
    decision = evaluate(body, tkt, "2024-11-20T12:05:00+00:00")
    assert (("L1", "2024-11-20T12:00:00+00:00"), []) == (where(decision), action_ids(decision))
