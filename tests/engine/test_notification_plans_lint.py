"""Lint for notification plans: people a plan reaches without an address for a step (or for
any step), and steps or failures a level's timer cuts off."""

from __future__ import annotations

from escalate import lint, loads

BODY = """policy: p
version: 1
directory:
  people:
    alice: {channels: {chat: "@alice", sms: "+49 1"}, backup: bob}
    bob: {channels: {email: bob@example.com}, backup: alice}
    carol: {channels: {chat: "@carol", voice: "+49 3"}, notification_plan: quick, backup: alice}
channels:
  team-chat: {kind: chat}
  pager-sms: {kind: sms}
  phone: {kind: voice}
notification_plans:
  on-call:
    steps:
      - {channel: team-chat}
      - {channel: pager-sms, after: 5m}
      - {channel: phone, after: 20m}
  quick:
    steps: [{channel: team-chat}]
    escalate_after: 30m
paths:
  desk:
    kind: vertical
    page_first_level: true
    levels:
      - {name: L1, targets: [person:alice], after: 15m, notification_plan: on-call}
      - {name: L2, targets: [person:carol], after: 30m}
      - {name: L3, targets: [person:bob]}
"""


def findings(text: str, code: str) -> list[tuple[str, str]]:
    return [(f.path, f.message) for f in lint(loads(text)) if f.code == code]


def test_a_step_without_an_address_for_someone_the_plan_reaches_is_reported() -> None:
    assert findings(BODY, "plan-step-no-address") == [
        (
            "directory.people.alice.channels",
            "no voice address for step 3 (phone) of plan on-call, which reaches alice "
            "(through paths.desk.levels[0]): the step is skipped",
        )
    ]


def test_someone_a_plan_cannot_reach_at_all_is_reported() -> None:
    text = BODY.replace("targets: [person:alice], after: 15m", "targets: [person:bob], after: 15m")
    assert findings(text, "plan-no-address") == [
        (
            "directory.people.bob.channels",
            "plan on-call reaches bob (through paths.desk.levels[0]), who has an address for "
            "none of its steps: every attempt is skipped",
        )
    ]


def test_steps_after_the_levels_timer_are_reported() -> None:
    assert findings(BODY, "plan-outlasts-level") == [
        (
            "paths.desk.levels[0].after",
            "plan on-call's step 3 (phone) comes no sooner than L1's after (15m): the path "
            "moves on first, so they are never made",
        ),
        (
            "paths.desk.levels[1].after",
            "plan quick reports a communication failure 30m after the page, no sooner than "
            "L2's after (30m): the path moves on first, so it is never reported",
        ),
    ]


def test_a_plan_that_fits_its_level_and_its_people_says_nothing() -> None:
    text = (
        BODY.replace("{channel: phone, after: 20m}", "{channel: phone, after: 10m}")
        .replace('sms: "+49 1"}', 'sms: "+49 1", voice: "+49 2"}')
        .replace("escalate_after: 30m", "escalate_after: 20m")
    )
    codes = {f.code for f in lint(loads(text))}
    assert not codes & {"plan-step-no-address", "plan-no-address", "plan-outlasts-level"}


def test_the_shipped_pack_has_no_plan_findings() -> None:
    from pathlib import Path

    from escalate import load

    pack = load(Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml")
    assert [f for f in lint(pack) if f.code.startswith("plan-")] == []
