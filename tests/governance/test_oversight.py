"""The oversight tier over time: impact row, duration open or on a clock, the next change."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest

from tests.governance.policies import at, policy, ticket

OVERSIGHT = """
governance:
  oversight:
    tiers: [team, management, executive, board]
    matrix:
      high: [{after: 0m, tier: management}, {after: 2h, tier: executive}, {after: 8h, tier: board}]
      default: [{after: 1h, tier: management}, {after: 4h, tier: executive}]
"""
OPEN = policy(OVERSIGHT)
ON_CLOCK = policy(
    OVERSIGHT.replace("matrix:", "duration: clock:resolution\n    matrix:").replace(
        "{after: 4h, tier: executive}", "{after: 3h, tier: executive}"
    )
)


def status(when: str, name: str) -> dict[str, Any]:
    return {"at": when, "type": "status-changed", "status": name}


def known(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The ticket as known at ``now``: its events up to then."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**data, "events": [e for e in data["events"] if e["at"] <= stamp]}


HIGH = ticket(impact="1")  # "1" is an alias of the canonical impact high
# Resolved 11:00, reopened 13:00: open 1h, then again from 13:00.
REOPENED = ticket(
    {"at": "2024-06-03T11:00:00Z", "type": "resolved"},
    {"at": "2024-06-03T13:00:00Z", "type": "reopened"},
    impact="high",
)
LOW = ticket(impact="low")
# On the resolution clock: paused awaiting the vendor 10:30-11:30.
PAUSED = ticket(
    status("2024-06-03T10:30:00Z", "awaiting-vendor"),
    status("2024-06-03T11:30:00Z", "in-progress"),
    impact="low",
)


@pytest.mark.parametrize(
    ("chosen", "data", "now", "tier", "since", "upcoming", "upcoming_at"),
    [
        ("open", HIGH, at(3, 10), "management", at(3, 10), "executive", at(3, 12)),
        ("open", HIGH, at(3, 11, 59), "management", at(3, 10), "executive", at(3, 12)),
        ("open", HIGH, at(3, 12), "executive", at(3, 12), "board", at(3, 18)),
        ("open", HIGH, at(4, 9), "board", at(3, 18), None, None),
        # resolved: the time stops, no next change without new events
        ("open", REOPENED, at(3, 12), "management", at(3, 10), None, None),
        # reopened at 13:00 after 1h open: 2h open at 14:00
        ("open", REOPENED, at(3, 13, 30), "management", at(3, 10), "executive", at(3, 14)),
        ("open", REOPENED, at(3, 14), "executive", at(3, 14), "board", at(3, 20)),
        # another impact reads the default row; before its first entry, the lowest tier
        ("open", LOW, at(3, 10, 30), "team", at(3, 10), "management", at(3, 11)),
        ("open", LOW, at(3, 11), "management", at(3, 11), "executive", at(3, 14)),
        # the clock's elapsed time: 30m, paused an hour, 1h reached at 12:00, 3h at 14:00
        # paused at 11:00: no change without new events
        ("clock", PAUSED, at(3, 11), "team", None, None, None),
        ("clock", PAUSED, at(3, 11, 30), "team", None, "management", at(3, 12)),
        ("clock", PAUSED, at(3, 12, 30), "management", at(3, 12), "executive", at(3, 14)),
        ("clock", PAUSED, at(3, 14), "executive", at(3, 14), None, None),
    ],
)
def test_the_tier_its_start_and_its_next_change(
    chosen: str,
    data: dict[str, Any],
    now: datetime,
    tier: str,
    since: datetime | None,
    upcoming: str | None,
    upcoming_at: datetime | None,
) -> None:
    decision = (OPEN if chosen == "open" else ON_CLOCK).evaluate(known(data, now), now=now)
    gov = decision.governance
    assert gov is not None
    assert (tier, since, upcoming, upcoming_at) == (
        gov.tier,
        gov.tier_since,
        gov.next_tier,
        gov.next_tier_at,
    )


def test_a_tier_change_is_a_wake_up() -> None:
    # At 15:00 the desk is at its last level and the P1 resolution clock breached at 14:00:
    # only the tier moves on, to board at 18:00.
    assert at(3, 18) == OPEN.evaluate(HIGH, now=at(3, 15)).next_evaluation_at
    assert policy().evaluate(HIGH, now=at(3, 15)).next_evaluation_at is None


def test_the_next_evaluation_never_skips_a_tier_change() -> None:
    now = at(3, 10)
    seen = []
    while now is not None and now < at(4, 10):
        decision = OPEN.evaluate(HIGH, now=now)
        assert decision.governance is not None
        seen.append((decision.governance.tier, now))
        now = decision.next_evaluation_at
    changes = [seen[0]] + [b for a, b in itertools.pairwise(seen) if a[0] != b[0]]
    assert [
        ("management", at(3, 10)),
        ("executive", at(3, 12)),
        ("board", at(3, 18)),
    ] == changes


def test_the_tier_is_in_the_decision_json_and_explained() -> None:
    decision = OPEN.evaluate(HIGH, now=at(3, 12, 30))
    assert {
        "risks": [],
        "tier": "executive",
        "tier_since": "2024-06-03T12:00:00+00:00",
        "next_tier": "board",
        "next_tier_at": "2024-06-03T18:00:00+00:00",
        "board_reportable": False,
        "board_reasons": [],
        "audit_sample": False,
        "audit_reason": None,
        "overrides": [],
    } == decision.to_dict()["governance"]
    assert (
        "governance:\n  risks: none\n  oversight tier: executive since "
        "2024-06-03T12:00:00+00:00; board from 2024-06-03T18:00:00+00:00"
    ) in decision.explain()


def test_a_segment_decides_with_the_policys_governance() -> None:
    chosen = policy(
        OVERSIGHT
        + """
segments:
  - id: uk
    when: {region: uk}
    precedence: 1
    paths:
      desk:
        kind: vertical
        starts: on-open
        levels:
          - {name: L1, targets: [person:bob]}
"""
    )
    decision = chosen.evaluate(ticket(impact="high", region="uk"), now=at(3, 12, 30))
    assert decision.governance is not None
    assert ("uk", "executive") == (decision.segment, decision.governance.tier)
