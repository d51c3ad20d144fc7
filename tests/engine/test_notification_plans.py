"""Notification plans: pages delivered as chains of channel attempts, stopped by an
acknowledgement, deferred by quiet hours, and reported when nobody answers.

The ticket opens at 10:00 UTC on Wednesday 2024-11-20 and its first level is paged at once
(``page_first_level``). The ``on-call`` plan is chat at the start, SMS 5 minutes later and a
voice call 10 minutes after the start; 15 minutes after the last attempt with no
acknowledgement, an ``open_incident`` action reports the communication failure.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from escalate import Event
from escalate.engine.decision import Action, Decision
from tests.policy_helpers import done, event, plus, policy, ticket, utc

T0 = "2024-11-20T10:00:00+00:00"
PAGE = "T1:path:desk:1:0:L1"

PEOPLE = """
directory:
  people:
    alice: {channels: {chat: "@alice", sms: "+49 1", voice: "+49 2"}, backup: bob}
    bob: {channels: {chat: "@bob", email: bob@example.com}}
    carol:
      timezone: Europe/Berlin
      channels: {chat: "@carol", sms: "+49 3", phone: "+49 4"}
      quiet_hours: [{time: "22:00-07:00"}, {days: sat-sun}]
    dave: {channels: {chat: "@dave", email: dave@example.com}, notification_plan: mail-only}
"""

PLANS = """
channels:
  team-chat: {kind: chat}
  pager-sms: {kind: sms}
  phone: {kind: voice}
  mail: {kind: email}
notification_plans:
  on-call:
    steps:
      - {channel: team-chat}
      - {channel: pager-sms, after: 5m}
      - {channel: phone, after: 10m}
    escalate_after: 15m
  mail-only:
    steps: [{channel: mail}]
"""


def desk(targets: str, extra: str = "", level_plan: str = "") -> str:
    plan = f", notification_plan: {level_plan}" if level_plan else ""
    return f"""
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels:
      - {{name: L1, targets: [{targets}], after: 1h{plan}}}
      - {{name: L2, targets: [person:bob]}}
{extra}"""


def decide(body: str, at: str, *events: dict[str, Any], **fields: Any) -> Decision:
    return policy(body).evaluate(ticket(T0, *events, **fields), now=utc(at))


def attempts(decision: Decision) -> list[Action]:
    return [a for a in decision.actions if a.kind == "notify_attempt"]


def summary(decision: Decision) -> list[tuple[str, str, str]]:
    """(person, channel, due instant) of each attempt."""
    return [
        (a.details["person"], a.details["channel"], a.due_at.isoformat())
        for a in attempts(decision)
    ]


ALICE = PEOPLE + PLANS + "notifications: {default_plan: on-call}\n" + desk("person:alice")


# -- the chain ------------------------------------------------------------------------------


def test_the_first_step_is_due_with_the_page_and_the_second_is_the_next_evaluation() -> None:
    d = decide(ALICE, T0)
    assert [(a.kind, a.id) for a in d.actions] == [
        ("escalate", PAGE),
        ("notify_attempt", f"{PAGE}/notify/alice/0"),
    ]
    attempt = attempts(d)[0]
    assert dict(attempt.details) == {
        "channel": "team-chat",
        "channel_kind": "chat",
        "address": "@alice",
        "step": 0,
        "person": "alice",
        "parent": PAGE,
        "plan": "on-call",
    }
    assert (attempt.people, attempt.targets, attempt.source) == (
        ("alice",),
        ("person:alice",),
        "path:desk",
    )
    assert d.next_evaluation_at == utc(plus(T0, minutes=5))


def test_delays_count_from_the_start_of_the_chain_not_from_the_step_before() -> None:
    assert summary(decide(ALICE, plus(T0, minutes=5))) == [
        ("alice", "pager-sms", "2024-11-20T10:05:00+00:00")
    ]
    assert summary(decide(ALICE, plus(T0, minutes=10))) == [
        ("alice", "phone", "2024-11-20T10:10:00+00:00")
    ]


def test_a_later_step_supersedes_an_earlier_one_not_recorded_done() -> None:
    d = decide(ALICE, plus(T0, minutes=12))
    [attempt] = attempts(d)
    assert (attempt.id, attempt.late) == (f"{PAGE}/notify/alice/2", True)


def test_an_attempt_recorded_done_is_not_emitted_again() -> None:
    d = decide(ALICE, plus(T0, minutes=6), done(plus(T0, minutes=5), f"{PAGE}/notify/alice/1"))
    assert attempts(d) == []
    assert d.next_evaluation_at == utc(plus(T0, minutes=10))


def test_a_step_recorded_ahead_of_its_instant_is_no_wake_up() -> None:
    d = decide(
        ALICE,
        plus(T0, minutes=1),
        done(T0, f"{PAGE}/notify/alice/0"),
        done(plus(T0, minutes=1), f"{PAGE}/notify/alice/1"),
    )
    assert attempts(d) == []
    assert d.next_evaluation_at == utc(plus(T0, minutes=10))


def test_the_chain_runs_on_after_the_page_itself_is_recorded_done() -> None:
    d = decide(ALICE, plus(T0, minutes=5), done(T0, PAGE))
    assert [a.id for a in d.actions] == [f"{PAGE}/notify/alice/1"]


def test_attempt_ids_do_not_depend_on_the_evaluation_instant() -> None:
    ids = {a.id for m in range(5) for a in attempts(decide(ALICE, plus(T0, minutes=m)))}
    assert ids == {f"{PAGE}/notify/alice/0"}


# -- acknowledgement and the end of the ticket ------------------------------------------------


def test_an_acknowledgement_stops_the_chain() -> None:
    d = decide(ALICE, plus(T0, minutes=7), event(plus(T0, minutes=6), "acknowledged"))
    assert attempts(d) == []
    assert all(a.kind != "open_incident" for a in d.actions)
    # only the path's own timer remains
    assert d.next_evaluation_at is None


def test_an_acknowledgement_of_another_path_does_not_stop_the_chain() -> None:
    body = (
        ALICE
        + """
  other:
    kind: horizontal
    levels: [{name: x, targets: [person:bob]}]
"""
    )
    d = decide(body, plus(T0, minutes=7), event(plus(T0, minutes=6), "acknowledged", path="other"))
    assert summary(d) == [("alice", "pager-sms", "2024-11-20T10:05:00+00:00")]


def test_a_resolved_ticket_gets_no_attempts() -> None:
    d = decide(
        ALICE, plus(T0, minutes=7), event(plus(T0, minutes=6), "resolved", status="resolved")
    )
    assert attempts(d) == []


def test_the_next_level_starts_its_own_chain() -> None:
    d = decide(ALICE, plus(T0, hours=1))
    assert [a.id for a in attempts(d)] == ["T1:path:desk:1:0:L2/notify/bob/0"]


# -- communication failure --------------------------------------------------------------------


def test_nobody_acknowledging_opens_an_incident_linked_to_the_ticket() -> None:
    before = decide(ALICE, plus(T0, minutes=24))
    assert before.next_evaluation_at == utc(plus(T0, minutes=25))
    assert all(a.kind != "open_incident" for a in before.actions)
    d = decide(ALICE, plus(T0, minutes=25))
    [failure] = [a for a in d.actions if a.kind == "open_incident"]
    assert failure.id == f"{PAGE}/comms-failure"
    assert failure.due_at == utc(plus(T0, minutes=25))
    assert failure.details["linked_to"] == "T1"
    assert failure.details["parent"] == PAGE
    assert failure.details["reason"] == (
        "nobody acknowledged 3 attempts to alice over team-chat, pager-sms, phone"
    )
    assert failure.details["priority"] == "P1"


def test_a_recorded_incident_is_not_opened_again() -> None:
    d = decide(ALICE, plus(T0, minutes=30), done(plus(T0, minutes=26), f"{PAGE}/comms-failure"))
    assert all(a.kind != "open_incident" for a in d.actions)


def test_a_late_acknowledgement_still_answers_the_chain() -> None:
    d = decide(ALICE, plus(T0, minutes=40), event(plus(T0, minutes=30), "acknowledged"))
    assert [a.kind for a in d.actions] == ["escalate"]


def test_a_plan_without_escalate_after_reports_nothing() -> None:
    body = PEOPLE + PLANS + desk("person:dave")
    d = decide(body, plus(T0, minutes=50))
    assert [a.kind for a in d.actions] == ["escalate", "notify_attempt"]


# -- addresses --------------------------------------------------------------------------------


def test_a_step_without_an_address_is_skipped_with_a_note_on_the_page() -> None:
    body = PEOPLE + PLANS + "notifications: {default_plan: on-call}\n" + desk("person:bob")
    d = decide(body, plus(T0, minutes=12))
    page = d.actions[0]
    assert page.notes == (
        "bob has no sms address: step 2 (pager-sms) of plan on-call skipped",
        "bob has no voice address: step 3 (phone) of plan on-call skipped",
    )
    assert summary(d) == [("bob", "team-chat", "2024-11-20T10:00:00+00:00")]


def test_voice_reads_the_phone_entry_when_there_is_no_voice_entry() -> None:
    body = PEOPLE + PLANS + "notifications: {default_plan: on-call}\n" + desk("person:carol")
    [attempt] = attempts(decide(body, plus(T0, minutes=10)))  # 11:10 in Berlin: not quiet
    assert (attempt.details["channel_kind"], attempt.details["address"]) == ("voice", "+49 4")


def test_address_from_names_the_entries_to_read() -> None:
    body = (
        PEOPLE
        + PLANS.replace("mail: {kind: email}", "mail: {kind: email, address_from: [chat]}")
        + desk("person:dave")
    )
    [attempt] = attempts(decide(body, T0))
    assert attempt.details["address"] == "@dave"


def test_a_fixed_address_reaches_everyone() -> None:
    body = (
        PEOPLE
        + PLANS.replace(
            "mail: {kind: email}", "mail: {kind: webhook, address: 'https://hooks.example/x'}"
        )
        + desk("person:dave")
    )
    [attempt] = attempts(decide(body, T0))
    assert attempt.details["address"] == "https://hooks.example/x"


# -- which plan -------------------------------------------------------------------------------


def test_the_level_plan_beats_the_person_plan_and_the_default() -> None:
    body = (
        PEOPLE
        + PLANS
        + "notifications: {default_plan: mail-only}\n"
        + desk("person:dave", level_plan="on-call")
    )
    assert summary(decide(body, plus(T0, minutes=5))) == [
        ("dave", "team-chat", "2024-11-20T10:00:00+00:00")
    ]


def test_the_person_plan_beats_the_default() -> None:
    body = PEOPLE + PLANS + "notifications: {default_plan: on-call}\n" + desk("person:dave")
    assert summary(decide(body, T0)) == [("dave", "mail", "2024-11-20T10:00:00+00:00")]


def test_without_any_plan_for_a_person_the_page_is_one_action() -> None:
    body = PEOPLE + PLANS + desk("person:alice")
    d = decide(body, T0)
    assert [a.kind for a in d.actions] == ["escalate"]
    assert d.next_evaluation_at == utc(plus(T0, hours=1))


def test_a_notify_naming_a_plan_chains_and_others_do_not() -> None:
    body = (
        PEOPLE
        + PLANS
        + """
rules:
  - id: tell
    when: {priority: P1}
    then:
      - notify: {to: [person:alice], channel: chat, plan: on-call}
      - notify: {to: [person:bob], channel: email}
"""
    )
    d = decide(body, plus(T0, minutes=5))
    rule_notify = "T1:rule:tell:20241120T100000Z:notify0"
    assert [a.id for a in d.actions] == [
        rule_notify,
        "T1:rule:tell:20241120T100000Z:notify1",
        f"{rule_notify}/notify/alice/1",
    ]
    assert "plan" not in d.actions[1].details


def test_plan_true_reads_each_persons_own_plan() -> None:
    body = (
        PEOPLE
        + PLANS
        + """
rules:
  - id: tell
    when: {priority: P1}
    then: {notify: {to: [person:dave, person:alice], plan: true}}
"""
    )
    # alice has no plan and there is no default: only dave's chain
    assert summary(decide(body, T0)) == [("dave", "mail", "2024-11-20T10:00:00+00:00")]


def test_a_rung_notify_with_a_plan_chains_until_acknowledged() -> None:
    body = (
        PEOPLE
        + PLANS
        + """
clocks:
  response:
    stop: {event: first-response}
    targets: {P1: {within: 20m}}
    ladder:
      - at: 50%
        notify: {to: [person:alice], plan: on-call}
"""
    )
    rung = "T1:clock:response#1@0:notify0"
    d = decide(body, plus(T0, minutes=15), done(plus(T0, minutes=10), rung))
    assert [a.id for a in d.actions] == [f"{rung}/notify/alice/1"]
    acked = decide(
        body,
        plus(T0, minutes=16),
        done(plus(T0, minutes=10), rung),
        event(plus(T0, minutes=16), "acknowledged"),
    )
    assert attempts(acked) == []


def test_the_page_to_an_unanswered_levels_backups_has_its_own_chain() -> None:
    body = (
        PEOPLE
        + PLANS
        + "notifications: {default_plan: on-call}\n"
        + """
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels:
      - {name: L1, targets: [person:alice], after: 1h, ack_within: 30m}
      - {name: L2, targets: [person:dave]}
"""
    )
    d = decide(body, plus(T0, minutes=30))
    assert f"{PAGE}:unacknowledged/notify/bob/0" in [a.id for a in d.actions]


# -- quiet hours ------------------------------------------------------------------------------

CAROL = (
    PEOPLE
    + PLANS
    + "notifications: {default_plan: on-call}\n"
    + """
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels: [{name: L1, targets: [person:carol]}]
"""
)
NIGHT = "2024-11-20T22:30:00+00:00"  # 23:30 in Berlin, a Wednesday


def test_an_attempt_in_quiet_hours_waits_for_their_end_and_later_steps_keep_their_gaps() -> None:
    d = policy(CAROL).evaluate(ticket(NIGHT, priority="P2"), now=utc(NIGHT))
    page = "T1:path:desk:1:0:L1"
    assert [a.id for a in d.actions] == [page]
    # 07:00 Berlin is 06:00 UTC
    assert d.next_evaluation_at == utc("2024-11-21T06:00:00+00:00")
    morning = policy(CAROL).evaluate(
        ticket(NIGHT, priority="P2"), now=utc("2024-11-21T06:05:00+00:00")
    )
    [attempt] = attempts(morning)
    assert (attempt.details["channel"], attempt.due_at) == (
        "pager-sms",
        utc("2024-11-21T06:05:00+00:00"),
    )
    first = policy(CAROL).evaluate(ticket(NIGHT, priority="P2"), now=utc("2024-11-21T06:00:00Z"))
    assert attempts(first)[0].notes == (
        "deferred from 2024-11-20T22:30:00+00:00: carol's quiet hours until "
        "2024-11-21T06:00:00+00:00",
    )


def test_a_weekend_quiet_period_defers_to_monday_morning() -> None:
    saturday = "2024-11-23T10:00:00+00:00"
    d = policy(CAROL).evaluate(ticket(saturday, priority="P2"), now=utc(saturday))
    assert d.next_evaluation_at == utc("2024-11-25T06:00:00+00:00")


def test_quiet_hours_do_not_defer_when_urgency_overrides_them() -> None:
    body = CAROL.replace(
        "notifications: {default_plan: on-call}",
        "notifications: {default_plan: on-call, urgent_priorities: [P1], "
        "urgent_overrides_quiet_hours: true}",
    )
    d = policy(body).evaluate(ticket(NIGHT, priority="P1"), now=utc(NIGHT))
    [attempt] = attempts(d)
    assert attempt.due_at == utc(NIGHT)
    assert attempt.notes == (
        "in carol's quiet hours at 2024-11-20T22:30:00+00:00; urgent priority overrides",
    )
    p2 = policy(body).evaluate(ticket(NIGHT, priority="P2"), now=utc(NIGHT))
    assert attempts(p2) == []


def test_urgency_without_the_override_still_waits() -> None:
    body = CAROL.replace(
        "notifications: {default_plan: on-call}",
        "notifications: {default_plan: on-call, urgent_priorities: [P1]}",
    )
    d = policy(body).evaluate(ticket(NIGHT, priority="P1"), now=utc(NIGHT))
    assert attempts(d) == []


def test_a_deferred_chain_reports_its_failure_from_the_deferred_last_attempt() -> None:
    d = policy(CAROL).evaluate(ticket(NIGHT, priority="P2"), now=utc("2024-11-21T06:24:59+00:00"))
    assert d.next_evaluation_at == utc("2024-11-21T06:25:00+00:00")


# -- explanation and output -------------------------------------------------------------------


def test_explain_and_to_dict_show_attempts_like_other_actions() -> None:
    d = decide(ALICE, plus(T0, minutes=25))
    text = d.explain()
    assert "notify_attempt -> person:alice (via phone, to +49 2) [path:desk]" in text
    assert "step 3 of 3 of plan on-call (phone, +10m)" in text
    assert "open_incident [path:desk]" in text
    kinds = [a["kind"] for a in d.to_dict()["actions"]]
    assert kinds == ["escalate", "notify_attempt", "open_incident"]


# -- a policy without plans -------------------------------------------------------------------


def test_channels_without_plans_change_no_decision() -> None:
    plain = PEOPLE.replace("notification_plan: mail-only", "") + desk("person:alice")
    with_channels = plain + "channels: {team-chat: {kind: chat}}\n"
    assert policy(with_channels).notifications is None
    for minutes in (0, 5, 30, 61):
        at = plus(T0, minutes=minutes)
        a = policy(plain).evaluate(ticket(T0), now=utc(at)).to_dict()
        b = policy(with_channels).evaluate(ticket(T0), now=utc(at)).to_dict()
        for out in (a, b):
            out.pop("policy")
            out.pop("input_digest")
        assert a == b


@pytest.mark.parametrize("minutes", [0, 3, 5, 9, 10, 14, 24, 25, 40])
def test_nothing_changes_between_now_and_the_next_evaluation(minutes: int) -> None:
    at = utc(plus(T0, minutes=minutes))
    d = policy(ALICE).evaluate(ticket(T0), now=at)
    if d.next_evaluation_at is None:
        later = at + timedelta(days=3)
    else:
        later = d.next_evaluation_at - timedelta(microseconds=1)
    e = policy(ALICE).evaluate(ticket(T0), now=later)
    strip = [(a.id, a.due_at, a.notes, dict(a.details)) for a in d.actions]
    assert strip == [(a.id, a.due_at, a.notes, dict(a.details)) for a in e.actions]


# -- quiet hours across DST, and a replay ---------------------------------------------------

NIGHT_OWL = """
directory:
  people:
    erin:
      timezone: Europe/Berlin
      channels: {chat: "@erin"}
      quiet_hours: [{time: "22:00-07:00"}]
    finn:
      timezone: Europe/Berlin
      channels: {chat: "@finn"}
      quiet_hours: [{time: "22:00-02:30"}]
    gaby:
      timezone: Australia/Lord_Howe
      channels: {chat: "@gaby"}
      quiet_hours: [{time: "23:00-02:15"}]
channels:
  team-chat: {kind: chat}
notification_plans:
  chat: {steps: [{channel: team-chat}]}
notifications: {default_plan: chat}
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels: [{name: L1, targets: [person:PERSON]}]
"""


@pytest.mark.parametrize(
    ("person", "opened", "due"),
    [
        # Berlin springs forward on 2024-03-31: 07:00 CEST is 05:00 UTC (06:00 UTC the day before)
        ("erin", "2024-03-30T23:00:00+00:00", "2024-03-31T05:00:00+00:00"),
        # ... and falls back on 2024-10-27: 07:00 CET is 06:00 UTC
        ("erin", "2024-10-26T23:00:00+00:00", "2024-10-27T06:00:00+00:00"),
        # a quiet period ending at 02:30 on the spring-forward night ends at the end of the
        # gap, 03:00 CEST (01:00 UTC), not at 03:30
        ("finn", "2024-03-30T22:30:00+00:00", "2024-03-31T01:00:00+00:00"),
        # Lord Howe jumps from 02:00 to 02:30 on 2024-10-06: 02:15 does not exist, the quiet
        # period ends at 02:30 (+11:00), 15:30 UTC
        ("gaby", "2024-10-05T13:00:00+00:00", "2024-10-05T15:30:00+00:00"),
    ],
)
def test_quiet_hours_end_on_the_persons_wall_clock_across_dst(
    person: str, opened: str, due: str
) -> None:
    body = NIGHT_OWL.replace("PERSON", person)
    d = policy(body).evaluate(ticket(opened, priority="P2"), now=utc(opened))
    assert attempts(d) == []
    assert d.next_evaluation_at == utc(due)
    [attempt] = attempts(policy(body).evaluate(ticket(opened, priority="P2"), now=utc(due)))
    assert attempt.due_at == utc(due)


def test_a_replay_decides_what_evaluate_decides_at_every_step() -> None:
    p = policy(ALICE)
    replay = p.replay(ticket(T0))
    recorded = {
        6: f"{PAGE}/notify/alice/1",
        26: f"{PAGE}/comms-failure",
    }
    for minutes in (0, 5, 6, 10, 12, 25, 26, 40):
        now = utc(plus(T0, minutes=minutes))
        events = []
        if minutes in recorded:
            events = [Event(0, now, "action-done", action_id=recorded[minutes])]
        got = replay.update(events=events, now=now)
        assert got.to_json() == p.evaluate(replay.ticket, now=now).to_json()
