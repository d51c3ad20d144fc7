"""At resolution, what was due and never recorded is listed as ``missed`` (never as due); a
retroactive priority change that undoes a breach or a reached rung leaves a ``withdrawn`` mark
(docs/decision-format.md, "Missed actions" and "Withdrawn")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from escalate import Decision, Ticket, Withdrawn, load, loads
from escalate.engine.decision_format import DecisionOutput
from escalate.testing import tickets as et

ROOT = Path(__file__).resolve().parents[2]
PACK = load(ROOT / "rules" / "itil-default.yaml")
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

POLICY = loads(
    """
policy: example
version: 1
clocks:
  resolution:
    stop: {status: [resolved, closed, cancelled]}
    targets:
      P1: {within: 4h}
      P3: {within: 12h}
    ladder:
      - at: 50%
        notify: {to: [assignee], template: half}
      - at: 75%
        escalate: {path: desk, to: L2}
        notify: {to: [assignment-group], template: at-risk}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 1h}
      - {name: L2, targets: ["team:second-line"], after: 1h}
      - {name: L3, targets: ["team:owners"]}
rules:
  - id: working-update
    when: {status: in-progress}
    then: {notify: {to: [assignee], template: keep-the-customer-posted}}
    rationale: the customer hears from us while we work on it
"""
)
OPENED = "2024-03-04T08:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def event(when: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"at": when, "type": kind, **data}


def done(when: str, action_id: str) -> dict[str, Any]:
    return event(when, "action-done", action_id=action_id)


def resolved(when: str) -> dict[str, Any]:
    return event(when, "resolved", status="resolved")


def ticket(*events: dict[str, Any], priority: str = "P1") -> dict[str, Any]:
    return {"id": "INC1", "opened_at": OPENED, "priority": priority, "events": list(events)}


def missed(decision: Decision) -> list[tuple[str, str]]:
    return [(a.id, a.due_at.isoformat()) for a in decision.missed]


# -- missed ------------------------------------------------------------------------------------


def test_the_top_rung_due_when_the_ticket_ended_is_missed_not_due() -> None:
    decision = POLICY.evaluate(
        ticket(resolved("2024-03-04T11:30:00Z")), now=at("2024-03-04T12:00:00Z")
    )
    assert [] == list(decision.actions)
    assert ("INC1:clock:resolution#1@1:notify1", "2024-03-04T11:00:00+00:00") in missed(decision)


def test_an_action_recorded_done_is_not_missed_even_when_recorded_after_the_end() -> None:
    decision = POLICY.evaluate(
        ticket(
            resolved("2024-03-04T11:30:00Z"),
            done("2024-03-04T11:45:00Z", "INC1:clock:resolution#1@1:notify1"),
        ),
        now=at("2024-03-04T12:00:00Z"),
    )
    assert "INC1:clock:resolution#1@1:notify1" not in [a.id for a in decision.missed]


def test_a_rung_superseded_before_the_end_is_not_missed() -> None:
    decision = POLICY.evaluate(
        ticket(resolved("2024-03-04T11:30:00Z")), now=at("2024-03-04T12:00:00Z")
    )
    assert "INC1:clock:resolution#1@0:notify0" not in [a.id for a in decision.missed]


def test_a_rung_its_clock_reaches_after_the_end_is_not_missed() -> None:
    policy = loads(
        """
policy: example
version: 1
clocks:
  resolution:
    stop: {status: closed}
    targets: {default: {within: 4h}}
    ladder:
      - {after: 1h, notify: {to: [assignee]}}
      - {after: 3h, notify: {to: [assignment-group]}}
"""
    )
    decision = policy.evaluate(
        ticket(resolved("2024-03-04T10:00:00Z")), now=at("2024-03-04T12:00:00Z")
    )
    assert [("INC1:clock:resolution#1@0:notify0", "2024-03-04T09:00:00+00:00")] == missed(decision)


def test_the_page_of_the_level_a_path_was_at_is_missed() -> None:
    # L1 for an hour, then L2 at 09:00 (the path's timer), L3 at 10:00; resolved at 10:30
    decision = POLICY.evaluate(
        ticket(resolved("2024-03-04T10:30:00Z")), now=at("2024-03-04T12:00:00Z")
    )
    assert ("INC1:path:desk:1:0:L3", "2024-03-04T10:00:00+00:00") in missed(decision)
    assert "escalate" == next(a.kind for a in decision.missed if a.source == "path:desk")


def test_the_first_level_of_an_on_open_path_pages_nobody_so_is_never_missed() -> None:
    decision = POLICY.evaluate(
        ticket(resolved("2024-03-04T08:30:00Z")), now=at("2024-03-04T12:00:00Z")
    )
    assert [] == [a.id for a in decision.missed if a.source == "path:desk"]


def test_a_rule_that_held_until_the_end_has_its_unrecorded_actions_missed() -> None:
    decision = POLICY.evaluate(
        ticket(
            event("2024-03-04T08:10:00Z", "status-changed", status="in-progress"),
            resolved("2024-03-04T08:20:00Z"),
        ),
        now=at("2024-03-04T08:30:00Z"),
    )
    assert [("INC1:rule:working-update:20240304T081000Z:notify0", "2024-03-04T08:10:00+00:00")] == [
        m for m in missed(decision) if ":rule:" in m[0]
    ]


def test_a_rule_whose_stretch_ended_before_the_end_is_not_missed() -> None:
    decision = POLICY.evaluate(
        ticket(
            event("2024-03-04T08:10:00Z", "status-changed", status="in-progress"),
            event("2024-03-04T08:15:00Z", "status-changed", status="on-hold"),
            resolved("2024-03-04T08:20:00Z"),
        ),
        now=at("2024-03-04T08:30:00Z"),
    )
    assert [] == [m for m in missed(decision) if ":rule:" in m[0]]


def test_an_open_ticket_misses_nothing_and_its_decision_has_no_missed_key() -> None:
    decision = POLICY.evaluate(ticket(), now=at("2024-03-04T12:00:00Z"))
    assert ((), False) == (decision.missed, "missed" in decision.to_dict())


def test_missed_actions_are_in_the_decision_format_and_explained() -> None:
    decision = POLICY.evaluate(
        ticket(resolved("2024-03-04T11:30:00Z")), now=at("2024-03-04T12:00:00Z")
    )
    data = decision.to_dict()
    DecisionOutput.model_validate(data)
    assert [a.to_dict() for a in decision.missed] == data["missed"]
    assert (
        "  - notify [clock:resolution@75%] due 2024-03-04T11:00:00+00:00 "
        "id INC1:clock:resolution#1@1:notify1"
    ) in decision.explain().splitlines()


# -- withdrawn ---------------------------------------------------------------------------------

DOWNGRADED = ticket(
    event("2024-03-04T13:00:00Z", "priority-changed", priority="P3", from_priority="P1"),
    priority="P3",
)


def test_a_downgrade_after_the_breach_leaves_a_withdrawn_mark_for_it() -> None:
    decision = POLICY.evaluate(DOWNGRADED, now=at("2024-03-04T14:00:00Z"))
    assert (
        Withdrawn(
            clock="resolution",
            cycle=1,
            what="breach",
            rung=None,
            reached_at=at("2024-03-04T12:00:00Z"),
            withdrawn_at=at("2024-03-04T13:00:00Z"),
            reached_now_at=at("2024-03-04T20:00:00Z"),
            because="priority changed from P1 to P3",
        )
        in decision.withdrawn
    )


def test_a_downgrade_withdraws_only_the_rungs_it_moves_past_the_change() -> None:
    # P1: 50 % at 10:00, 75 % at 11:00; P3 (12h): 50 % at 14:00, 75 % at 17:00. Both had
    # been reached at 13:00 and P3 reaches both later.
    decision = POLICY.evaluate(DOWNGRADED, now=at("2024-03-04T14:30:00Z"))
    assert [
        ("breach", "2024-03-04T12:00:00+00:00", "2024-03-04T20:00:00+00:00"),
        ("50%", "2024-03-04T10:00:00+00:00", "2024-03-04T14:00:00+00:00"),
        ("75%", "2024-03-04T11:00:00+00:00", "2024-03-04T17:00:00+00:00"),
    ] == [
        (w.what, w.reached_at.isoformat(), (w.reached_now_at or w.reached_at).isoformat())
        for w in decision.withdrawn
    ]


def test_withdrawn_marks_are_in_the_decision_format_and_explained() -> None:
    decision = POLICY.evaluate(DOWNGRADED, now=at("2024-03-04T14:00:00Z"))
    data = decision.to_dict()
    DecisionOutput.model_validate(data)
    assert {
        "clock": "resolution",
        "cycle": 1,
        "what": "breach",
        "rung": None,
        "reached_at": "2024-03-04T12:00:00+00:00",
        "withdrawn_at": "2024-03-04T13:00:00+00:00",
        "reached_now_at": "2024-03-04T20:00:00+00:00",
        "because": "priority changed from P1 to P3",
    } == data["withdrawn"][0]
    assert (
        "withdrawn: clock resolution breach reached 2024-03-04T12:00:00+00:00, undone at "
        "2024-03-04T13:00:00+00:00 (priority changed from P1 to P3); now reached "
        "2024-03-04T20:00:00+00:00"
    ) in decision.explain().splitlines()


def test_an_upgrade_withdraws_nothing() -> None:
    upgraded = ticket(
        event("2024-03-04T09:00:00Z", "priority-changed", priority="P1", from_priority="P3")
    )
    assert () == POLICY.evaluate(upgraded, now=at("2024-03-04T14:00:00Z")).withdrawn


def test_a_downgrade_before_anything_was_reached_withdraws_nothing() -> None:
    early = ticket(
        event("2024-03-04T09:00:00Z", "priority-changed", priority="P3", from_priority="P1"),
        priority="P3",
    )
    assert () == POLICY.evaluate(early, now=at("2024-03-04T14:00:00Z")).withdrawn


def test_a_rung_recorded_done_before_the_downgrade_stays_done_when_reached_again() -> None:
    recorded = ticket(
        done("2024-03-04T11:05:00Z", "INC1:clock:resolution#1@1:notify1"),
        event("2024-03-04T13:00:00Z", "priority-changed", priority="P3", from_priority="P1"),
        priority="P3",
    )
    decision = POLICY.evaluate(recorded, now=at("2024-03-04T17:30:00Z"))
    assert [] == [a.id for a in decision.actions if a.id.startswith("INC1:clock:")]


# -- properties --------------------------------------------------------------------------------


def with_events(ticket: Ticket, *events: dict[str, Any]) -> Ticket:
    data = ticket.to_dict()
    return Ticket.from_mapping({**data, "events": [*data["events"], *events]})


@PROPERTY
@given(case=et.ticket_cases(action_done=False, within=timedelta(days=3)))
def test_missed_actions_are_never_due_and_never_recorded(case: tuple[Ticket, datetime]) -> None:
    ticket, now = case
    decision = PACK.evaluate(ticket, now=now)
    ids = {a.id for a in decision.missed}
    recorded = {e.action_id for e in ticket.events if e.type == "action-done"}
    assert (set(), set()) == (ids & {a.id for a in decision.actions}, ids & recorded)
    if decision.missed:
        assert ticket.state_at(now).status in ("resolved", "closed", "cancelled")


@PROPERTY
@given(case=et.ticket_cases(action_done=False, within=timedelta(days=3)))
def test_recording_every_missed_action_empties_missed(case: tuple[Ticket, datetime]) -> None:
    ticket, now = case
    decision = PACK.evaluate(ticket, now=now)
    recorded = with_events(ticket, *(done(now.isoformat(), a.id) for a in decision.missed))
    assert () == PACK.evaluate(recorded, now=now).missed


@PROPERTY
@given(case=et.ticket_cases(action_done=False, within=timedelta(days=3)))
def test_without_a_priority_change_nothing_is_withdrawn(case: tuple[Ticket, datetime]) -> None:
    ticket, now = case
    if any(e.type == "priority-changed" for e in ticket.events):
        return
    assert () == PACK.evaluate(ticket, now=now).withdrawn


@PROPERTY
@given(case=et.ticket_cases(action_done=False, within=timedelta(days=3)))
def test_every_withdrawn_mark_was_reached_by_its_change_and_is_reached_later_now(
    case: tuple[Ticket, datetime],
) -> None:
    ticket, now = case
    for mark in PACK.evaluate(ticket, now=now).withdrawn:
        assert mark.reached_at <= mark.withdrawn_at <= now
        assert mark.reached_now_at is None or mark.reached_now_at > mark.withdrawn_at


def test_a_p1_resolved_without_records_lists_what_the_pack_had_due() -> None:
    ticket = {
        "id": "INC2",
        "opened_at": "2024-03-04T08:00:00Z",
        "priority": "P1",
        "events": [resolved("2024-03-04T09:00:00Z")],
    }
    decision = PACK.evaluate(ticket, now=datetime(2024, 3, 4, 10, tzinfo=UTC))
    # the customer's hourly update due at 09:00, the response breach at 08:15, the level the
    # path was at, the bridge, customer notice and executive briefing from the opening
    assert [
        ("INC2:audience:customer@0", "2024-03-04T09:00:00+00:00"),
        ("INC2:clock:response#1@0:notify0", "2024-03-04T08:15:00+00:00"),
        ("INC2:path:service-desk:1:0:L2", "2024-03-04T08:30:00+00:00"),
        ("INC2:rule:p1-bridge:20240304T080000Z:open_bridge0", "2024-03-04T08:00:00+00:00"),
        ("INC2:rule:p1-customer-notice:20240304T080000Z:notify0", "2024-03-04T08:00:00+00:00"),
        ("INC2:rule:p1-customer-notice:20240304T080000Z:notify1", "2024-03-04T08:00:00+00:00"),
    ] == sorted(missed(decision))
