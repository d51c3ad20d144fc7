"""Status-page intents: one update per component at a time, the latest request winning, paced
by ``status_pages.min_interval`` (held updates wake the caller when they become due), and the
update on resolution (docs/notifications.md, "Status pages")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate import Decision, PolicyError, load, loads

POLICY_TEXT = """
policy: pages
version: 1
clocks:
  resolution:
    stop: {category: [resolved, closed, cancelled]}
    targets: {P3: {within: 8h}}
    ladder:
      - at: 50%
        status_page: {component: {field: service}, state: degraded-performance, message: slow}
status_pages:
  min_interval: 15m
  on_resolve: {state: operational, message: all-clear}
rules:
  - id: major
    priority: 10
    when: {priority: P1, status_category: {not_in: [resolved, closed, cancelled]}}
    then: {status_page: {component: {field: service}, state: major-outage, message: down}}
  - id: degraded
    when: {priority: P2, status_category: {not_in: [resolved, closed, cancelled]}}
    then: {status_page: {component: {field: service}, state: degraded-performance}}
  - id: network
    when: {category: network, status_category: {not_in: [resolved, closed, cancelled]}}
    then: {status_page: {component: {field: service}, state: partial-outage, channel: public}}
"""
POLICY = loads(POLICY_TEXT)
OPENED = "2024-11-20T10:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2024-11-20T{text}:00+00:00")


def stamp(text: str) -> str:
    return f"20241120T{text.replace(':', '')}00Z"


def ticket(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A ticket opened at 10:00 as a P1 of service payments; its top-level priority is the
    last priority change's (as the history leaves it)."""
    base: dict[str, Any] = {"id": "T1", "opened_at": OPENED, "priority": "P1"}
    base["service"] = "payments"
    changes = [e["priority"] for e in events if e["type"] == "priority-changed"]
    if changes:
        base["priority"] = changes[-1]
    base.update(fields)
    return {**base, "events": list(events)}


def category(when: str, was: str, now: str) -> dict[str, Any]:
    return event(when, "field-changed", field="category", to=now, **{"from": was})


def priority(when: str, was: str, now: str) -> dict[str, Any]:
    return event(when, "priority-changed", from_priority=was, priority=now)


def event(when: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"at": at(when).isoformat(), "type": kind, **data}


def done(when: str, action_id: str) -> dict[str, Any]:
    return event(when, "action-done", action_id=action_id)


def rule_id(rule: str, began: str, component: str = "payments") -> str:
    return f"T1:status-page:{component}:rule:{rule}:{stamp(began)}:status_page0"


def pages(decision: Decision) -> list[tuple[str, str, datetime]]:
    return [
        (a.id, a.details["state"], a.due_at) for a in decision.actions if a.kind == "status_page"
    ]


def result(decision: Decision, rule: str) -> tuple[str, str]:
    found = next(r for r in decision.rule_results if r.rule.id == rule)
    return found.status, found.note


# -- one request -----------------------------------------------------------------------------


def test_a_p1_asks_for_one_update_of_its_service() -> None:
    decision = POLICY.evaluate(ticket(), now=at("10:05"))
    [action] = [a for a in decision.actions if a.kind == "status_page"]
    assert (rule_id("major", "10:00"), "rule:major", at("10:00"), True) == (
        action.id,
        action.source,
        action.due_at,
        action.late,
    )
    assert {
        "component": "payments",
        "state": "major-outage",
        "message": "down",
        "channel": None,
        "requested_at": "2024-11-20T10:00:00+00:00",
    } == dict(action.details)
    assert ((), ()) == (action.targets, action.people)


def test_a_posted_update_is_not_asked_for_again() -> None:
    decision = POLICY.evaluate(ticket(done("10:01", rule_id("major", "10:00"))), now=at("10:05"))
    assert [] == pages(decision)
    assert ("done", "") == result(decision, "major")


def test_a_ticket_without_the_field_asks_for_nothing_and_says_so() -> None:
    decision = POLICY.evaluate(ticket(service=None), now=at("10:05"))
    assert [] == pages(decision)
    assert ("matched", "status_page0: the ticket has no service") == result(decision, "major")


def test_the_component_default_stands_in_for_an_empty_field() -> None:
    text = POLICY_TEXT.replace(
        "{component: {field: service}, state: major-outage",
        "{component: {field: service, default: core}, state: major-outage",
    )
    decision = loads(text).evaluate(ticket(service=None), now=at("10:05"))
    assert [(rule_id("major", "10:00", "core"), "major-outage", at("10:00"))] == pages(decision)


def test_a_component_name_with_a_colon_is_escaped_in_the_id() -> None:
    text = POLICY_TEXT.replace(
        "{component: {field: service}, state: major-outage",
        "{component: 'EU: pay 100%', state: major-outage",
    )
    decision = loads(text).evaluate(ticket(), now=at("10:05"))
    [action] = [a for a in decision.actions if a.kind == "status_page"]
    assert rule_id("major", "10:00", "EU%3A pay 100%25") == action.id
    assert "EU: pay 100%" == action.details["component"]


def test_a_rung_asks_with_an_id_of_its_clock_cycle() -> None:
    decision = POLICY.evaluate(ticket(priority="P3"), now=at("14:30"))
    [action] = [a for a in decision.actions if a.kind == "status_page"]
    assert "T1:status-page:payments:clock:resolution#1@0:status_page0" == action.id
    assert ("clock:resolution@50%", at("14:00")) == (action.source, action.due_at)
    assert at("18:00") == decision.next_evaluation_at  # the breach


# -- the rate limit --------------------------------------------------------------------------

DOWNGRADED = (
    done("10:01", rule_id("major", "10:00")),
    priority("10:05", "P1", "P2"),
)


@pytest.mark.parametrize(
    ("now", "expected", "wakes_at"),
    [
        # held: 15 minutes after the update posted at 10:01
        ("10:05", [], at("10:16")),
        ("10:15", [], at("10:16")),
        # due from 10:16 on, late after
        ("10:16", [(rule_id("degraded", "10:05"), "degraded-performance", at("10:16"))], None),
        ("11:00", [(rule_id("degraded", "10:05"), "degraded-performance", at("10:16"))], None),
    ],
)
def test_an_update_sooner_than_min_interval_after_the_last_posted_one_is_held(
    now: str, expected: list[Any], wakes_at: datetime | None
) -> None:
    decision = POLICY.evaluate(ticket(*DOWNGRADED), now=at(now))
    assert expected == pages(decision)
    assert wakes_at == decision.next_evaluation_at


def test_a_held_update_says_so_on_its_rule_until_due_and_on_itself_once_due() -> None:
    held = POLICY.evaluate(ticket(*DOWNGRADED), now=at("10:10"))
    assert (
        "matched",
        "status page update of payments held by the rate limit until 2024-11-20T10:16:00+00:00",
    ) == result(held, "degraded")
    due = POLICY.evaluate(ticket(*DOWNGRADED), now=at("10:16"))
    [action] = [a for a in due.actions if a.kind == "status_page"]
    assert (
        "held back by the status-page rate limit until 2024-11-20T10:16:00+00:00: payments was "
        "last updated at 2024-11-20T10:01:00+00:00 (min_interval 15m)",
    ) == action.notes
    assert "2024-11-20T10:05:00+00:00" == action.details["requested_at"]
    assert ("matched", "") == result(due, "degraded")


def test_an_update_requested_after_the_interval_is_due_at_once() -> None:
    history = (done("10:01", rule_id("major", "10:00")), priority("10:30", "P1", "P2"))
    decision = POLICY.evaluate(ticket(*history), now=at("10:30"))
    assert [(rule_id("degraded", "10:30"), "degraded-performance", at("10:30"))] == pages(decision)
    assert () == decision.actions[-1].notes


def test_without_status_pages_updates_are_not_paced() -> None:
    text = POLICY_TEXT.replace("  min_interval: 15m\n", "")
    decision = loads(text).evaluate(ticket(*DOWNGRADED), now=at("10:05"))
    assert [(rule_id("degraded", "10:05"), "degraded-performance", at("10:05"))] == pages(decision)


# -- coalescing ------------------------------------------------------------------------------


def test_of_two_pending_requests_only_the_latest_is_posted() -> None:
    history = (category("10:03", "software", "network"),)
    decision = POLICY.evaluate(ticket(*history), now=at("10:04"))
    [action] = [a for a in decision.actions if a.kind == "status_page"]
    assert (rule_id("network", "10:03"), "partial-outage", "public") == (
        action.id,
        action.details["state"],
        action.details["channel"],
    )
    assert (
        f"supersedes {rule_id('major', '10:00')} (major-outage, requested at "
        "2024-11-20T10:00:00+00:00)",
    ) == action.notes


def test_a_request_older_than_the_last_posted_update_is_never_posted() -> None:
    history = (
        category("10:03", "software", "network"),
        done("10:04", rule_id("network", "10:03")),
    )
    assert [] == pages(POLICY.evaluate(ticket(*history), now=at("10:05")))
    # still so when the newer request ends: the page is not rolled back to an older request
    ended = (
        *history,
        category("10:40", "network", "software"),
    )
    assert [] == pages(POLICY.evaluate(ticket(*ended), now=at("10:45")))


def test_a_state_that_changes_twice_within_the_interval_posts_only_the_last() -> None:
    history = (
        done("10:00", rule_id("major", "10:00")),
        priority("10:05", "P1", "P2"),
        priority("10:10", "P2", "P1"),
    )
    held = POLICY.evaluate(ticket(*history), now=at("10:12"))
    assert ([], at("10:15")) == (pages(held), held.next_evaluation_at)
    due = POLICY.evaluate(ticket(*history), now=at("10:15"))
    assert [(rule_id("major", "10:10"), "major-outage", at("10:15"))] == pages(due)


def test_equal_request_instants_go_to_the_rule_of_higher_precedence() -> None:
    decision = POLICY.evaluate(ticket(category="network"), now=at("10:05"))
    [action] = [a for a in decision.actions if a.kind == "status_page"]
    assert rule_id("major", "10:00") == action.id
    assert (
        f"supersedes {rule_id('network', '10:00')} (partial-outage, requested at "
        "2024-11-20T10:00:00+00:00)",
    ) == action.notes


# -- resolution ------------------------------------------------------------------------------

RESOLVED_ID = f"T1:status-page:payments:resolved:{stamp('11:00')}"


def test_a_resolved_ticket_restores_what_it_posted() -> None:
    history = (done("10:01", rule_id("major", "10:00")), event("11:00", "resolved"))
    decision = POLICY.evaluate(ticket(*history), now=at("11:05"))
    [action] = decision.actions
    assert (RESOLVED_ID, "status_page", "status-pages:on_resolve", at("11:00")) == (
        action.id,
        action.kind,
        action.source,
        action.due_at,
    )
    assert ("operational", "all-clear") == (action.details["state"], action.details["message"])
    assert () == decision.missed


def test_the_update_on_resolution_is_paced_too() -> None:
    history = (done("10:55", rule_id("major", "10:00")), event("11:00", "resolved"))
    held = POLICY.evaluate(ticket(*history), now=at("11:05"))
    assert ([], at("11:10")) == (pages(held), held.next_evaluation_at)
    assert [(RESOLVED_ID, "operational", at("11:10"))] == pages(
        POLICY.evaluate(ticket(*history), now=at("11:10"))
    )


def test_a_ticket_that_posted_nothing_posts_nothing_when_resolved() -> None:
    decision = POLICY.evaluate(ticket(event("11:00", "resolved")), now=at("11:05"))
    assert ([], ()) == (pages(decision), decision.missed)


def test_a_restored_component_is_not_restored_again() -> None:
    history = (
        done("10:01", rule_id("major", "10:00")),
        event("11:00", "resolved"),
        done("11:02", RESOLVED_ID),
    )
    assert [] == pages(POLICY.evaluate(ticket(*history), now=at("12:00")))


def test_a_reopened_ticket_posts_again_and_is_restored_again() -> None:
    history = (
        done("10:01", rule_id("major", "10:00")),
        event("11:00", "resolved"),
        done("11:02", RESOLVED_ID),
        event("12:00", "reopened"),
    )
    reopened = POLICY.evaluate(ticket(*history), now=at("12:00"))
    assert [(rule_id("major", "12:00"), "major-outage", at("12:00"))] == pages(reopened)
    again = (*history, done("12:00", rule_id("major", "12:00")), event("13:00", "resolved"))
    restored = POLICY.evaluate(ticket(*again), now=at("13:00"))
    assert [
        (f"T1:status-page:payments:resolved:{stamp('13:00')}", "operational", at("13:00"))
    ] == pages(restored)


def test_without_on_resolve_a_resolved_ticket_posts_nothing_and_misses_nothing() -> None:
    text = POLICY_TEXT.replace("  on_resolve: {state: operational, message: all-clear}\n", "")
    decision = loads(text).evaluate(ticket(event("11:00", "resolved")), now=at("11:05"))
    assert ([], ()) == (pages(decision), decision.missed)


# -- bad policies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "state: major-outage",
            "state: major_outage",
            "rules[0].then.status_page.state",
        ),
        (
            "{component: {field: service}, state: major-outage",
            "{component: {field: servce}, state: major-outage",
            "'servce' is not a field (did you mean 'service'?)",
        ),
        (
            "{component: {field: service}, state: major-outage",
            "{component: {field: reassignment_count}, state: major-outage",
            "component comes from a string ticket field; 'reassignment_count' is not one",
        ),
        ("min_interval: 15m", "min_interval: soon", "status_pages.min_interval"),
        ("min_interval: 15m", "min_interval: 2bd", "status_pages.min_interval"),
        (
            "on_resolve: {state: operational",
            "on_resolve: {state: fixed",
            "status_pages.on_resolve.state",
        ),
        ("min_interval: 15m", "min_interval: 15m\n  max_per_hour: 4", "unknown key 'max_per_hour'"),
    ],
)
def test_a_bad_status_page_setting_is_a_load_error_naming_its_key(
    old: str, new: str, message: str
) -> None:
    assert old in POLICY_TEXT
    with pytest.raises(PolicyError) as caught:
        loads(POLICY_TEXT.replace(old, new, 1))
    assert message in str(caught.value)


def test_status_pages_is_a_top_level_key_a_segment_cannot_set() -> None:
    text = (
        POLICY_TEXT
        + """
segments:
  - id: uk
    when: {region: uk}
    precedence: 1
    status_pages: {min_interval: 5m}
"""
    )
    with pytest.raises(PolicyError, match="'status_pages' is a top-level key"):
        loads(text)


def test_the_rate_limit_counts_whole_instants_not_evaluations() -> None:
    # The same history evaluated at the same instant twice gives the same decision.
    first = POLICY.evaluate(ticket(*DOWNGRADED), now=at("10:20"))
    second = POLICY.evaluate(ticket(*DOWNGRADED), now=at("10:20"))
    assert first.to_json() == second.to_json()
    assert timedelta(minutes=15) == POLICY.status_pages.min_interval
    assert UTC == first.evaluated_at.tzinfo


def test_a_policy_that_extends_another_keeps_or_replaces_its_status_pages(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(POLICY_TEXT, encoding="utf-8")
    (tmp_path / "kept.yaml").write_text(
        "extends: base.yaml\npolicy: kept\nversion: 2\n", encoding="utf-8"
    )
    (tmp_path / "own.yaml").write_text(
        "extends: base.yaml\npolicy: own\nversion: 2\nstatus_pages: {min_interval: 1h}\n",
        encoding="utf-8",
    )
    kept, own = load(tmp_path / "kept.yaml"), load(tmp_path / "own.yaml")
    assert (timedelta(minutes=15), "all-clear") == (
        kept.status_pages.min_interval,
        (kept.status_pages.on_resolve or {}).get("message"),
    )
    assert (timedelta(hours=1), None) == (
        own.status_pages.min_interval,
        own.status_pages.on_resolve,
    )


CHANNELS = """
channels:
  public: {kind: status-page, address: page-1}
  ops-chat: {kind: chat}
"""


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            "pubic",
            "unknown channel 'pubic' (status-page channels: public) (did you mean 'public'?)",
        ),
        ("ops-chat", "channel 'ops-chat' is a chat channel; a status page is posted on a channel"),
    ],
)
def test_with_channels_declared_a_status_page_names_a_status_page_channel(
    channel: str, message: str
) -> None:
    text = CHANNELS + POLICY_TEXT.replace("channel: public", f"channel: {channel}")
    with pytest.raises(PolicyError) as caught:
        loads(text)
    assert "rules[2].then.status_page.channel" in str(caught.value)
    assert message in str(caught.value)


def test_with_channels_declared_a_status_page_channel_is_accepted() -> None:
    decision = loads(CHANNELS + POLICY_TEXT).evaluate(ticket(category="network"), now=at("10:05"))
    assert ["major-outage"] == [state for _, state, _ in pages(decision)]


def test_the_update_on_resolution_names_a_status_page_channel_too() -> None:
    text = CHANNELS + POLICY_TEXT.replace(
        "on_resolve: {state: operational,", "on_resolve: {channel: ops-chat, state: operational,"
    )
    with pytest.raises(PolicyError, match=r"status_pages\.on_resolve\.channel: channel 'ops-chat'"):
        loads(text)
