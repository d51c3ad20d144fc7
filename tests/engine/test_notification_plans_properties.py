"""Properties of notification chains over random histories and instants: attempts never
follow an acknowledgement, ids are stable, recorded attempts never come back, and nothing
changes between an evaluation and its ``next_evaluation_at``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.engine.decision import Decision
from tests.policy_helpers import done, event, plus, policy, ticket, utc

T0 = "2024-11-22T20:00:00+00:00"  # a Friday evening: carol's weekend quiet hours are near

BODY = """
directory:
  people:
    alice: {channels: {chat: "@alice", sms: "+49 1", voice: "+49 2"}}
    carol:
      timezone: Europe/Berlin
      channels: {chat: "@carol", sms: "+49 3"}
      quiet_hours: [{time: "22:00-07:00"}, {days: sat-sun}]
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
notifications: {default_plan: on-call, urgent_priorities: [P1], urgent_overrides_quiet_hours: true}
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels: [{name: L1, targets: [person:alice, person:carol]}]
"""

minutes = st.integers(min_value=0, max_value=3 * 24 * 60)
PAGE = "T1:path:desk:1:0:L1"
RECORDABLE = [
    *(f"{PAGE}/notify/alice/{step}" for step in range(3)),
    *(f"{PAGE}/notify/carol/{step}" for step in range(2)),
    f"{PAGE}/comms-failure",
    PAGE,
]


def decide(now_min: int, history: list[dict[str, Any]], priority: str) -> Decision:
    events = sorted(history, key=lambda e: utc(e["at"]))
    return policy(BODY).evaluate(
        ticket(T0, *events, priority=priority), now=utc(plus(T0, minutes=now_min))
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, list[dict[str, Any]], str]:
    now_min = draw(minutes)
    priority = draw(st.sampled_from(["P1", "P2"]))
    history: list[dict[str, Any]] = []
    if draw(st.booleans()):
        ack = draw(st.integers(min_value=0, max_value=now_min))
        history.append(event(plus(T0, minutes=ack), "acknowledged"))
    # a host records attempts (even ahead of their instant) and the incident
    for action_id in draw(st.lists(st.sampled_from(RECORDABLE), unique=True, max_size=4)):
        at = draw(st.integers(min_value=0, max_value=now_min))
        history.append(done(plus(T0, minutes=at), action_id))
    return now_min, history, priority


@settings(max_examples=60, deadline=None)
@given(histories())
def test_no_attempt_or_incident_once_acknowledged(case: tuple[int, list[Any], str]) -> None:
    now_min, history, priority = case
    d = decide(now_min, history, priority)
    if any(e["type"] == "acknowledged" for e in history):
        assert [a.kind for a in d.actions if a.kind != "escalate"] == []


@settings(max_examples=60, deadline=None)
@given(histories())
def test_nothing_changes_before_the_next_evaluation(case: tuple[int, list[Any], str]) -> None:
    now_min, history, priority = case
    d = decide(now_min, history, priority)
    nxt = d.next_evaluation_at
    later = d.evaluated_at + timedelta(days=10) if nxt is None else nxt - timedelta(microseconds=1)
    history = sorted(history, key=lambda e: utc(e["at"]))
    e = policy(BODY).evaluate(ticket(T0, *history, priority=priority), now=later)
    same = [(a.id, a.due_at, a.notes, tuple(a.details.items())) for a in d.actions]
    assert same == [(a.id, a.due_at, a.notes, tuple(a.details.items())) for a in e.actions]
    if nxt is not None:
        at = policy(BODY).evaluate(ticket(T0, *history, priority=priority), now=nxt)
        assert [a.id for a in at.actions] != [a.id for a in d.actions]


@settings(max_examples=60, deadline=None)
@given(minutes, st.sampled_from(["P1", "P2"]), st.data())
def test_a_recorded_attempt_never_comes_back(now_min: int, priority: str, data: Any) -> None:
    d = decide(now_min, [], priority)
    attempts = [a for a in d.actions if a.kind == "notify_attempt"]
    if not attempts:
        return
    chosen = data.draw(st.sampled_from(attempts))
    after = data.draw(st.integers(min_value=now_min, max_value=now_min + 600))
    recorded = [done(plus(T0, minutes=now_min), chosen.id)]
    e = decide(after, recorded, priority)
    assert chosen.id not in [a.id for a in e.actions]
    # an attempt's id is its parent's, the person and the step: nothing of the instant
    for a in e.actions:
        if a.kind == "notify_attempt":
            parent, person, step = a.details["parent"], a.details["person"], a.details["step"]
            assert a.id == f"{parent}/notify/{person}/{step}"


@settings(max_examples=40, deadline=None)
@given(minutes, st.sampled_from(["P1", "P2"]))
def test_the_same_inputs_give_the_same_bytes(now_min: int, priority: str) -> None:
    assert decide(now_min, [], priority).to_json() == decide(now_min, [], priority).to_json()
