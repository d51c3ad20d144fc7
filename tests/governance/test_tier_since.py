"""When the oversight tier was reached, after impact changes moved the ticket between rows of
the matrix (hand-worked; review of issue 14). Opened Monday 10:00 UTC; the oversight duration
is the time open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.governance.policies import at, policy, ticket

CHOSEN = policy(
    """governance:
  oversight:
    tiers: [team, management, executive, board]
    matrix:
      high:
        - {after: 0m, tier: management}
        - {after: 2h, tier: executive}
      medium:
        - {after: 0m, tier: management}
        - {after: 5h, tier: executive}
      default:
        - {after: 4h, tier: management}
"""
)


def change(when: str, to: str, before: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"at": when, "type": "field-changed", "field": "impact", "to": to}
    if before is not None:
        event["from"] = before
    return event


@pytest.mark.parametrize(
    ("events", "impact", "now", "tier", "since"),
    [
        # low (default row: team until 14:00), raised to high at 13:00, when it has been open
        # 3h: executive from 13:00, not from 12:00 (when high would have reached it)
        ([change("2024-06-03T13:00:00Z", "1", "3")], "1", at(3, 13, 30), "executive", at(3, 13)),
        ([change("2024-06-03T13:00:00Z", "1")], "1", at(3, 13, 30), "executive", at(3, 13)),
        # high (executive since 12:00), lowered to low at 13:00: team from 13:00
        ([change("2024-06-03T13:00:00Z", "3", "1")], "3", at(3, 13, 1), "team", at(3, 13)),
        # high -> medium at 11:00: management in both rows, held since the opening
        ([change("2024-06-03T11:00:00Z", "2", "1")], "2", at(3, 11, 30), "management", at(3, 10)),
        # ... unless the change does not say what the impact was: then from the change
        ([change("2024-06-03T11:00:00Z", "2")], "2", at(3, 11, 30), "management", at(3, 11)),
        # medium -> high at 11:00 -> medium at 11:30: management throughout
        (
            [change("2024-06-03T11:00:00Z", "1", "2"), change("2024-06-03T11:30:00Z", "2", "1")],
            "2",
            at(3, 12),
            "management",
            at(3, 10),
        ),
        # no change: as before
        ([], "1", at(3, 13), "executive", at(3, 12)),
    ],
)
def test_the_tier_counts_from_the_impact_change_that_moved_the_ticket_to_its_row(
    events: list[dict[str, Any]], impact: str, now: datetime, tier: str, since: datetime
) -> None:
    decision = CHOSEN.evaluate(ticket(*events, impact=impact), now=now)
    assert decision.governance is not None
    assert (tier, since) == (decision.governance.tier, decision.governance.tier_since)
