"""Loading channels, notification plans and quiet hours: every mistake is a load error that
names the key path and the bad value, with a suggestion for a misspelt name."""

from __future__ import annotations

import pytest

from escalate import PolicyError, loads

HEADER = "policy: p\nversion: 1\n"

PEOPLE = """directory:
  people:
    alice: {channels: {chat: "@alice", sms: "+49 1"}}
"""
CHANNELS = """channels:
  team-chat: {kind: chat}
  pager-sms: {kind: sms}
"""
PATH = """paths:
  desk:
    kind: vertical
    levels: [{name: L1, targets: [person:alice]}]
"""


def error(text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        loads(HEADER + text, filename="p.yaml")
    return str(caught.value)


def plans(steps: str, extra: str = "") -> str:
    return f"{PEOPLE}{CHANNELS}notification_plans:\n  on-call:\n    steps: {steps}\n{extra}{PATH}"


def test_a_step_naming_an_unknown_channel_suggests_the_closest() -> None:
    assert error(plans("[{channel: team-chta}]")) == (
        "p.yaml:11:14: notification_plans.on-call.steps[0].channel: unknown channel "
        "'team-chta' (channels: pager-sms, team-chat) (did you mean 'team-chat'?)"
    )


def test_steps_out_of_order_are_refused() -> None:
    message = error(plans("[{channel: team-chat, after: 10m}, {channel: pager-sms, after: 5m}]"))
    assert "notification_plans.on-call.steps[1].after: steps are written in the order" in message
    assert "'5m' comes before step 0's" in message


def test_business_days_are_refused_in_a_plan() -> None:
    message = error(plans("[{channel: team-chat, after: 1bd}]"))
    assert "notification_plans.on-call.steps[0].after" in message
    assert "'bd'" in message or "business days" in message


def test_a_zero_delay_is_written_by_leaving_after_out() -> None:
    message = error(plans("[{channel: team-chat, after: 0m}]"))
    assert "duration must be positive, got '0m'" in message


def test_an_unknown_default_plan_is_refused() -> None:
    message = error(plans("[{channel: team-chat}]", "notifications: {default_plan: on-cal}\n"))
    assert "notifications.default_plan: unknown notification plan 'on-cal'" in message
    assert "did you mean 'on-call'?" in message


def test_a_person_naming_an_unknown_plan_is_refused() -> None:
    text = plans("[{channel: team-chat}]").replace(
        'alice: {channels: {chat: "@alice", sms: "+49 1"}}',
        'alice: {channels: {chat: "@alice"}, notification_plan: oncall}',
    )
    message = error(text)
    assert "directory.people.alice.notification_plan: unknown notification plan 'oncall'" in (
        message
    )


def test_a_level_naming_an_unknown_plan_is_refused() -> None:
    text = plans("[{channel: team-chat}]").replace(
        "targets: [person:alice]}", "targets: [person:alice], notification_plan: paging}"
    )
    assert "paths.desk.levels[0].notification_plan: unknown notification plan 'paging'" in (
        error(text)
    )


def test_a_plan_named_without_any_plans_says_so() -> None:
    text = PEOPLE + PATH.replace(
        "targets: [person:alice]}", "targets: [person:alice], notification_plan: paging}"
    )
    assert "the policy declares no notification_plans" in error(text)


def test_plan_true_needs_plans() -> None:
    text = (
        PEOPLE
        + "rules:\n  - id: r\n    when: {priority: P1}\n"
        + "    then: {notify: {to: [person:alice], plan: true}}\n"
    )
    assert "rules[0].then.notify.plan: plan: true delivers through" in error(text)


def test_quiet_hours_need_the_persons_time_zone() -> None:
    text = (
        "directory:\n  people:\n    alice:\n      channels: {chat: x}\n"
        "      quiet_hours: [{time: '22:00-07:00'}]\n"
    )
    message = error(text)
    assert "directory.people.alice.timezone: quiet_hours are read on the person's own" in message


def test_quiet_hours_covering_the_whole_week_are_refused() -> None:
    text = (
        "directory:\n  people:\n    alice:\n      timezone: UTC\n"
        "      quiet_hours: [{days: mon-sun}]\n"
    )
    assert "quiet_hours cover the whole week" in error(text)


def test_quiet_hours_with_a_bad_interval_name_the_entry() -> None:
    text = (
        "directory:\n  people:\n    alice:\n      timezone: UTC\n"
        "      quiet_hours: [{time: '22:00-25:00'}]\n"
    )
    assert "directory.people.alice.quiet_hours[0].time" in error(text)


def test_a_webhook_channel_needs_an_address() -> None:
    text = PEOPLE + "channels:\n  hook: {kind: webhook}\n"
    assert "channels.hook.address: people have no webhook address" in error(text)


def test_address_and_address_from_together_are_refused() -> None:
    text = PEOPLE + "channels:\n  hook: {kind: chat, address: '#ops', address_from: [chat]}\n"
    assert "give address or address_from, not both" in error(text)


def test_an_unknown_channel_kind_is_refused() -> None:
    text = PEOPLE + "channels:\n  fax: {kind: fax}\n"
    assert "channels.fax.kind" in error(text)


def test_urgency_overriding_quiet_hours_needs_urgent_priorities() -> None:
    message = error(
        plans("[{channel: team-chat}]", "notifications: {urgent_overrides_quiet_hours: true}\n")
    )
    assert "notifications.urgent_priorities: urgent_overrides_quiet_hours needs" in message


def test_urgent_priorities_are_canonical_priorities() -> None:
    text = (
        plans("[{channel: team-chat}]", "notifications: {urgent_priorities: [Sev1]}\n")
        + "terminology:\n  priority: {P1: [Sev1]}\n"
    )
    assert "notifications.urgent_priorities[0]: 'Sev1' is not a canonical priority" in error(text)


NOTIFY_RULE = """rules:
  - id: r
    when: {priority: P1}
    then:
      - notify: {to: [person:alice], channel: %s}
"""


def _notify_details(text: str) -> dict[str, object]:
    from datetime import UTC, datetime

    policy = loads(HEADER + text, filename="p.yaml")
    ticket = {"id": "T", "opened_at": "2024-01-01T00:00:00Z", "priority": "P1"}
    decision = policy.evaluate(ticket, now=datetime(2024, 1, 1, tzinfo=UTC))
    [action] = [a for a in decision.actions if a.kind == "notify"]
    return dict(action.details)


def test_a_notify_names_a_declared_channel_and_carries_its_kind() -> None:
    details = _notify_details(PEOPLE + CHANNELS + NOTIFY_RULE % "team-chat")
    assert (details["channel"], details["channel_kind"]) == ("team-chat", "chat")


def test_a_notify_still_names_a_kind_with_or_without_channels() -> None:
    assert _notify_details(PEOPLE + CHANNELS + NOTIFY_RULE % "sms")["channel"] == "sms"
    details = _notify_details(PEOPLE + NOTIFY_RULE % "sms")
    assert (details["channel"], "channel_kind" in details) == ("sms", False)


def test_an_unknown_notify_channel_lists_the_kinds_and_the_declared_names() -> None:
    assert error(PEOPLE + CHANNELS + NOTIFY_RULE % "team-chta") == (
        "p.yaml:13:38: rules[0].then[0].notify.channel: unknown channel 'team-chta' (expected "
        "a kind: email, sms, chat, voice, push, status-page; or a declared channel: pager-sms, "
        "team-chat) (did you mean 'team-chat'?)"
    )
    assert error(PEOPLE + NOTIFY_RULE % "mail") == (
        "p.yaml:10:38: rules[0].then[0].notify.channel: unknown channel 'mail' (expected a "
        "kind: email, sms, chat, voice, push, status-page) (did you mean 'email'?)"
    )
