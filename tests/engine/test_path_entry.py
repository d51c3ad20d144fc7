"""Entering paths: the first level paged (``page_first_level``), acknowledgements that name a
path (and a party), and horizontal paths entered again (``reenter``), each entry its own id.

The ticket opens at 10:00 UTC on Wednesday 2024-11-20 unless a test says otherwise.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.engine.context import stamp
from escalate.engine.decision import Decision
from escalate.engine.decision_format import ACTION_ID_PATTERN
from escalate.engine.ticket import Ticket
from escalate.errors import PolicyError, TicketError
from escalate.policy.lint import lint
from escalate.schemas import json_schema
from tests.policy_helpers import action_ids, done, event, policy, ticket, utc

T0 = "2024-11-20T10:00:00+00:00"
OPENED = utc(T0)

DESK = """
paths:
  desk:
    kind: vertical
    PAGE_FIRST
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["team:second"], after: 1h}
      - {name: L3, targets: ["role:owner"]}
"""


def desk(page_first: bool = True, more: str = "") -> str:
    """The three-level desk path, with ``page_first_level: true`` unless told otherwise."""
    line = "page_first_level: true" if page_first else "description: desk"
    return DESK.replace("PAGE_FIRST", line) + more


def evaluate(body: str, tkt: dict[str, Any], now: str, **kwargs: Any) -> Decision:
    return policy(body).evaluate(tkt, now=utc(now), **kwargs)


def ack(at: str, **payload: Any) -> dict[str, Any]:
    return event(at, "acknowledged", actor="anna", **payload)


# -- page_first_level ----------------------------------------------------------------------------


def test_page_first_level_pages_the_first_level_when_the_ticket_opens() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:10:00+00:00")
    action = decision.actions[0]
    assert (
        ["T1:path:desk:1:0:L1"],
        "escalate",
        ("team:desk",),
        OPENED,
        True,
        "entered L1 by start",
        "L1",
    ) == (
        action_ids(decision),
        action.kind,
        action.targets,
        action.due_at,
        action.late,
        action.rationale,
        action.details["level"],
    )


def test_page_first_level_changes_neither_the_level_nor_the_timer() -> None:
    with_page = evaluate(desk(), ticket(), "2024-11-20T10:10:00+00:00")
    without = evaluate(desk(page_first=False), ticket(), "2024-11-20T10:10:00+00:00")
    assert (without.path("desk"), without.next_evaluation_at) == (
        with_page.path("desk"),
        with_page.next_evaluation_at,
    )


def test_a_recorded_first_level_page_is_not_emitted_again() -> None:
    tkt = ticket(T0, done("2024-11-20T10:01:00+00:00", "T1:path:desk:1:0:L1"))
    decision = evaluate(desk(), tkt, "2024-11-20T10:10:00+00:00")
    assert ([], "L1") == (action_ids(decision), decision.path("desk").level_name)


def test_the_first_level_page_gives_way_to_the_next_level() -> None:
    decision = evaluate(desk(), ticket(), "2024-11-20T10:45:00+00:00")
    assert ["T1:path:desk:1:0:L2"] == action_ids(decision)


def test_a_reopen_pages_the_first_level_again_in_the_new_cycle() -> None:
    tkt = ticket(
        T0,
        done("2024-11-20T10:01:00+00:00", "T1:path:desk:1:0:L1"),
        event("2024-11-20T10:20:00+00:00", "resolved"),
        event("2024-11-20T11:00:00+00:00", "reopened"),
    )
    decision = evaluate(desk(), tkt, "2024-11-20T11:05:00+00:00")
    assert (["T1:path:desk:2:0:L1"], utc("2024-11-20T11:00:00+00:00")) == (
        action_ids(decision),
        decision.actions[0].due_at,
    )


def test_a_gated_path_pages_its_first_level_when_its_criteria_start_to_hold() -> None:
    body = desk().replace("    kind: vertical\n", "    kind: vertical\n    when: {priority: P1}\n")
    tkt = ticket(
        T0,
        event("2024-11-20T12:00:00+00:00", "priority-changed", priority="P1", from_priority="P3"),
    )
    decision = evaluate(body, tkt, "2024-11-20T12:05:00+00:00")
    assert (["T1:path:desk:1:0:L1"], utc("2024-11-20T12:00:00+00:00")) == (
        action_ids(decision),
        decision.actions[0].due_at,
    )


def test_a_resolved_ticket_gets_no_first_level_page() -> None:
    tkt = ticket(T0, event("2024-11-20T10:05:00+00:00", "resolved"))
    assert [] == action_ids(evaluate(desk(), tkt, "2024-11-20T10:10:00+00:00"))


def test_an_override_to_the_first_level_pages_nobody_even_with_page_first_level() -> None:
    tkt = ticket(
        T0,
        done("2024-11-20T10:31:00+00:00", "T1:path:desk:1:0:L2"),
        event(
            "2024-11-20T10:40:00+00:00",
            "override",
            actor="lead",
            reason="back to the desk",
            path="desk",
            level="L1",
        ),
    )
    decision = evaluate(desk(), tkt, "2024-11-20T10:45:00+00:00")
    assert ("L1", []) == (decision.path("desk").level_name, action_ids(decision))


def test_page_first_level_on_an_on_trigger_path_is_reported_by_lint() -> None:
    body = """
    paths:
      coord:
        kind: vertical
        starts: on-trigger
        page_first_level: true
        levels: [{name: coordinator, targets: ["role:coordinator"]}]
    rules:
      - id: ping-pong
        when: {reassignment_count: {gte: 2}}
        then: {escalate: {path: coord, to: coordinator}}
        rationale: bouncing tickets need a coordinator
    """
    codes = [(f.path, f.code) for f in lint(policy(body))]
    assert ("paths.coord.page_first_level", "page-first-level-on-trigger") in codes


def test_ack_within_on_a_paged_first_level_is_not_reported_by_lint() -> None:
    body = desk().replace("after: 30m}", "after: 30m, ack_within: 5m}", 1)
    assert "ack-within-on-start-level" not in [f.code for f in lint(policy(body))]


PEOPLE = """
directory:
  people:
    carol: {backup: dave}
    dave: {}
    erin: {}
  teams:
    ops: {schedule: rota}
schedules:
  rota:
    timezone: UTC
    layers:
      - name: daily
        level: 1
        rotation: {members: [carol, erin], turn: 1d, handoff: "09:00", anchor: 2024-11-18}
paths:
  major-incident:
    kind: vertical
    page_first_level: true
    levels:
      - {name: on-call, targets: ["schedule:rota"], after: 1d, ack_within: 5m}
      - {name: lead, targets: ["person:dave"]}
"""
PAGE = "T1:path:major-incident:1:0:on-call"


def test_the_first_level_page_reaches_whoever_is_on_call() -> None:
    decision = evaluate(PEOPLE, ticket(), "2024-11-20T10:01:00+00:00")
    assert ([PAGE], ("carol",)) == (action_ids(decision), decision.actions[0].people)


def test_an_unanswered_first_level_page_goes_to_the_backup() -> None:
    decision = evaluate(PEOPLE, ticket(), "2024-11-20T10:06:00+00:00")
    unanswered = [a for a in decision.actions if a.id == PAGE + ":unacknowledged"]
    assert [("dave",)] == [a.people for a in unanswered]


def test_the_next_on_call_person_gets_a_handoff_notice_for_the_first_level() -> None:
    decision = evaluate(PEOPLE, ticket(), "2024-11-21T09:30:00+00:00")
    notices = [a for a in decision.actions if a.kind == "handoff"]
    assert [(f"{PAGE}:handoff:rota:20241121T090000Z", ("erin",))] == [
        (a.id, a.people) for a in notices
    ]


# -- acknowledgements that name a path -----------------------------------------------------------

TWO_PATHS = """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["team:second"]}
  vendor:
    kind: vertical
    levels:
      - {name: vendor-l1, targets: ["team:vendor"], after: 30m}
      - {name: vendor-l2, targets: ["team:vendor-engineering"]}
clocks:
  response:
    stop: {event: acknowledged}
    targets: {P1: {within: 1h}}
"""


def test_an_acknowledgement_naming_a_path_holds_that_path() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:10:00+00:00", path="vendor", party="vendor"))
    decision = evaluate(TWO_PATHS, tkt, "2024-11-20T11:00:00+00:00")
    assert ("vendor-l1", utc("2024-11-20T10:10:00+00:00")) == (
        decision.path("vendor").level_name,
        decision.path("vendor").acknowledged_at,
    )


def test_an_acknowledgement_naming_another_path_does_not_hold_this_one() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:10:00+00:00", path="vendor", party="vendor"))
    decision = evaluate(TWO_PATHS, tkt, "2024-11-20T11:00:00+00:00")
    assert ("L2", None, ["T1:path:desk:1:0:L2"]) == (
        decision.path("desk").level_name,
        decision.path("desk").acknowledged_at,
        action_ids(decision),
    )


def test_an_acknowledgement_naming_no_path_holds_every_path() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:10:00+00:00"))
    decision = evaluate(TWO_PATHS, tkt, "2024-11-20T11:00:00+00:00")
    assert ("L1", "vendor-l1") == (
        decision.path("desk").level_name,
        decision.path("vendor").level_name,
    )


def test_an_acknowledgement_naming_a_path_is_not_the_tickets_acknowledgement() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:10:00+00:00", path="vendor"))
    decision = evaluate(TWO_PATHS, tkt, "2024-11-20T10:20:00+00:00")
    state = Ticket.from_mapping(tkt).state_at(utc("2024-11-20T10:20:00+00:00"))
    assert (None, "running") == (state.acknowledged_at, decision.clock("response").state)


def test_the_acknowledged_condition_reads_acknowledgements_naming_no_path() -> None:
    body = (
        TWO_PATHS
        + """
rules:
  - id: unacknowledged
    when: {acknowledged: false}
    then: {notify: {to: ["role:duty-manager"]}}
"""
    )
    named = ticket(T0, ack("2024-11-20T10:10:00+00:00", path="vendor"))
    unnamed = ticket(T0, ack("2024-11-20T10:10:00+00:00"))
    matched = [
        evaluate(body, t, "2024-11-20T10:20:00+00:00").rule_results[0].status
        for t in (named, unnamed)
    ]
    assert ["matched", "not-matched"] == matched


def test_an_acknowledgement_naming_an_unknown_path_is_an_error_with_a_suggestion() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:10:00+00:00", path="vendr"))
    with pytest.raises(TicketError) as info:
        evaluate(TWO_PATHS, tkt, "2024-11-20T10:20:00+00:00")
    assert (("events", 0, "path"), "vendr") == (info.value.path, info.value.value)
    assert "did you mean 'vendor'?" in str(info.value)


def test_a_party_without_a_path_is_an_error() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:10:00+00:00", party="vendor"))
    with pytest.raises(TicketError) as info:
        Ticket.from_mapping(tkt)
    assert (("events", 0, "party"), "vendor") == (info.value.path, info.value.value)


def test_an_acknowledgements_path_and_party_survive_a_round_trip() -> None:
    tkt = Ticket.from_mapping(
        ticket(T0, ack("2024-11-20T10:10:00+00:00", path="vendor", party="acme"))
    )
    again = Ticket.from_mapping(tkt.to_dict())
    assert ({"path": "vendor", "party": "acme"}, tkt) == (
        {k: v for k, v in tkt.to_dict()["events"][0].items() if k in ("path", "party")},
        again,
    )


def test_other_events_take_no_party() -> None:
    tkt = ticket(T0, event("2024-11-20T10:10:00+00:00", "comment", party="vendor"))
    with pytest.raises(TicketError) as info:
        Ticket.from_mapping(tkt)
    assert ("events", 0, "party") == info.value.path


VENDOR_TOO = (
    PEOPLE
    + """
  vendor:
    kind: horizontal
    levels: [{name: vendor-l1, targets: ["person:erin"]}]
"""
)


@pytest.mark.parametrize(
    ("named", "unanswered"), [("vendor", True), ("major-incident", False), (None, False)]
)
def test_only_acknowledgements_of_this_path_or_of_no_path_answer_its_page(
    named: str | None, unanswered: bool
) -> None:
    tkt = ticket(T0, ack("2024-11-20T10:01:00+00:00", **({"path": named} if named else {})))
    decision = evaluate(VENDOR_TOO, tkt, "2024-11-20T10:06:00+00:00")
    assert unanswered == (PAGE + ":unacknowledged" in action_ids(decision))


# -- horizontal paths entered again --------------------------------------------------------------

NETWORK = """
paths:
  net:
    kind: horizontal
    REENTER
    levels:
      - {name: network-ops, targets: ["team:network-ops"], after: 2h}
      - {name: network-vendor, targets: ["team:vendor"]}
rules:
  - id: wrong-team
    when: {category: network, assignment_group: {not_in: [network-ops, vendor]}}
    then: {transfer: {path: net}}
    rationale: network faults sitting with another team go to the network team
"""


def network(reenter: bool = True) -> str:
    return NETWORK.replace("REENTER", "reenter: true" if reenter else "description: net")


def assigned(at: str, group: str) -> dict[str, Any]:
    return event(at, "assigned", group=group)


FIRST = "T1:path:net:1:20241120T100000Z:0:network-ops"
SECOND = "T1:path:net:1:20241120T110000Z:0:network-ops"


def bounced(*more: dict[str, Any]) -> dict[str, Any]:
    """Sent to the desk, transferred to network-ops, sent back to the desk at 11:00."""
    return ticket(
        T0,
        assigned(T0, "desk"),
        done("2024-11-20T10:05:00+00:00", FIRST),
        assigned("2024-11-20T10:05:00+00:00", "network-ops"),
        assigned("2024-11-20T11:00:00+00:00", "desk"),
        *more,
        category="network",
    )


def test_the_first_transfer_of_a_path_entered_again_is_named_by_its_entry() -> None:
    tkt = ticket(T0, assigned(T0, "desk"), category="network")
    decision = evaluate(network(), tkt, "2024-11-20T10:01:00+00:00")
    assert ([FIRST], "transfer") == (action_ids(decision), decision.actions[0].kind)


def test_a_second_wrong_team_assignment_emits_a_new_transfer() -> None:
    decision = evaluate(network(), bounced(), "2024-11-20T11:01:00+00:00")
    state = decision.path("net")
    assert ([SECOND], "network-ops", utc("2024-11-20T11:00:00+00:00"), "rule:wrong-team") == (
        action_ids(decision),
        state.level_name,
        state.entered_at,
        state.reason,
    )


def test_without_reenter_the_second_wrong_team_assignment_is_lost() -> None:
    tkt = bounced()
    events = tkt["events"]
    events[1] = done("2024-11-20T10:05:00+00:00", "T1:path:net:1:0:network-ops")
    decision = evaluate(network(reenter=False), tkt, "2024-11-20T11:01:00+00:00")
    assert [] == action_ids(decision)


def test_an_entry_restarts_the_timers_and_the_start() -> None:
    decision = evaluate(network(), bounced(), "2024-11-20T12:30:00+00:00")
    state = decision.path("net")
    assert (utc("2024-11-20T13:00:00+00:00"), utc("2024-11-20T11:00:00+00:00"), 0) == (
        state.next_move_at,
        state.started_at,
        state.round,
    )


def test_the_next_level_of_an_entry_carries_the_entry_in_its_id() -> None:
    decision = evaluate(network(), bounced(), "2024-11-20T13:30:00+00:00")
    assert ["T1:path:net:1:20241120T110000Z:0:network-vendor"] == action_ids(decision)


def test_an_entry_id_is_the_same_in_every_later_evaluation() -> None:
    ids = [
        action_ids(evaluate(network(), bounced(), now))
        for now in (
            "2024-11-20T11:00:00+00:00",
            "2024-11-20T11:30:00+00:00",
            "2024-11-20T12:59:59+00:00",
        )
    ]
    assert [[SECOND]] * 3 == ids


def test_a_recorded_entry_is_not_emitted_again() -> None:
    tkt = bounced(done("2024-11-20T11:02:00+00:00", SECOND))
    assert [] == action_ids(evaluate(network(), tkt, "2024-11-20T11:30:00+00:00"))


def test_an_acknowledgement_of_an_earlier_entry_does_not_hold_a_later_one() -> None:
    tkt = bounced()
    tkt["events"].insert(3, ack("2024-11-20T10:30:00+00:00", path="net"))
    decision = evaluate(network(), tkt, "2024-11-20T13:30:00+00:00")
    assert "network-vendor" == decision.path("net").level_name


def test_a_late_record_of_an_earlier_entrys_level_does_not_move_a_later_entry() -> None:
    # The first entry reached network-vendor at 12:00; a second wrong-team assignment at 13:00
    # enters again; the caller records the first entry's vendor transfer only at 13:05.
    tkt = ticket(
        T0,
        assigned(T0, "desk"),
        done("2024-11-20T10:05:00+00:00", FIRST),
        assigned("2024-11-20T10:05:00+00:00", "network-ops"),
        assigned("2024-11-20T13:00:00+00:00", "desk"),
        done("2024-11-20T13:05:00+00:00", "T1:path:net:1:20241120T100000Z:0:network-vendor"),
        category="network",
    )
    decision = evaluate(network(), tkt, "2024-11-20T13:10:00+00:00")
    assert (["T1:path:net:1:20241120T130000Z:0:network-ops"], "network-ops") == (
        action_ids(decision),
        decision.path("net").level_name,
    )


def test_a_page_recorded_before_reenter_was_turned_on_counts_for_its_entry() -> None:
    tkt = ticket(
        T0,
        assigned(T0, "desk"),
        done("2024-11-20T10:05:00+00:00", "T1:path:net:1:0:network-ops"),
        category="network",
    )
    assert [] == action_ids(evaluate(network(), tkt, "2024-11-20T10:30:00+00:00"))


def test_requests_at_the_instant_of_an_entry_join_it() -> None:
    body = (
        network()
        + """
  - id: vendor-hardware
    when: {category: network, priority: P1}
    then: {transfer: {path: net, to: network-vendor}}
    rationale: critical network faults go to the vendor at once
"""
    )
    tkt = ticket(T0, assigned(T0, "desk"), category="network")
    decision = evaluate(body, tkt, "2024-11-20T10:05:00+00:00")
    assert ["T1:path:net:1:20241120T100000Z:0:network-vendor"] == action_ids(decision)


def test_entry_ids_match_the_decision_format() -> None:
    decision = evaluate(network(), bounced(), "2024-11-20T13:30:00+00:00")
    assert all(re.match(ACTION_ID_PATTERN, a) for a in action_ids(decision))


def test_reenter_on_a_vertical_path_is_a_load_error() -> None:
    with pytest.raises(PolicyError) as info:
        policy(desk(page_first=False).replace("description: desk", "reenter: true"))
    assert ("paths", "desk", "reenter") == info.value.path


# -- properties ----------------------------------------------------------------------------------

MINUTES = st.integers(min_value=0, max_value=6 * 60)


def _at(minutes: int) -> str:
    return (OPENED + timedelta(minutes=minutes)).isoformat()


@st.composite
def desk_histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int]:
    """Acknowledgements (some naming the vendor path), resolutions, reopens and priority
    changes at drawn minutes, and a drawn evaluation minute after them."""
    kinds = st.sampled_from(["ack", "vendor-ack", "resolve", "reopen", "priority"])
    drawn = sorted(draw(st.lists(st.tuples(MINUTES, kinds), max_size=8)))
    events: list[dict[str, Any]] = []
    resolved = False
    for minute, kind in drawn:
        at = _at(minute)
        if kind == "ack":
            events.append(ack(at))
        elif kind == "vendor-ack":
            events.append(ack(at, path="vendor", party="vendor"))
        elif kind == "resolve" and not resolved:
            events.append(event(at, "resolved"))
            resolved = True
        elif kind == "reopen" and resolved:
            events.append(event(at, "reopened"))
            resolved = False
        elif kind == "priority":
            events.append(
                event(at, "priority-changed", priority=draw(st.sampled_from(["P1", "P2"])))
            )
    last = drawn[-1][0] if drawn else 0
    return events, draw(st.integers(min_value=last, max_value=last + 8 * 60))


def drawn_ticket(events: list[dict[str, Any]]) -> dict[str, Any]:
    """A ticket with these events; its priority is the last one they set (P1 without any)."""
    changes = any(e["type"] == "priority-changed" for e in events)
    return ticket(T0, *events, priority=None if changes else "P1")


@settings(max_examples=60, deadline=None)
@given(desk_histories())
def test_an_acknowledgement_naming_another_path_never_changes_this_path(
    case: tuple[list[dict[str, Any]], int],
) -> None:
    events, minute = case
    now = _at(minute)
    without = [e for e in events if e.get("path") != "vendor"]
    with_vendor = evaluate(TWO_PATHS, drawn_ticket(events), now)
    plain = evaluate(TWO_PATHS, drawn_ticket(without), now)
    desk_actions = [a for a in with_vendor.actions if a.source == "path:desk"]
    assert (plain.path("desk"), [a for a in plain.actions if a.source == "path:desk"]) == (
        with_vendor.path("desk"),
        desk_actions,
    )


@settings(max_examples=60, deadline=None)
@given(desk_histories())
def test_page_first_level_only_adds_the_first_level_page(
    case: tuple[list[dict[str, Any]], int],
) -> None:
    events, minute = case
    now = _at(minute)
    vendor = "  vendor:\n    kind: horizontal\n    levels: [{name: v1, targets: [team:v]}]\n"
    paged = evaluate(desk(more=vendor), drawn_ticket(events), now)
    plain = evaluate(desk(page_first=False, more=vendor), drawn_ticket(events), now)
    state = plain.path("desk")
    ended = Ticket.from_mapping(drawn_ticket(events)).state_at(utc(now)).status == "resolved"
    first = [f"T1:path:desk:{state.cycle}:0:L1"] if state.reason == "start" and not ended else []
    assert (state, plain.next_evaluation_at, list(plain.actions), first) == (
        paged.path("desk"),
        paged.next_evaluation_at,
        [a for a in paged.actions if a.id not in first],
        [a.id for a in paged.actions if a not in plain.actions],
    )


def _stretch_starts(moves: list[tuple[int, str]]) -> list[datetime]:
    """Brute force: the instants the wrong-team condition starts to hold (the group is not
    network-ops), given the group assignments in time order; the desk holds it at opening."""
    starts = [OPENED]
    holding = True
    for minute, group in moves:
        now_holding = group != "network-ops"
        if now_holding and not holding:
            starts.append(OPENED + timedelta(minutes=minute))
        holding = now_holding
    return starts


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 600), st.sampled_from(["network-ops", "desk", "second-line"])),
        max_size=8,
        unique_by=lambda move: move[0],
    ),
    st.integers(0, 60),
)
def test_the_transfer_due_is_always_the_one_of_the_latest_entry(
    drawn: list[tuple[int, str]], after: int
) -> None:
    moves = sorted(drawn)
    tkt = ticket(
        T0,
        assigned(T0, "desk"),
        *(assigned(_at(minute), group) for minute, group in moves),
        category="network",
    )
    last = moves[-1][0] if moves else 0
    now = OPENED + timedelta(minutes=last + after)
    body = network().replace(", after: 2h", "")
    decision = policy(body).evaluate(tkt, now=now)
    latest = _stretch_starts(moves)[-1]
    assert [f"T1:path:net:1:{stamp(latest)}:0:network-ops"] == action_ids(decision)


# The network path entered again, and a desk path for acknowledgements to name instead.
TIMED = network().replace(
    "rules:", "  desk:\n    kind: vertical\n    levels: [{name: L1, targets: [team:desk]}]\nrules:"
)


def _reference(
    entries: list[int], acks: list[tuple[int, str | None]], minute: int
) -> tuple[int, int]:
    """Brute force, minute by minute: (the minute the current entry began, the level index)
    of ``net`` at ``minute``: each entry starts at network-ops; network-ops moves on to
    network-vendor 120 minutes after it was entered unless an acknowledgement naming no path
    or naming ``net`` came at or after the entry and before then."""
    started, level = entries[0], 0
    for m in range(entries[0], minute + 1):
        if m in entries:
            started, level = m, 0
        elif level == 0 and m == started + 120:
            held = any(started <= at < m and path in (None, "net") for at, path in acks)
            if not held:
                level = 1
    return started, level


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 600), st.sampled_from(["network-ops", "desk", "second-line"])),
        max_size=6,
        unique_by=lambda move: move[0],
    ),
    st.lists(st.tuples(st.integers(0, 600), st.sampled_from([None, "net", "desk"])), max_size=4),
    st.integers(0, 300),
)
def test_a_path_entered_again_agrees_with_a_minute_by_minute_reference(
    drawn: list[tuple[int, str]], drawn_acks: list[tuple[int, str | None]], after: int
) -> None:
    moves = sorted(drawn)
    acks = sorted(drawn_acks, key=lambda a: a[0])
    history = [(0, assigned(T0, "desk"))]
    history += [(m, assigned(_at(m), group)) for m, group in moves]
    history += [(m, ack(_at(m), **({"path": p} if p else {}))) for m, p in acks]
    history.sort(key=lambda pair: pair[0])
    tkt = ticket(T0, *(e for _, e in history), category="network")
    last = max([m for m, _ in history])
    minute = last + after
    decision = policy(TIMED).evaluate(tkt, now=OPENED + timedelta(minutes=minute))
    entries = [int((at - OPENED).total_seconds()) // 60 for at in _stretch_starts(moves)]
    started, level = _reference(entries, acks, minute)
    name = ["network-ops", "network-vendor"][level]
    entry = stamp(OPENED + timedelta(minutes=started))
    assert ([f"T1:path:net:1:{entry}:0:{name}"], name) == (
        [a for a in action_ids(decision) if ":path:net:" in a],
        decision.path("net").level_name,
    )


def test_the_ticket_schema_refuses_a_party_without_a_path() -> None:
    validator = jsonschema.Draft202012Validator(json_schema("ticket"))
    base = {"id": "T1", "opened_at": T0}
    named = {"at": T0, "type": "acknowledged", "path": "vendor", "party": "acme"}
    unnamed = {"at": T0, "type": "acknowledged", "party": "acme"}
    assert (True, False) == (
        validator.is_valid({**base, "events": [named]}),
        validator.is_valid({**base, "events": [unnamed]}),
    )
