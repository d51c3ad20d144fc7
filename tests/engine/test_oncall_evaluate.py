"""Evaluating with a directory: level actions name people, on_empty, unacknowledged pages,
hand-off notices, DST hand-offs in next_evaluation_at, temporary cover, notify and bridges.

The ticket opens at 10:00 UTC on Wednesday 2024-11-20 unless a test says otherwise; L1 of the
desk path lasts 30 minutes, so L2 is entered at 10:30. ``rota`` hands off daily at 09:00 UTC:
carol on Wednesday, erin on Thursday. ``office`` has erin on weekdays 09:00-17:00 UTC only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from escalate.engine.decision import Action, Decision
from escalate.people.availability import Availability
from escalate.policy.loader import load
from tests.policy_helpers import action_ids, done, event, policy, ticket, utc

ROOT = Path(__file__).resolve().parents[2]
T0 = "2024-11-20T10:00:00+00:00"
L2_ID = "T1:path:desk:1:0:L2"

DIRECTORY = """
directory:
  people:
    alice: {backup: bob}
    bob: {}
    carol: {backup: dave}
    dave: {}
    erin: {}
    frank: {backup: gus}
    gus: {backup: lee}
    lee: {}
  teams:
    desk: {members: [alice, carol], lead: lee}
    ops: {schedule: rota}
  roles:
    owner: {person: frank}
schedules:
  rota:
    timezone: UTC
    layers:
      - name: daily
        level: 1
        rotation: {members: [carol, erin], turn: 1d, handoff: "09:00", anchor: 2024-11-18}
  office:
    timezone: UTC
    layers:
      - name: day
        level: 1
        rotation: {members: [erin], turn: 1w, anchor: 2024-11-18}
        restrictions: [{days: mon-fri, time: "09:00-17:00"}]
"""

DESK = """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: [TARGETS]LEVEL2}
      - {name: L3, targets: ["role:owner"]}
"""


def desk(level2: str = "", targets: str = '"person:alice"', more: str = "") -> str:
    """The directory and the three-level desk path; ``level2`` adds keys to L2."""
    return DIRECTORY + DESK.replace("TARGETS", targets).replace("LEVEL2", level2) + more


def away(*people: str, until: str | None = "2024-11-20T11:00:00+00:00") -> dict[str, Any]:
    """Availability: these people on leave from midnight until ``until``."""
    return {
        "out_of_office": [
            {
                "person": who,
                "from": "2024-11-20T00:00:00+00:00",
                "reason": "leave",
                **({"until": until} if until else {}),
            }
            for who in people
        ]
    }


def unreachable(*people: str) -> dict[str, Any]:
    return {"unreachable": list(people)}


def evaluate(
    body: str,
    now: str,
    availability: Mapping[str, Any] | None = None,
    tkt: Mapping[str, Any] | None = None,
) -> Decision:
    return policy(body).evaluate(
        dict(tkt if tkt is not None else ticket()), now=utc(now), availability=availability
    )


def action(decision: Decision, action_id: str) -> Action:
    return next(a for a in decision.actions if a.id == action_id)


def people_and_notes(decision: Decision, action_id: str = L2_ID) -> tuple[Any, ...]:
    found = action(decision, action_id)
    return (found.people, found.notes)


ALICE_AWAY = "alice (person:alice) unavailable: leave until 2024-11-20T11:00:00+00:00"
ALICE_UNREACHABLE = "alice (person:alice) unavailable: unreachable; no available fallback"


# -- level actions name people -------------------------------------------------------------------


def test_an_escalation_names_the_people_its_targets_reach() -> None:
    decision = evaluate(desk(), "2024-11-20T10:45:00+00:00")
    assert (("alice",), ()) == people_and_notes(decision)


def test_an_escalation_pages_the_backup_of_an_unavailable_person_and_says_why() -> None:
    decision = evaluate(desk(), "2024-11-20T10:45:00+00:00", away("alice"))
    assert (("bob",), (f"{ALICE_AWAY} -> bob (backup of alice)",)) == people_and_notes(decision)


def test_an_escalation_to_a_team_pages_its_lead_for_an_unavailable_member() -> None:
    decision = evaluate(
        desk(targets='"team:desk"'), "2024-11-20T10:45:00+00:00", unreachable("alice", "bob")
    )
    assert (
        ("lee", "carol"),
        ("alice (team:desk) unavailable: unreachable -> lee (lead of team desk)",),
    ) == people_and_notes(decision)


def test_the_first_level_of_an_on_open_path_pages_nobody_even_with_a_directory() -> None:
    assert [] == action_ids(evaluate(desk(), "2024-11-20T10:10:00+00:00"))


def test_a_transfer_names_people_too() -> None:
    body = (
        DIRECTORY
        + """
paths:
  across:
    kind: horizontal
    starts: on-open
    levels:
      - {name: first, targets: ["team:desk"], after: 1h}
      - {name: second, targets: ["team:ops"]}
"""
    )
    decision = evaluate(body, "2024-11-20T11:30:00+00:00")
    found = action(decision, "T1:path:across:1:0:second")
    assert ("transfer", ("carol",)) == (found.kind, found.people)


def test_the_availability_change_of_a_paged_person_feeds_the_next_evaluation() -> None:
    decision = evaluate(desk(), "2024-11-20T10:45:00+00:00", away("alice"))
    assert utc("2024-11-20T11:00:00+00:00") == decision.next_evaluation_at


def test_after_the_absence_ends_the_same_escalation_pages_the_person_again() -> None:
    decision = evaluate(desk(), "2024-11-20T11:00:00+00:00", away("alice"))
    assert (("alice",), ()) == people_and_notes(decision)


# -- on_empty ------------------------------------------------------------------------------------

NOBODY = unreachable("alice", "bob")
SKIPPED = "nobody available at L2; on_empty: skip -> L3"


@pytest.mark.parametrize(
    ("level2", "expected"),
    [
        ("", (("frank",), (ALICE_UNREACHABLE, SKIPPED))),
        (", on_empty: skip", (("frank",), (ALICE_UNREACHABLE, SKIPPED))),
        (
            ', on_empty: fallback, fallback: ["person:dave"]',
            (("dave",), (ALICE_UNREACHABLE, "nobody available at L2; on_empty: fallback -> dave")),
        ),
        (
            ', on_empty: fallback, fallback: ["person:bob"]',
            (
                (),
                (
                    ALICE_UNREACHABLE,
                    "nobody available at L2; on_empty: fallback -> nobody",
                    "bob (person:bob) unavailable: unreachable; no available fallback",
                ),
            ),
        ),
        (
            ', on_empty: fallback, fallback: ["team:ops"]',
            (
                ("carol",),
                (ALICE_UNREACHABLE, "nobody available at L2; on_empty: fallback -> carol"),
            ),
        ),
    ],
    ids=["default-skip", "skip", "fallback", "fallback-nobody", "fallback-schedule"],
)
def test_on_empty_decides_who_an_escalation_to_nobody_pages(
    level2: str, expected: tuple[Any, ...]
) -> None:
    decision = evaluate(desk(level2), "2024-11-20T10:45:00+00:00", NOBODY)
    assert expected == people_and_notes(decision)


def test_on_empty_skip_pages_the_next_level_with_someone_and_keeps_its_notes() -> None:
    decision = evaluate(desk(), "2024-11-20T10:45:00+00:00", unreachable("alice", "bob", "frank"))
    assert (
        ("gus",),
        (
            ALICE_UNREACHABLE,
            SKIPPED,
            "frank (role:owner) unavailable: unreachable -> gus (backup of frank)",
        ),
    ) == people_and_notes(decision)


def test_on_empty_skip_does_not_move_the_path() -> None:
    decision = evaluate(desk(), "2024-11-20T10:45:00+00:00", NOBODY)
    state = decision.path("desk")
    assert (1, utc("2024-11-20T10:30:00+00:00")) == (state.level_index, state.entered_at)


@pytest.mark.parametrize("mode", ["wait", "defer_until_covered"])
def test_on_empty_wait_and_defer_page_nobody_while_nobody_is_available(mode: str) -> None:
    decision = evaluate(
        desk(f", on_empty: {mode}"), "2024-11-20T10:45:00+00:00", away("alice", "bob")
    )
    assert ([], utc("2024-11-20T11:00:00+00:00")) == (
        action_ids(decision),
        decision.next_evaluation_at,
    )


@pytest.mark.parametrize(
    ("mode", "due_at", "late"),
    [
        ("wait", "2024-11-20T10:30:00+00:00", True),
        ("defer_until_covered", "2024-11-20T11:00:00+00:00", True),
    ],
)
def test_once_someone_is_available_wait_pages_as_of_entry_and_defer_as_of_cover(
    mode: str, due_at: str, late: bool
) -> None:
    decision = evaluate(
        desk(f", on_empty: {mode}"), "2024-11-20T11:30:00+00:00", away("alice", "bob")
    )
    found = action(decision, L2_ID)
    assert (("alice",), utc(due_at), late) == (found.people, found.due_at, found.late)


def test_defer_until_covered_is_not_late_when_evaluated_at_the_instant_cover_begins() -> None:
    decision = evaluate(
        desk(", on_empty: defer_until_covered"), "2024-11-20T11:00:00+00:00", away("alice", "bob")
    )
    found = action(decision, L2_ID)
    assert (utc("2024-11-20T11:00:00+00:00"), False) == (found.due_at, found.late)


def test_defer_until_covered_with_someone_available_at_entry_is_due_at_entry() -> None:
    decision = evaluate(desk(", on_empty: defer_until_covered"), "2024-11-20T10:45:00+00:00")
    assert utc("2024-11-20T10:30:00+00:00") == action(decision, L2_ID).due_at


NIGHT = ticket("2024-11-20T17:30:00+00:00")  # L2 entered at 18:00, office closed until 09:00


def test_defer_until_covered_waits_for_a_schedule_gap_to_end() -> None:
    body = desk(", on_empty: defer_until_covered", targets='"schedule:office"')
    decision = evaluate(body, "2024-11-20T20:00:00+00:00", tkt=NIGHT)
    assert ([], utc("2024-11-21T09:00:00+00:00")) == (
        action_ids(decision),
        decision.next_evaluation_at,
    )


def test_defer_until_covered_is_due_from_the_hand_off_that_ended_the_gap() -> None:
    body = desk(", on_empty: defer_until_covered", targets='"schedule:office"')
    decision = evaluate(body, "2024-11-21T09:30:00+00:00", tkt=NIGHT)
    found = action(decision, L2_ID)
    assert (("erin",), utc("2024-11-21T09:00:00+00:00"), True) == (
        found.people,
        found.due_at,
        found.late,
    )


def test_wait_through_a_schedule_gap_pages_as_of_entry() -> None:
    body = desk(", on_empty: wait", targets='"schedule:office"')
    decision = evaluate(body, "2024-11-21T09:30:00+00:00", tkt=NIGHT)
    assert utc("2024-11-20T18:00:00+00:00") == action(decision, L2_ID).due_at


def test_on_empty_only_acts_when_nobody_at_all_is_available() -> None:
    body = desk(", on_empty: wait", targets='"person:alice", "person:carol"')
    decision = evaluate(body, "2024-11-20T10:45:00+00:00", NOBODY)
    assert (("carol",), (ALICE_UNREACHABLE,)) == people_and_notes(decision)


def test_on_empty_is_ignored_without_a_directory() -> None:
    body = DESK.replace("TARGETS", '"person:alice"').replace("LEVEL2", ", on_empty: wait")
    decision = evaluate(body, "2024-11-20T10:45:00+00:00", NOBODY)
    assert ((), ()) == people_and_notes(decision)


@pytest.mark.parametrize(
    "level2", [', on_empty: fallback, fallback: ["team:ops"]', ", on_empty: skip"]
)
def test_the_hand_off_of_a_schedule_paged_instead_feeds_the_next_evaluation(level2: str) -> None:
    body = desk(level2).replace('targets: ["role:owner"]', 'targets: ["schedule:rota"]')
    # carol is paged instead of alice; erin takes over rota on Thursday 09:00.
    decision = evaluate(body, "2024-11-20T10:45:00+00:00", away("alice", "bob", until=None))
    assert (("carol",), utc("2024-11-21T09:00:00+00:00")) == (
        action(decision, L2_ID).people,
        decision.next_evaluation_at,
    )


# -- ack_within: nobody acknowledged -------------------------------------------------------------

UNACK_ID = f"{L2_ID}:unacknowledged"


def ack(at: str) -> dict[str, Any]:
    return event(at, "acknowledged", actor="alice")


def test_before_ack_within_has_passed_there_is_no_page_but_a_wake_up_at_the_deadline() -> None:
    decision = evaluate(desk(", ack_within: 15m"), "2024-11-20T10:44:59+00:00")
    assert ([L2_ID], utc("2024-11-20T10:45:00+00:00")) == (
        action_ids(decision),
        decision.next_evaluation_at,
    )


def test_nobody_acknowledging_within_ack_within_pages_the_backups_of_those_paged() -> None:
    decision = evaluate(desk(", ack_within: 15m"), "2024-11-20T10:45:00+00:00")
    found = action(decision, UNACK_ID)
    assert (
        "page",
        "path:desk",
        utc("2024-11-20T10:45:00+00:00"),
        False,
        ("person:bob",),
        ("bob",),
        {"path": "desk", "level": "L2", "ack_within": "15m"},
        "nobody acknowledged L2 within 15m",
    ) == (
        found.kind,
        found.source,
        found.due_at,
        found.late,
        found.targets,
        found.people,
        dict(found.details),
        found.rationale,
    )


def test_the_unacknowledged_page_also_goes_to_the_levels_fallback() -> None:
    decision = evaluate(
        desk(', ack_within: 15m, fallback: ["team:ops"]'), "2024-11-20T10:50:00+00:00"
    )
    found = action(decision, UNACK_ID)
    assert (("person:bob", "team:ops"), ("bob", "carol"), True) == (
        found.targets,
        found.people,
        found.late,
    )


def test_an_unavailable_backup_in_the_unacknowledged_page_is_noted_and_skipped() -> None:
    body = desk(', ack_within: 15m, fallback: ["team:ops"]')
    decision = evaluate(body, "2024-11-20T10:50:00+00:00", unreachable("bob"))
    assert (
        ("carol",),
        ("bob (person:bob) unavailable: unreachable; no available fallback",),
    ) == people_and_notes(decision, UNACK_ID)


def test_the_unacknowledged_page_goes_to_nobody_already_paged() -> None:
    body = desk(", ack_within: 15m", targets='"person:alice", "person:bob"')
    assert [L2_ID] == action_ids(evaluate(body, "2024-11-20T10:50:00+00:00"))


def test_the_unacknowledged_page_goes_to_the_backup_of_the_substitute_actually_paged() -> None:
    body = desk(", ack_within: 15m", targets='"role:owner"')
    decision = evaluate(body, "2024-11-20T10:50:00+00:00", away("frank"))
    assert (("gus",), ("lee",)) == (
        action(decision, L2_ID).people,
        action(decision, UNACK_ID).people,
    )


def test_an_acknowledgement_within_ack_within_prevents_the_page() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:44:59+00:00"))
    decision = evaluate(desk(", ack_within: 15m"), "2024-11-20T11:00:00+00:00", tkt=tkt)
    assert [L2_ID] == action_ids(decision)


def test_an_acknowledgement_after_the_deadline_withdraws_the_unacknowledged_page() -> None:
    tkt = ticket(T0, ack("2024-11-20T10:45:00+00:00"))
    decision = evaluate(desk(", ack_within: 15m"), "2024-11-20T11:00:00+00:00", tkt=tkt)
    assert [L2_ID] == action_ids(decision)


def test_an_acknowledgement_before_entering_the_level_does_not_count() -> None:
    body = desk(", ack_within: 15m").replace("after: 30m}", "after: 30m, until: resolved}")
    tkt = ticket(T0, ack("2024-11-20T10:20:00+00:00"))
    decision = evaluate(body, "2024-11-20T10:50:00+00:00", tkt=tkt)
    assert [UNACK_ID, L2_ID] == action_ids(decision)


def test_a_recorded_unacknowledged_page_is_not_emitted_again() -> None:
    tkt = ticket(T0, done("2024-11-20T10:46:00+00:00", UNACK_ID))
    decision = evaluate(desk(", ack_within: 15m"), "2024-11-20T10:50:00+00:00", tkt=tkt)
    assert [L2_ID] == action_ids(decision)


def test_the_unacknowledged_page_is_emitted_after_the_escalation_was_done() -> None:
    tkt = ticket(T0, done("2024-11-20T10:31:00+00:00", L2_ID))
    decision = evaluate(desk(", ack_within: 15m"), "2024-11-20T10:50:00+00:00", tkt=tkt)
    assert [UNACK_ID] == action_ids(decision)


def test_the_hand_off_of_a_schedule_in_the_unacknowledged_page_feeds_the_next_evaluation() -> None:
    body = desk(', ack_within: 15m, fallback: ["team:ops"]')
    decision = evaluate(body, "2024-11-20T10:50:00+00:00")
    assert (("bob", "carol"), utc("2024-11-21T09:00:00+00:00")) == (
        action(decision, UNACK_ID).people,
        decision.next_evaluation_at,
    )


# -- hand-off notices ----------------------------------------------------------------------------

ITIL = load(ROOT / "rules" / "itil-default.yaml")
AVAILABILITY = json.loads((ROOT / "examples" / "availability.json").read_text())

# P2 on Monday 2024-11-25: L2 (team:second-line) from 07:00 UTC, acknowledged at 07:10 so it
# holds until the acknowledgement lapses at 09:10. second-line-oncall hands off from sofia.rossi
# to tom.becker on Monday 09:00 Berlin (08:00 UTC).
WEEKLY = {
    "id": "INC1",
    "opened_at": "2024-11-25T06:30:00+00:00",
    "priority": "P2",
    "assignment_group": "service-desk",
    "events": [{"at": "2024-11-25T07:10:00+00:00", "type": "acknowledged", "actor": "sofia.rossi"}],
}
HANDOFF_ID = "INC1:path:service-desk:1:0:L2:handoff:second-line-oncall:20241125T080000Z"


def itil(
    tkt: Mapping[str, Any], now: str, availability: Mapping[str, Any] | None = None
) -> Decision:
    return ITIL.evaluate(dict(tkt), now=utc(now), availability=availability)


def test_the_weekly_hand_off_during_an_active_escalation_is_the_next_evaluation() -> None:
    decision = itil(WEEKLY, "2024-11-25T07:59:59+00:00")
    assert (
        utc("2024-11-25T08:00:00+00:00"),
        ("sofia.rossi",),
        False,
    ) == (
        decision.next_evaluation_at,
        action(decision, "INC1:path:service-desk:1:0:L2").people,
        any(a.kind == "handoff" for a in decision.actions),
    )


def test_a_hand_off_during_an_active_escalation_tells_whoever_comes_on_call() -> None:
    found = action(itil(WEEKLY, "2024-11-25T08:30:00+00:00"), HANDOFF_ID)
    assert (
        "handoff",
        "path:service-desk",
        utc("2024-11-25T08:00:00+00:00"),
        True,
        ("schedule:second-line-oncall",),
        ("tom.becker",),
        {"path": "service-desk", "level": "L2", "schedule": "second-line-oncall"},
        "on-call changed while L2 is active",
    ) == (
        found.kind,
        found.source,
        found.due_at,
        found.late,
        found.targets,
        found.people,
        dict(found.details),
        found.rationale,
    )


def test_after_a_hand_off_the_escalation_itself_names_the_incoming_person() -> None:
    decision = itil(WEEKLY, "2024-11-25T08:00:00+00:00")
    assert (("tom.becker",), False) == (
        action(decision, "INC1:path:service-desk:1:0:L2").people,
        action(decision, HANDOFF_ID).late,
    )


def test_a_recorded_hand_off_notice_is_not_emitted_again() -> None:
    tkt = {**WEEKLY, "events": [*WEEKLY["events"], done("2024-11-25T08:01:00+00:00", HANDOFF_ID)]}
    assert HANDOFF_ID not in action_ids(itil(tkt, "2024-11-25T08:30:00+00:00"))


def test_the_hand_off_notice_is_emitted_after_the_escalation_was_done() -> None:
    escalated = done("2024-11-25T07:01:00+00:00", "INC1:path:service-desk:1:0:L2")
    tkt = {**WEEKLY, "events": [escalated, *WEEKLY["events"]]}
    assert HANDOFF_ID in action_ids(itil(tkt, "2024-11-25T08:30:00+00:00"))


def test_a_hand_off_before_the_level_was_entered_tells_nobody() -> None:
    # Entered at 08:30 (opened 08:00): tom.becker has been on call since before.
    tkt = {**WEEKLY, "opened_at": "2024-11-25T08:00:00+00:00", "events": []}
    decision = itil(tkt, "2024-11-25T08:45:00+00:00")
    assert [] == [a.id for a in decision.actions if a.kind == "handoff"]


def test_a_hand_off_at_the_instant_the_level_was_entered_tells_nobody() -> None:
    tkt = {**WEEKLY, "opened_at": "2024-11-25T07:30:00+00:00", "events": []}  # L2 at 08:00
    decision = itil(tkt, "2024-11-25T08:15:00+00:00")
    assert [] == [a.id for a in decision.actions if a.kind == "handoff"]


def test_the_first_level_of_an_on_open_path_gets_no_hand_off_notice() -> None:
    body = (
        DIRECTORY
        + """
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["schedule:rota"], until: resolved}
"""
    )
    decision = evaluate(body, "2024-11-21T10:00:00+00:00", tkt=ticket("2024-11-20T10:00:00+00:00"))
    assert [] == action_ids(decision)


def test_a_hand_off_to_someone_already_paged_tells_nobody() -> None:
    body = desk(", until: resolved", targets='"schedule:rota", "person:erin"')
    decision = evaluate(body, "2024-11-21T10:00:00+00:00")
    assert [L2_ID] == action_ids(decision)


def test_a_hand_off_notice_names_the_schedule_and_the_hand_off_instant() -> None:
    body = desk(", until: resolved", targets='"schedule:rota"')
    decision = evaluate(body, "2024-11-21T10:00:00+00:00")
    assert (
        [f"{L2_ID}:handoff:rota:20241121T090000Z", L2_ID],
        ("erin",),
    ) == (action_ids(decision), action(decision, f"{L2_ID}:handoff:rota:20241121T090000Z").people)


def test_two_hand_offs_while_a_level_is_active_tell_only_the_last_incoming_person() -> None:
    body = desk(", until: resolved", targets='"schedule:rota"')
    decision = evaluate(body, "2024-11-22T10:00:00+00:00")  # erin Thursday, carol Friday
    handoffs = [a for a in decision.actions if a.kind == "handoff"]
    assert [(f"{L2_ID}:handoff:rota:20241122T090000Z", ("carol",))] == [
        (a.id, a.people) for a in handoffs
    ]


def test_a_hand_off_that_changes_nobody_paged_through_the_fallback_tells_nobody() -> None:
    # Nobody in office at night and erin unreachable by day: dave is paged all along.
    body = desk(', on_empty: fallback, fallback: ["person:dave"]', targets='"schedule:office"')
    decision = evaluate(body, "2024-11-21T09:30:00+00:00", unreachable("erin"), tkt=NIGHT)
    assert [(L2_ID, ("dave",))] == [(a.id, a.people) for a in decision.actions]


# -- DST hand-offs feed next_evaluation_at -------------------------------------------------------


def dst_policy(zone: str, handoff: str) -> str:
    """A daily rotation in ``zone`` and a path whose L2 stays on it until resolved."""
    return f"""
directory:
  people: {{ann: {{}}, ben: {{}}, cat: {{}}}}
schedules:
  dst:
    timezone: {zone}
    layers:
      - name: daily
        level: 1
        rotation: {{members: [ann, ben], turn: 1d, handoff: "{handoff}", anchor: 2024-01-01}}
paths:
  desk:
    kind: vertical
    levels:
      - {{name: L1, targets: ["person:cat"], after: 1m}}
      - {{name: L2, targets: ["schedule:dst"], until: resolved}}
"""


DST_CASES = [
    # (zone, hand-off wall time, opened, now, the hand-off instant that comes next)
    # Berlin springs forward 02:00 -> 03:00 on 2024-03-31: 02:30 does not exist, 03:00 CEST.
    (
        "Europe/Berlin",
        "02:30",
        "2024-03-30T12:00:00+00:00",
        "2024-03-30T20:00:00+00:00",
        "2024-03-31T01:00:00+00:00",
    ),
    # ... and the day after, 02:30 CEST again (a day of 23.5 hours between the two).
    (
        "Europe/Berlin",
        "02:30",
        "2024-03-30T12:00:00+00:00",
        "2024-03-31T01:00:00+00:00",
        "2024-04-01T00:30:00+00:00",
    ),
    # Berlin falls back 03:00 -> 02:00 on 2024-10-27: 02:30 is taken at its first occurrence.
    (
        "Europe/Berlin",
        "02:30",
        "2024-10-26T12:00:00+00:00",
        "2024-10-26T20:00:00+00:00",
        "2024-10-27T00:30:00+00:00",
    ),
    (
        "Europe/Berlin",
        "02:30",
        "2024-10-26T12:00:00+00:00",
        "2024-10-27T00:30:00+00:00",
        "2024-10-28T01:30:00+00:00",
    ),
    # New York springs forward on 2024-03-10 (02:30 -> 03:00 EDT) ...
    (
        "America/New_York",
        "02:30",
        "2024-03-09T12:00:00+00:00",
        "2024-03-09T20:00:00+00:00",
        "2024-03-10T07:00:00+00:00",
    ),
    # ... and falls back on 2024-11-03 (01:30 EDT, the first of the two).
    (
        "America/New_York",
        "01:30",
        "2024-11-02T12:00:00+00:00",
        "2024-11-02T20:00:00+00:00",
        "2024-11-03T05:30:00+00:00",
    ),
    # Lord Howe moves 30 minutes: 02:00 -> 02:30 (+11:00) on 2024-10-06, 02:15 means 02:30 ...
    (
        "Australia/Lord_Howe",
        "02:15",
        "2024-10-05T00:00:00+00:00",
        "2024-10-05T10:00:00+00:00",
        "2024-10-05T15:30:00+00:00",
    ),
    # ... and 02:00 -> 01:30 (+10:30) on 2024-04-07: 01:45 at its first occurrence (+11:00).
    (
        "Australia/Lord_Howe",
        "01:45",
        "2024-04-06T00:00:00+00:00",
        "2024-04-06T10:00:00+00:00",
        "2024-04-06T14:45:00+00:00",
    ),
    (
        "Australia/Lord_Howe",
        "01:45",
        "2024-04-06T00:00:00+00:00",
        "2024-04-06T14:45:00+00:00",
        "2024-04-07T15:15:00+00:00",
    ),
]


@pytest.mark.parametrize(("zone", "handoff", "opened", "now", "expected"), DST_CASES)
def test_a_dst_hand_off_of_a_paged_schedule_is_the_next_evaluation(
    zone: str, handoff: str, opened: str, now: str, expected: str
) -> None:
    decision = evaluate(dst_policy(zone, handoff), now, tkt=ticket(opened))
    assert utc(expected) == decision.next_evaluation_at


@pytest.mark.parametrize(("zone", "handoff", "opened", "now", "expected"), DST_CASES)
def test_at_a_dst_hand_off_the_incoming_person_gets_a_notice_stamped_with_it(
    zone: str, handoff: str, opened: str, now: str, expected: str
) -> None:
    decision = evaluate(dst_policy(zone, handoff), expected, tkt=ticket(opened))
    stamp = utc(expected).strftime("%Y%m%dT%H%M%SZ")
    paged = action(decision, L2_ID).people
    notice = action(decision, f"{L2_ID}:handoff:dst:{stamp}")
    assert (paged, utc(expected), False) == (notice.people, notice.due_at, notice.late)


def test_the_shipped_network_rotation_hands_off_at_08_00_wall_time_across_the_fall_back() -> None:
    # network-oncall: 12-hour turns at 08:00 and 20:00 Berlin; on 2024-10-27 08:00 is CET.
    schedule = ITIL.directory.schedules["network-oncall"]
    assert [utc("2024-10-26T18:00:00+00:00"), utc("2024-10-27T07:00:00+00:00")] == [
        schedule.next_handoff(utc("2024-10-26T12:00:00+00:00")),
        schedule.next_handoff(utc("2024-10-26T18:00:00+00:00")),
    ]


HOURLY = """
directory:
  people: {ann: {}, ben: {}, cat: {}}
schedules:
  hourly:
    timezone: UTC
    layers:
      - {name: main, level: 1, rotation: {members: [ann, ben], turn: 1h, anchor: 2024-11-20}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["person:cat"], after: 1m}
      - {name: L2, targets: ["schedule:hourly"]}
"""
ANN_AWAY = {
    "out_of_office": [
        {"person": "ann", "from": "2024-11-20T00:00:00+00:00", "until": "2024-11-21T06:00:00+00:00"}
    ]
}


def test_while_the_on_call_person_is_away_the_next_on_call_is_paged_at_every_hand_off() -> None:
    decision = evaluate(HOURLY, "2024-11-20T10:30:00+00:00", ANN_AWAY)
    assert ("ben",) == action(decision, L2_ID).people


def test_when_the_absence_ends_on_their_turn_they_are_paged_and_told_of_the_hand_off() -> None:
    decision = evaluate(HOURLY, "2024-11-21T06:00:00+00:00", ANN_AWAY)
    assert [(f"{L2_ID}:handoff:hourly:20241121T060000Z", ("ann",)), (L2_ID, ("ann",))] == [
        (a.id, a.people) for a in decision.actions
    ]


def test_a_change_after_many_hand_offs_that_change_nobody_is_still_the_next_evaluation() -> None:
    # ben is paged at every hourly hand-off until ann is back at 06:00 the next day.
    decision = evaluate(HOURLY, "2024-11-20T10:30:00+00:00", ANN_AWAY)
    assert utc("2024-11-21T06:00:00+00:00") == decision.next_evaluation_at


# -- temporary cover (schedule_overrides) --------------------------------------------------------

COVER = {
    "schedule_overrides": [
        {
            "schedule": "rota",
            "start": "2024-11-20T10:00:00+00:00",
            "end": "2024-11-20T12:00:00+00:00",
            "people": ["dave"],
        }
    ]
}


def test_temporary_cover_wins_over_the_schedule_in_an_escalation() -> None:
    decision = evaluate(desk(targets='"team:ops"'), "2024-11-20T10:45:00+00:00", COVER)
    assert (("dave",), ()) == people_and_notes(decision)


def test_the_end_of_temporary_cover_is_the_next_evaluation() -> None:
    decision = evaluate(desk(targets='"team:ops"'), "2024-11-20T10:45:00+00:00", COVER)
    assert utc("2024-11-20T12:00:00+00:00") == decision.next_evaluation_at


def test_after_temporary_cover_ends_the_schedule_answers_again() -> None:
    decision = evaluate(desk(targets='"team:ops"'), "2024-11-20T12:00:00+00:00", COVER)
    assert ("carol",) == action(decision, L2_ID).people


def test_the_start_of_temporary_cover_is_the_next_evaluation() -> None:
    decision = evaluate(
        desk(targets='"team:ops"'),
        "2024-11-20T10:45:00+00:00",
        {
            "schedule_overrides": [
                {**COVER["schedule_overrides"][0], "start": "2024-11-20T11:15:00+00:00"}
            ]
        },
    )
    assert (("carol",), utc("2024-11-20T11:15:00+00:00")) == (
        action(decision, L2_ID).people,
        decision.next_evaluation_at,
    )


# -- notify and bridges --------------------------------------------------------------------------


def rule(then: str) -> str:
    return DIRECTORY + f"rules:\n  - id: r\n    when: {{priority: P1}}\n    then: {then}\n"


def only(decision: Decision) -> Action:
    (found,) = decision.actions
    return found


NOW = "2024-11-20T10:05:00+00:00"


def test_a_notification_names_the_people_its_targets_reach() -> None:
    then = '{notify: {to: ["role:owner", "schedule:rota", "team:desk"], channel: chat}}'
    assert ("frank", "carol", "alice") == only(evaluate(rule(then), NOW)).people


def test_a_notification_to_the_assignee_and_group_names_them_when_the_directory_knows_them() -> (
    None
):
    then = "{notify: {to: [assignee, assignment-group], channel: chat}}"
    tkt = ticket(assignee="lee", assignment_group="ops")
    found = only(evaluate(rule(then), NOW, tkt=tkt))
    assert (("assignee", "assignment-group"), ("lee", "carol")) == (found.targets, found.people)


def test_an_assignee_and_group_the_directory_does_not_know_are_left_to_the_caller() -> None:
    then = "{notify: {to: [assignee, assignment-group], channel: chat}}"
    tkt = ticket(assignee="stranger", assignment_group="elsewhere")
    found = only(evaluate(rule(then), NOW, tkt=tkt))
    assert (("assignee", "assignment-group"), ()) == (found.targets, found.people)


def test_a_notification_falls_back_for_an_unavailable_person_and_notes_it() -> None:
    then = '{notify: {to: ["person:alice"], channel: chat}}'
    found = only(evaluate(rule(then), NOW, away("alice")))
    assert (("bob",), (f"{ALICE_AWAY} -> bob (backup of alice)",)) == (found.people, found.notes)


def test_a_bridge_names_its_participants() -> None:
    then = '{open_bridge: {participants: ["team:ops", "person:lee"]}}'
    found = only(evaluate(rule(then), NOW))
    assert ("open_bridge", ("carol", "lee")) == (found.kind, found.people)


def test_without_a_directory_a_notification_names_nobody() -> None:
    body = rule('{notify: {to: ["team:x"], channel: chat}}').replace(DIRECTORY, "")
    assert ((), ()) == (only(evaluate(body, NOW)).people, only(evaluate(body, NOW)).notes)


def test_the_hand_off_of_a_schedule_a_pending_notification_names_is_the_next_evaluation() -> None:
    then = '{notify: {to: ["schedule:rota"], channel: chat}}'
    assert utc("2024-11-21T09:00:00+00:00") == evaluate(rule(then), NOW).next_evaluation_at


def test_the_availability_change_of_a_bridge_participant_is_the_next_evaluation() -> None:
    then = '{open_bridge: {participants: ["person:alice"]}}'
    decision = evaluate(rule(then), NOW, away("alice"))
    assert utc("2024-11-20T11:00:00+00:00") == decision.next_evaluation_at


def test_a_recorded_notification_no_longer_watches_its_schedule() -> None:
    then = '{notify: {to: ["schedule:rota"], channel: chat}}'
    tkt = ticket(T0, done("2024-11-20T10:01:00+00:00", "T1:rule:r:20241120T100000Z:notify0"))
    assert None is evaluate(rule(then), NOW, tkt=tkt).next_evaluation_at


# -- the shipped pack, end to end ----------------------------------------------------------------


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "tickets" / f"{name}.json").read_text())
    return data


def test_the_l3_escalation_pages_the_service_owners_backup_while_he_is_on_leave() -> None:
    decision = itil(example("INC0010003"), "2024-11-20T15:00:00+00:00", AVAILABILITY)
    assert (
        ("claudia.neumann",),
        (
            "markus.braun (role:service-owner) unavailable: annual leave until "
            "2024-11-22T23:00:00+00:00 -> claudia.neumann (backup of markus.braun)",
        ),
    ) == people_and_notes(decision, "INC0010003:path:service-desk:1:0:L3")


def test_without_availability_the_l3_escalation_pages_the_service_owner() -> None:
    decision = itil(example("INC0010003"), "2024-11-20T15:00:00+00:00")
    assert (("markus.braun",), ()) == people_and_notes(
        decision, "INC0010003:path:service-desk:1:0:L3"
    )


def test_the_l2_escalation_pages_the_backup_of_the_on_call_engineer_on_sick_leave() -> None:
    decision = itil(example("INC0010003"), "2024-11-20T14:00:00+00:00", AVAILABILITY)
    assert (
        ("tom.becker",),
        (
            "sofia.rossi (team:second-line) unavailable: sick leave until "
            "2024-11-20T18:00:00+00:00 -> tom.becker (backup of sofia.rossi)",
        ),
    ) == people_and_notes(decision, "INC0010003:path:service-desk:1:0:L2")


def test_nobody_acknowledging_l2_pages_the_backup_of_the_substitute() -> None:
    decision = itil(example("INC0010003"), "2024-11-20T14:20:00+00:00", AVAILABILITY)
    found = action(decision, "INC0010003:path:service-desk:1:0:L2:unacknowledged")
    assert (("person:mehmet.yilmaz",), ("mehmet.yilmaz",), utc("2024-11-20T14:15:00+00:00")) == (
        found.targets,
        found.people,
        found.due_at,
    )


def test_the_p1_bridge_names_the_incident_manager_the_desk_and_the_network_team() -> None:
    # path:service-desk is at L1 (the desk); path:network-team engaged network operations
    tkt = example("INC0010001")
    tkt["events"] = tkt["events"][:4]  # as known at 11:30
    decision = itil(tkt, "2024-11-20T11:30:00+00:00")
    found = action(decision, "INC0010001:rule:p1-bridge:20241120T112000Z:open_bridge0")
    assert (
        "ravi.patel",
        "anna.schmidt",
        "jonas.weber",
        "lena.fischer",
        "erik.larsen",
        "nina.hoffmann",
    ) == found.people


def test_the_vip_heads_up_names_the_account_manager() -> None:
    decision = itil(example("INC0010002"), "2024-11-20T15:00:00+00:00", AVAILABILITY)
    assert ("julia.wagner",) == action(
        decision, "INC0010002:rule:vip-heads-up:20241118T081000Z:notify0"
    ).people


def test_the_response_breach_notifies_the_group_and_the_duty_manager() -> None:
    decision = itil(WEEKLY, "2024-11-25T07:30:00+00:00")
    found = action(decision, "INC1:clock:response#1@0:notify0")
    assert ("anna.schmidt", "jonas.weber", "lena.fischer", "petra.koch") == found.people


@pytest.mark.parametrize("name", ["INC0010001", "INC0010003", "INC0010005", "INC0010006"])
def test_every_paged_person_in_the_examples_is_available(name: str) -> None:
    now = utc("2024-11-20T15:00:00+00:00")
    decision = itil(example(name), now.isoformat(), AVAILABILITY)
    available = Availability.from_mapping(AVAILABILITY)
    paged = {p for a in decision.actions for p in a.people}
    assert set() == {p for p in paged if available.unavailable_because(p, now) is not None}


def test_a_pending_handoff_notice_wakes_the_caller_at_the_next_handoff_that_replaces_it() -> None:
    # Regression (found by the "nothing changes before next_evaluation_at" property): the
    # notice is for the last hand-off only, so the next hand-off must be a wake-up even when
    # it changes nobody's page.
    body = """
directory:
  people: {p0: {}, p1: {}}
  teams: {watch: {schedule: s}}
schedules:
  s:
    timezone: America/New_York
    layers:
      - name: main
        level: 1
        rotation: {members: [p1, p0], turn: 8h, handoff: "10:15", anchor: 2024-01-01}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["person:p0"], after: 30m, on_empty: skip}
      - {name: L2, targets: ["person:p0"], after: 2h, on_empty: skip}
      - {name: L3, targets: ["team:watch"], on_empty: skip}
"""
    leave = {"out_of_office": [{"person": "p0", "from": "2024-01-01T00:00:00+00:00"}]}
    tkt = {"id": "T1", "opened_at": "2023-12-31T20:44:00+00:00", "priority": "P1"}
    decision = evaluate(body, "2024-01-01T00:00:00+00:00", leave, tkt)
    assert "T1:path:desk:1:0:L3:handoff:s:20231231T231500Z" in action_ids(decision)
    assert utc("2024-01-01T07:15:00+00:00") == decision.next_evaluation_at
