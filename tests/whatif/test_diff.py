"""``escalate.whatif.diff``: how two policies' decisions differ, ticket by ticket.

The old policy is the shipped pack; the new ones are the pack with one edit each (a shorter
P2 resolution target, a shorter L2 acknowledgement window, a renamed rule, a comment), so
every difference reported can be traced to the edit that caused it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from escalate import NaiveDatetimeError, Policy, load, loads
from escalate.testing import tickets as et
from escalate.whatif import Change, PolicyDiff, compare, diff, snapshot

ROOT = Path(__file__).resolve().parents[2]
PACK_TEXT = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
OLD = load(ROOT / "rules" / "itil-default.yaml")
AT = datetime.fromisoformat("2024-11-20T15:00:00+00:00")
EXAMPLES = [
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
]


def edited(old: str, new: str) -> Policy:
    assert PACK_TEXT.count(old) == 1, old
    return loads(PACK_TEXT.replace(old, new), filename="edited.yaml")


SHORTER_P2 = edited(
    "      P2: {within: 8h, calendar: 24x7}", "      P2: {within: 6h, calendar: 24x7}"
)
SHORTER_ACK = edited(
    "        owner: person:lead-second-line\n        ack_within: 30m",
    "        owner: person:lead-second-line\n        ack_within: 20m",
)
RENAMED_RULE = edited("  - id: ping-pong\n", "  - id: bounced-between-teams\n")


def ticket_diff(new: Policy, ticket_id: str) -> tuple[Change, ...]:
    ticket = next(t for t in EXAMPLES if t["id"] == ticket_id)
    return compare(OLD.evaluate(ticket, now=AT), new.evaluate(ticket, now=AT)).changes


def test_the_same_policy_twice_differs_nowhere() -> None:
    result = diff(OLD, load(ROOT / "rules" / "itil-default.yaml"), EXAMPLES, at=AT)
    assert (6, ()) == (len(result.tickets), result.differing)


def test_an_edit_that_changes_no_decision_differs_nowhere() -> None:
    reworded = edited(
        "rationale: nobody watches the queue outside office hours",
        "rationale: no one watches the queue outside office hours",
    )
    assert () == diff(OLD, reworded, EXAMPLES, at=AT).differing


def test_a_shorter_target_names_the_tickets_it_breaches() -> None:
    result = diff(OLD, SHORTER_P2, EXAMPLES, at=AT)
    assert ["INC0010003", "INC0010005"] == [t.ticket_id for t in result.differing]


def test_a_shorter_target_moves_the_breach_instant_and_the_breach_flag() -> None:
    changes = ticket_diff(SHORTER_P2, "INC0010003")
    clock = {c.field: (c.before, c.after) for c in changes if c.what == "clock"}
    assert {
        "target": ("8h", "6h"),
        "breached": (False, True),
        "breach_at": ("2024-11-20T15:45:00+00:00", "2024-11-20T13:45:00+00:00"),
    } == {key: clock[key] for key in ("target", "breached", "breach_at")}


def test_a_shorter_target_moves_the_level_and_the_next_evaluation() -> None:
    changes = ticket_diff(SHORTER_P2, "INC0010005")
    assert (
        Change("path", "service-desk", "level", "L2", "L3"),
        Change(
            "next_evaluation_at",
            before="2024-11-20T15:30:00+00:00",
            after="2024-11-20T16:00:00+00:00",
        ),
    ) == (
        next(c for c in changes if c.field == "level"),
        changes[-1],
    )


def test_actions_that_became_due_or_stopped_being_due_are_added_and_removed() -> None:
    changes = ticket_diff(SHORTER_P2, "INC0010005")
    added = {c.name for c in changes if c.what == "action-added"}
    removed = {c.name for c in changes if c.what == "action-removed"}
    assert (
        {
            "INC0010005:path:service-desk:1:0:L3",
            # the service owner's own plan: mailed, then called 15 minutes later
            "INC0010005:path:service-desk:1:0:L3/notify/markus.braun/1",
            "INC0010005:clock:resolution#1@3:notify1",
        },
        {"INC0010005:path:service-desk:1:0:L2", "INC0010005:clock:resolution#1@1:notify1"},
    ) == (
        {n for n in added if "post-mortem" not in n},
        {n for n in removed if "post-mortem" not in n and "unacknowledged" not in n},
    )


def test_a_changed_action_lists_each_detail_that_differs() -> None:
    changes = ticket_diff(SHORTER_ACK, "INC0010001")
    assert [
        "action INC0010001:path:service-desk:1:0:L2: details.ack_within 30m -> 20m",
        "action INC0010001:path:service-desk:1:0:L2:unacknowledged: details.ack_within 30m -> 20m",
        "action INC0010001:path:service-desk:1:0:L2:unacknowledged: "
        "due_at 2024-11-20T14:50:00+00:00 -> 2024-11-20T14:40:00+00:00",
        "action INC0010001:path:service-desk:1:0:L2:unacknowledged: "
        "rationale nobody acknowledged L2 within 30m -> nobody acknowledged L2 within 20m",
    ] == [str(change) for change in changes]


def test_a_renamed_rule_changes_the_rule_and_the_id_of_its_action() -> None:
    changes = ticket_diff(RENAMED_RULE, "INC0010003")
    rules = [(c.name, c.before, c.after) for c in changes if c.what == "rule"]
    assert [("bounced-between-teams", None, "matched"), ("ping-pong", "matched", None)] == rules


def test_an_action_whose_id_alone_changed_is_reported_as_such() -> None:
    # A rung inserted before the 75% rung renumbers it: its action is the same, its id is not.
    inserted = edited(
        "    ladder:\n      - at: 50%\n",
        "    ladder:\n      - at: 40%\n        notify: {to: [assignee], template: sla-warning}\n"
        "      - at: 50%\n",
    )
    assert [
        Change(
            "action-id",
            "INC0010003:clock:resolution#1@2:notify1",
            "id",
            "INC0010003:clock:resolution#1@1:notify1",
            "INC0010003:clock:resolution#1@2:notify1",
        )
    ] == list(ticket_diff(inserted, "INC0010003"))


def test_the_policy_hash_version_and_input_digest_are_not_differences() -> None:
    bumped = edited("version: 1\n", "version: 2\n")
    result = diff(OLD, bumped, EXAMPLES, at=AT)
    assert (True, ()) == (OLD.content_hash != bumped.content_hash, result.differing)


def test_the_text_summary_counts_the_tickets_and_lists_each_ones_changes() -> None:
    lines = diff(OLD, SHORTER_ACK, EXAMPLES, at=AT).text().splitlines()
    assert [
        "6 tickets, 2 differ",
        "ticket INC0010001:",
        "  action INC0010001:path:service-desk:1:0:L2: details.ack_within 30m -> 20m",
    ] == lines[1:4]


def test_the_json_is_plain_data_with_counts_and_every_ticket() -> None:
    data = diff(OLD, SHORTER_ACK, EXAMPLES, at=AT).to_dict()
    assert (6, 2, 6, "20m") == (
        data["tickets"],
        data["differ"],
        len(data["results"]),
        data["results"][0]["changes"][0]["after"],
    )
    assert json.loads(json.dumps(data)) == data


def test_changes_are_values() -> None:
    changes = ticket_diff(SHORTER_P2, "INC0010005")
    assert len(set(changes)) == len(changes)
    assert isinstance(diff(OLD, OLD, EXAMPLES[:1], at=AT), PolicyDiff)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="at"):
        diff(OLD, OLD, EXAMPLES, at=datetime(2024, 11, 20, 15))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(et.ticket_cases(max_events=12))
def test_a_policy_compared_with_itself_never_differs(case: tuple[Any, datetime]) -> None:
    ticket, now = case
    assert () == compare(OLD.evaluate(ticket, now=now), OLD.evaluate(ticket, now=now)).changes


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(et.ticket_cases(max_events=12))
def test_a_diff_is_empty_exactly_when_the_snapshots_are_equal(case: tuple[Any, datetime]) -> None:
    ticket, now = case
    old, new = OLD.evaluate(ticket, now=now), SHORTER_P2.evaluate(ticket, now=now)
    a, b = snapshot(old), snapshot(new)
    del a["policy"], b["policy"]
    assert (a == b) == (not compare(old, new).differs)
