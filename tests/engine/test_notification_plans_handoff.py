"""Notification chains across hand-offs: a person who comes on call while a page is
unanswered starts a chain of their own then (not at the page's instant), and the
communication failure describes the attempts that were due, with the same content at every
evaluation once it is due.

The ``hourly`` schedule hands over every hour on the hour (alice, bob, carol in turn); the
ticket opens at 10:50 UTC, ten minutes before a hand-off, so the plan (chat, SMS at +5m,
voice at +10m; the failure 15 minutes after the last attempt) straddles it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import escalate
from escalate.engine.decision import Action, Decision
from tests.policy_helpers import done, plus, policy, ticket, utc

T0 = "2024-11-20T10:50:00+00:00"
PAGE = "T1:path:desk:1:0:L1"
PACK = Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml"

BODY = """
directory:
  people:
    alice: {channels: {chat: "@alice", sms: "+49 1", voice: "+49 2"}}
    bob: {channels: {chat: "@bob", sms: "+49 3", voice: "+49 4"}}
    carol: {channels: {chat: "@carol", sms: "+49 5", voice: "+49 6"}}
schedules:
  hourly:
    timezone: UTC
    layers:
      - name: all
        level: 1
        rotation: {members: [alice, bob, carol], turn: 1h, handoff: "00:00", anchor: 2024-01-01}
channels:
  team-chat: {kind: chat}
  pager-sms: {kind: sms}
  phone: {kind: voice}
notification_plans:
  on-call:
    steps:
      - {channel: team-chat}
      - {channel: pager-sms, after: 5m}
      - {channel: phone, after: 10m}
    escalate_after: 15m
notifications: {default_plan: on-call}
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels: [{name: L1, targets: ["schedule:hourly"]}]
"""


def decide(at: datetime, *events: dict[str, Any]) -> Decision:
    return policy(BODY).evaluate(ticket(T0, *events), now=at)


def attempts(decision: Decision) -> list[Action]:
    return [a for a in decision.actions if a.kind == "notify_attempt"]


def failure(decision: Decision) -> Action | None:
    return next((a for a in decision.actions if a.kind == "open_incident"), None)


def test_who_was_on_call_at_the_page_gets_the_chain_from_the_page() -> None:
    # 10:50: the hour 10:00-11:00 is (10 mod 3 = 1 -> bob's)
    d = decide(utc(plus(T0, minutes=5)))
    assert [(a.id, a.due_at) for a in attempts(d)] == [
        (f"{PAGE}/notify/bob/1", utc("2024-11-20T10:55:00+00:00"))
    ]


def test_who_comes_on_call_later_starts_a_chain_then_with_ids_of_its_own() -> None:
    # 11:00 carol takes over: her chain starts then, not at 10:50 (where it would be at voice)
    d = decide(utc("2024-11-20T11:06:00+00:00"))
    [attempt] = attempts(d)
    assert (attempt.id, attempt.due_at, attempt.details["channel"]) == (
        f"{PAGE}/notify/carol@20241120T110000Z/1",
        utc("2024-11-20T11:05:00+00:00"),
        "pager-sms",
    )
    assert "carol on call since 2024-11-20T11:00:00+00:00" in attempt.notes[0]
    # bob, handed off, is not chased any more
    assert all(a.details["person"] == "carol" for a in attempts(d))


def test_the_failure_describes_the_attempts_that_were_due() -> None:
    # due 10:50 + 10m + 15m = 11:15: bob had chat and SMS before 11:00 (not the voice call,
    # due at the hand-off), carol chat, SMS and voice from 11:00
    d = decide(utc("2024-11-20T11:15:00+00:00"))
    found = failure(d)
    assert found is not None
    assert found.due_at == utc("2024-11-20T11:15:00+00:00")
    assert found.details["people"] == ("bob", "carol")
    assert found.details["attempts"] == 5
    assert found.details["reason"] == (
        "nobody acknowledged 5 attempts to bob, carol over team-chat, pager-sms, phone"
    )


def test_the_failure_keeps_its_content_across_later_hand_offs() -> None:
    first = failure(decide(utc("2024-11-20T11:15:00+00:00")))
    assert first is not None
    for hours in (1, 2, 5, 24 * 7 + 3):
        later = failure(decide(utc("2024-11-20T11:15:00+00:00") + timedelta(hours=hours)))
        assert later is not None
        assert (later.id, later.due_at, later.details) == (first.id, first.due_at, first.details)


def test_the_pack_incoming_duty_manager_starts_at_the_handoff() -> None:
    """The review's case: a P1 at 22:00Z on Wednesday; Friday 17:00 Berlin the duty passes
    from Claudia Neumann to Petra Koch. Petra's chain starts then; the communication failure
    (due Wednesday 22:35Z) names Claudia, who was called, every time it is evaluated."""
    pack = escalate.load(PACK)
    tk: dict[str, Any] = {
        "id": "INC1",
        "opened_at": "2024-11-20T22:00:00Z",
        "priority": "P1",
        "category": "application",
        "service": "patient-portal",
        "assignment_group": "service-desk",
        "events": [{"at": "2024-11-20T22:00:00Z", "type": "created"}],
    }
    page = "INC1:path:after-hours:1:0:duty-manager"
    friday = pack.evaluate(tk, now=utc("2024-11-22T16:00:00+00:00"))
    petra = [a for a in attempts(friday) if a.details["person"] == "petra.koch"]
    assert [(a.id, a.due_at) for a in petra] == [
        (f"{page}/notify/petra.koch@20241122T160000Z/0", utc("2024-11-22T16:00:00+00:00"))
    ]
    reasons = set()
    for at in (
        "2024-11-20T22:35:00+00:00",
        "2024-11-22T16:00:00+00:00",
        "2024-11-29T16:30:00+00:00",
    ):
        found = failure(pack.evaluate(tk, now=utc(at)))
        assert found is not None and found.id == f"{page}/comms-failure"
        reasons.add((found.due_at, found.details["reason"], found.details["people"]))
    assert reasons == {
        (
            utc("2024-11-20T22:35:00+00:00"),
            "nobody acknowledged 3 attempts to claudia.neumann over phone, mail",
            ("claudia.neumann",),
        )
    }


def _walk(until: datetime, *events: dict[str, Any]) -> dict[datetime, Decision]:
    """The decisions a host following ``next_evaluation_at`` from the opening sees."""
    at, seen = utc(T0), {}
    while at <= until:
        d = decide(at, *events)
        seen[at] = d
        if d.next_evaluation_at is None:
            break
        at = d.next_evaluation_at
    return seen


WALK = _walk(utc("2024-11-20T16:00:00+00:00"))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=5 * 60 * 60))
def test_any_instant_agrees_with_the_wake_up_walk(seconds: int) -> None:
    """Differential: an attempt or failure due at an arbitrary instant was emitted, with the
    same id, instant and details, by the evaluation at its own instant, which the wake-ups
    reach; and its instant is no earlier than its person came on call."""
    now = utc(T0) + timedelta(seconds=seconds)
    d = decide(now)
    for action in d.actions:
        if action.kind not in ("notify_attempt", "open_incident"):
            continue
        assert action.due_at in WALK, (action.id, action.due_at)
        there = {a.id: a for a in WALK[action.due_at].actions}
        assert action.id in there
        assert (there[action.id].due_at, there[action.id].details) == (
            action.due_at,
            action.details,
        )
        if action.kind == "notify_attempt":
            # on call then: the hour's member (24 hours a day, so the hour of the day decides)
            on_call = ("alice", "bob", "carol")[action.due_at.hour % 3]
            assert action.details["person"] == on_call


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=5 * 60 * 60), st.integers(min_value=0, max_value=60))
def test_a_recorded_attempt_of_a_handed_over_chain_never_comes_back(
    seconds: int, extra: int
) -> None:
    now = utc(T0) + timedelta(seconds=seconds)
    for attempt in attempts(decide(now)):
        later = decide(now + timedelta(minutes=extra), done(now.isoformat(), attempt.id))
        assert attempt.id not in [a.id for a in later.actions]


def test_a_level_waiting_for_cover_reports_the_first_people_it_reached() -> None:
    """Nobody is on call when the level is entered (on_empty: wait): the chains that count
    for the failure are those of the first person reached, from when they were."""
    body = BODY.replace(
        "anchor: 2024-01-01}",
        'anchor: 2024-01-01}\n        restrictions: [{time: "11:00-23:00"}]',
    ).replace('targets: ["schedule:hourly"]}', 'targets: ["schedule:hourly"], on_empty: wait}')
    assert body != BODY
    before = policy(body).evaluate(ticket(T0), now=utc("2024-11-20T11:20:00+00:00"))
    assert failure(before) is None
    assert utc("2024-11-20T11:25:00+00:00") == before.next_evaluation_at
    found = failure(policy(body).evaluate(ticket(T0), now=utc("2024-11-20T13:00:00+00:00")))
    assert found is not None
    assert (found.due_at, found.details["people"], found.details["attempts"]) == (
        utc("2024-11-20T11:25:00+00:00"),
        ("carol",),
        3,
    )
