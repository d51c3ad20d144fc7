"""Update cadence: an audience with a cadence for the ticket's priority is due an update at its
last update (or the cycle's start) plus the cadence; the instant is a wake-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from escalate import Event, Ticket, loads
from tests.comms.helpers import comms_policy, p1_ticket

OPEN = datetime(2024, 11, 20, 10, tzinfo=UTC)


def _decide(at: datetime, **changes: Any) -> Any:
    policy = comms_policy()
    return policy.evaluate(p1_ticket(**changes), now=at)


def _updates(decision: Any) -> list[str]:
    return [a.id for a in decision.actions if a.source == "audience:customer"]


def test_before_the_cadence_elapses_no_update_is_due_and_its_instant_is_a_wake_up() -> None:
    decision = _decide(OPEN + timedelta(minutes=30))
    assert [] == _updates(decision)
    assert decision.next_evaluation_at is not None
    assert decision.next_evaluation_at <= OPEN + timedelta(hours=1)
    (state,) = decision.communications
    assert ("customer", OPEN, OPEN + timedelta(hours=1), False, 0) == (
        state.audience,
        state.last_update_at,
        state.due_at,
        state.overdue,
        state.updates,
    )


def test_at_the_cadence_the_first_update_is_due_with_a_stable_id() -> None:
    decision = _decide(OPEN + timedelta(hours=1))
    (update,) = [a for a in decision.actions if a.source == "audience:customer"]
    assert ("INC1:audience:customer@0", "notify", OPEN + timedelta(hours=1), False) == (
        update.id,
        update.kind,
        update.due_at,
        update.late,
    )
    assert {"audience": "customer", "channel": "email", "template": "customer-update"} == dict(
        update.details
    )
    assert decision.communications[0].overdue


def test_a_wake_up_at_the_due_instant_changes_the_decision() -> None:
    due = OPEN + timedelta(hours=1)
    before = _decide(due - timedelta(microseconds=1))
    after = _decide(due)
    assert [] == _updates(before) and ["INC1:audience:customer@0"] == _updates(after)


def test_an_update_recorded_done_moves_the_last_update_and_the_next_id() -> None:
    done = {
        "at": "2024-11-20T11:10:00Z",
        "type": "action-done",
        "action_id": "INC1:audience:customer@0",
    }
    events = [*p1_ticket()["events"], done]
    decision = _decide(OPEN + timedelta(hours=2), events=events)
    (state,) = decision.communications
    assert (1, datetime(2024, 11, 20, 11, 10, tzinfo=UTC), "INC1:audience:customer@1") == (
        state.updates,
        state.last_update_at,
        state.action_id,
    )
    assert state.due_at == datetime(2024, 11, 20, 12, 10, tzinfo=UTC)
    assert [] == _updates(decision)


def test_the_cadence_follows_the_current_priority() -> None:
    decision = _decide(OPEN + timedelta(hours=2), priority="P2")
    assert OPEN + timedelta(hours=4) == decision.communications[0].due_at
    assert [] == _updates(decision)


def test_a_priority_without_a_cadence_lists_no_audience_but_keeps_the_key() -> None:
    decision = _decide(OPEN + timedelta(hours=2), priority="P3")
    assert () == decision.communications
    assert [] == decision.to_dict()["communications"]


def test_an_ended_ticket_owes_no_update_and_lists_a_missed_one() -> None:
    ended = {"at": "2024-11-20T11:30:00Z", "type": "resolved"}
    decision = _decide(OPEN + timedelta(hours=3), events=[*p1_ticket()["events"], ended])
    assert [] == _updates(decision)
    assert decision.communications[0].due_at is None
    assert ["INC1:audience:customer@0"] == [
        a.id for a in decision.missed if a.source == "audience:customer"
    ]


def test_an_ended_ticket_before_the_due_instant_misses_nothing() -> None:
    ended = {"at": "2024-11-20T10:30:00Z", "type": "resolved"}
    decision = _decide(OPEN + timedelta(hours=3), events=[*p1_ticket()["events"], ended])
    assert [] == [a.id for a in decision.missed if a.source == "audience:customer"]


def test_a_policy_without_cadences_decides_without_the_key() -> None:
    policy = loads("policy: p\nversion: 1\nrules: []\n")
    decision = policy.evaluate(p1_ticket(fields={}), now=OPEN + timedelta(hours=3))
    assert decision.communications is None
    assert "communications" not in decision.to_dict()
    assert "audience" not in decision.explain()


def test_explain_says_where_each_audience_stands() -> None:
    text = _decide(OPEN + timedelta(hours=1)).explain()
    assert (
        "audience customer: every 1h, 0 update(s) done, last 2024-11-20T10:00:00+00:00; "
        "OVERDUE since 2024-11-20T11:00:00+00:00"
    ) in text


def test_the_incremental_replay_gives_the_same_communications() -> None:
    policy = comms_policy()
    ticket = Ticket.from_mapping(p1_ticket())
    replay = policy.replay(ticket)
    for hours in (0.5, 1, 1.5):
        at = OPEN + timedelta(hours=hours)
        assert policy.evaluate(ticket, now=at).to_json() == replay.decide(at).to_json()
    done = Event(
        0,
        OPEN + timedelta(hours=1, minutes=40),
        "action-done",
        action_id="INC1:audience:customer@0",
    )
    replay.update(events=[done], now=OPEN + timedelta(hours=2))
    whole = policy.evaluate(ticket.with_events([done]), now=OPEN + timedelta(hours=2))
    assert replay.decision is not None
    assert whole.to_json() == replay.decision.to_json()
    assert 1 == whole.communications[0].updates
