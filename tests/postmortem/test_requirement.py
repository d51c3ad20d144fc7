"""When a ticket has a post-mortem: a require_postmortem action due, done or missed; none
without one, and nothing new for a policy without the section; and it outlives the ticket."""

from __future__ import annotations

from typing import Any

from escalate import Ticket, loads
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
# Item fix-dns recorded Friday 13:00 UTC is due then (tests/postmortem/test_items.py).
DUE = "2024-10-29T14:00:00Z"


def test_a_ticket_no_require_postmortem_action_reached_has_no_post_mortem() -> None:
    data = {"id": "T1", "opened_at": "2024-10-25T10:00:00Z"}
    decision = POLICY.evaluate(data, now=at("2024-10-28T10:00:00Z"))
    assert (decision.postmortem, "postmortem" in decision.to_dict()) == (None, False)


def test_events_before_any_requirement_are_kept_but_follow_up_nothing() -> None:
    data = {
        "id": "T1",
        "opened_at": "2024-10-25T10:00:00Z",
        "events": [item("2024-10-25T13:00:00Z", "fix-dns")],
    }
    decision = POLICY.evaluate(data, now=at(DUE))
    assert (decision.postmortem, decision.actions, decision.next_evaluation_at) == (None, (), None)


def test_a_require_postmortem_action_still_due_starts_the_follow_up() -> None:
    decision = POLICY.evaluate(ticket(recorded=False), now=at("2024-10-25T12:00:00Z"))
    assert decision.postmortem is not None
    assert (decision.postmortem.required_by, decision.postmortem.due_by) == (
        REQUIRED_BY,
        at("2024-10-30T11:00:00Z"),
    )
    [action] = decision.actions
    assert (action.id, dict(action.details)) == (
        REQUIRED_BY,
        {"within": "5d", "owner": "role:problem-manager", "due_by": "2024-10-30T11:00:00+00:00"},
    )


def test_a_require_postmortem_action_recorded_done_is_read_back_from_its_id() -> None:
    recorded = POLICY.evaluate(ticket(), now=at("2024-10-28T12:00:00Z")).postmortem
    due = POLICY.evaluate(ticket(recorded=False), now=at("2024-10-28T12:00:00Z")).postmortem
    assert recorded is not None and due is not None
    assert recorded.to_dict() == due.to_dict()


def test_a_closed_ticket_still_escalates_its_overdue_items() -> None:
    decision = POLICY.evaluate(
        ticket(item("2024-10-25T13:00:00Z", "fix-dns"), closed=True), now=at(DUE)
    )
    assert "T1:postmortem:fix-dns#1@0:notify0" in [a.id for a in decision.actions]
    assert at("2024-10-30T11:00:00Z") == decision.next_evaluation_at
    assert () == decision.missed  # follow-up actions are due, never missed


CLOCKED = """\
policy: pm-clock
version: "1"
clocks:
  resolution:
    start: {event: created}
    stop: {category: [resolved, closed]}
    targets: {default: {within: 1h}}
    ladder:
      - {at: 100%, require_postmortem: {within: 2d}}
postmortem: {}
"""


def clocked(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "T1",
        "opened_at": "2024-10-25T10:00:00Z",
        "events": [
            {"at": "2024-10-25T10:00:00Z", "type": "created"},
            *events,
            {"at": "2024-10-25T12:00:00Z", "type": "resolved"},
        ],
    }


def test_a_clock_rung_s_require_postmortem_recorded_done_dates_from_the_rung() -> None:
    rung = "T1:clock:resolution#1@0:require_postmortem0"
    found = (
        loads(CLOCKED)
        .evaluate(clocked(done("2024-10-25T11:30:00Z", rung)), now=at("2024-10-26T00:00:00Z"))
        .postmortem
    )
    assert found is not None
    assert (found.required_at, found.required_by, found.due_by) == (
        at("2024-10-25T11:00:00Z"),
        rung,
        at("2024-10-27T11:00:00Z"),
    )


def test_a_clock_rung_s_require_postmortem_missed_when_the_ticket_ended_still_counts() -> None:
    decision = loads(CLOCKED).evaluate(clocked(), now=at("2024-10-26T00:00:00Z"))
    assert ["T1:clock:resolution#1@0:require_postmortem0"] == [a.id for a in decision.missed]
    assert decision.postmortem is not None
    assert at("2024-10-27T11:00:00Z") == decision.postmortem.due_by


def test_an_action_done_id_of_another_policy_version_is_not_a_requirement() -> None:
    data = {
        "id": "T1",
        "opened_at": "2024-10-25T10:00:00Z",
        "events": [
            done("2024-10-25T11:00:00Z", "T1:rule:gone:20241025T110000Z:require_postmortem0")
        ],
    }
    assert POLICY.evaluate(data, now=at("2024-10-26T00:00:00Z")).postmortem is None


def test_the_earliest_requirement_is_the_post_mortem() -> None:
    later = """\
  - id: pm-again
    when: {status_category: closed}
    then: {require_postmortem: {within: 1d}}
"""
    found = policy(rules=later).evaluate(ticket(closed=True), now=at("2024-10-26T00:00:00Z"))
    assert found.postmortem is not None
    assert (found.postmortem.required_at, found.postmortem.required_by) == (
        at(REQUIRED),
        REQUIRED_BY,
    )


def test_a_policy_without_the_section_decides_as_before_and_ignores_post_mortem_events() -> None:
    plain = loads(BASE)
    events = (item("2024-10-25T13:00:00Z", "fix-dns"), pm("2024-10-25T14:00:00Z", "published"))
    with_events = plain.evaluate(ticket(*events), now=at(DUE)).to_dict()
    without = plain.evaluate(ticket(), now=at(DUE)).to_dict()
    assert "postmortem" not in with_events
    for key in ("input_digest",):
        del with_events[key], without[key]
    assert without == with_events


def test_an_empty_section_follows_up_without_due_dates_for_items() -> None:
    found = loads(BASE + "postmortem: {}\n").evaluate(
        ticket(item("2024-10-25T13:00:00Z", "fix-dns")), now=at("2024-11-30T00:00:00Z")
    )
    assert found.postmortem is not None
    fix = found.postmortem.item("fix-dns")
    assert (fix.due_at, fix.target, fix.percent, fix.status) == (None, None, None, "open")
    assert found.postmortem.status == "overdue"  # the document still has its due date


def test_segments_carry_the_section() -> None:
    text = BASE + SECTION + "segments:\n  - {id: uk, when: {region: uk}, precedence: 1}\n"
    data = ticket(item("2024-10-25T13:00:00Z", "fix-dns"))
    data["region"] = "uk"
    decision = loads(text).evaluate(data, now=at(DUE))
    assert ("uk", "T1:postmortem:fix-dns#1@0:notify0") == (decision.segment, decision.actions[0].id)


def test_a_replay_following_the_wake_ups_decides_as_evaluate_does() -> None:
    # The caller's loop: decide at each update and at each wake-up; every decision is the one
    # evaluate gives on the history known then, past the ticket's closing.
    data = ticket(item("2024-10-25T13:00:00Z", "fix-dns"), closed=True)
    events, full = data["events"], Ticket.from_mapping(data)
    replay = POLICY.replay({**data, "events": events[:1]})
    decision = replay.decide(full.events[0].at)
    known, wakes = 1, 0
    while known < len(events) or decision.next_evaluation_at is not None:
        wake = decision.next_evaluation_at
        arrives = full.events[known].at if known < len(events) else None
        if arrives is not None and (wake is None or arrives <= wake):
            batch = [e for e in full.events[known:] if e.at == arrives]
            known += len(batch)
            decision = replay.update(events=batch, now=arrives)
        else:
            assert wake is not None
            decision, wakes = replay.decide(wake), wakes + 1
        expected = POLICY.evaluate({**data, "events": events[:known]}, now=decision.evaluated_at)
        assert expected.to_json() == decision.to_json()
    # after the closing: the item's due, 150 %, the document's due
    assert (3, ()) == (wakes, decision.missed)
