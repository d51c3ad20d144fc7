"""Quiet hours never swallow a page silently: when they defer a person's first attempt, the
page says so, and says when the path moves on before any attempt is made.

Bob (New York) keeps quiet hours 22:00-07:00; a P2 is paged at 04:00 UTC (23:00 in New
York), so his first attempt waits until 07:00 New York (12:00 UTC), long after the level's
``after: 20m``.
"""

from __future__ import annotations

from escalate.engine.decision import Decision
from tests.policy_helpers import policy, ticket, utc

T0 = "2024-11-20T04:00:00+00:00"
PAGE = "T1:path:desk:1:0:L1"

BODY = """
directory:
  people:
    bob:
      timezone: America/New_York
      channels: {chat: "@bob", sms: "+1 555"}
      quiet_hours: [{time: "22:00-07:00"}]
    dana: {channels: {chat: "@dana"}}
channels:
  team-chat: {kind: chat}
  pager-sms: {kind: sms}
notification_plans:
  on-call:
    steps: [{channel: team-chat}, {channel: pager-sms, after: 5m}]
notifications: {default_plan: on-call, urgent_priorities: [P1], urgent_overrides_quiet_hours: true}
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels:
      - {name: L1, targets: [person:bob], after: 20m}
      - {name: L2, targets: [person:dana]}
"""


def decide(at: str, priority: str = "P2") -> Decision:
    return policy(BODY).evaluate(ticket(T0, priority=priority), now=utc(at))


def test_a_deferred_first_attempt_is_said_on_the_page() -> None:
    d = decide(T0)
    [page] = [a for a in d.actions if a.id == PAGE]
    assert page.notes == (
        "bob: quiet hours until 2024-11-20T12:00:00+00:00; first attempt then; the path moves "
        "on at 2024-11-20T04:20:00+00:00, before any attempt",
    )
    assert "quiet hours until" in d.explain()
    assert "quiet hours until" in d.to_json()


def test_the_path_keeps_its_promise() -> None:
    # `after: 20m` is the escalation's promise: quiet hours do not move it
    d = decide("2024-11-20T04:20:00+00:00")
    assert [a.people for a in d.actions if a.kind == "escalate"] == [("dana",)]


def test_an_urgent_priority_is_not_deferred_and_says_nothing() -> None:
    d = decide(T0, "P1")
    [page] = [a for a in d.actions if a.id == PAGE]
    assert not any("quiet hours until" in n for n in page.notes)
    assert [a.id for a in d.actions if a.kind == "notify_attempt"] == [f"{PAGE}/notify/bob/0"]


def test_a_deferral_before_the_level_moves_on_only_says_when() -> None:
    body = BODY.replace("after: 20m", "after: 12h")
    d = policy(body).evaluate(ticket(T0, priority="P2"), now=utc(T0))
    [page] = [a for a in d.actions if a.id == PAGE]
    assert page.notes == ("bob: quiet hours until 2024-11-20T12:00:00+00:00; first attempt then",)


def test_explain_shows_what_a_notify_an_attempt_and_a_status_page_carry() -> None:
    body = (
        BODY
        + """
status_pages: {min_interval: 15m}
rules:
  - id: tell
    when: {priority: P2}
    then:
      - notify: {to: [person:dana], channel: team-chat, audience: internal}
      - status_page: {component: payments, state: degraded-performance}
"""
    )
    d = policy(body).evaluate(
        ticket("2024-11-20T12:00:00+00:00", priority="P2"), now=utc("2024-11-20T12:00:00+00:00")
    )
    text = d.explain()
    assert "  - notify -> person:dana (via team-chat, audience internal) [rule:tell]" in text
    assert "  - notify_attempt -> person:bob (via team-chat, to @bob) [path:desk]" in text
    assert "  - status_page (payments, degraded-performance) [rule:tell]" in text


def test_explain_says_why_a_held_status_page_update_waits() -> None:
    body = (
        BODY
        + """
status_pages: {min_interval: 15m}
rules:
  - id: tell
    when: {priority: P2}
    then: [{status_page: {component: payments, state: degraded-performance}}]
  - id: worse
    when: {priority: P1}
    then: [{status_page: {component: payments, state: major-outage}}]
"""
    )
    opened = "2024-11-20T12:00:00+00:00"
    first = policy(body).evaluate(ticket(opened, priority="P2"), now=utc(opened))
    [update] = [a for a in first.actions if a.kind == "status_page"]
    later = ticket(
        opened,
        {"at": "2024-11-20T12:01:00+00:00", "type": "action-done", "action_id": update.id},
        {
            "at": "2024-11-20T12:05:00+00:00",
            "type": "priority-changed",
            "from_priority": "P2",
            "priority": "P1",
        },
        priority="P1",
    )
    d = policy(body).evaluate(later, now=utc("2024-11-20T12:06:00+00:00"))
    assert (
        "held: status page update of payments (major-outage, rate limit) until "
        "2024-11-20T12:16:00+00:00"
    ) in d.explain().splitlines()
    assert d.explain().splitlines()[-1] == "next evaluation: 2024-11-20T12:16:00+00:00"
