"""Post-mortem follow-up KPIs over many decisions, hand-checked (tests/postmortem/policies.py:
each ticket resolved Friday 25 October 2024 11:00 UTC, its post-mortem due Wednesday 30
October 11:00 UTC; an item recorded Friday 13:00 UTC is due Tuesday 29 October 14:00 UTC)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

from escalate.learning import OwnerOverdue, postmortem_kpis
from tests.postmortem.policies import at, item, pm, policy, ticket

NOW = at("2024-10-30T15:00:00Z")


def named(ticket_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "id": ticket_id}


def decisions() -> list[Any]:
    on_time = ticket(
        item("2024-10-25T13:00:00Z", "fix"),
        item("2024-10-25T13:00:00Z", "alert"),
        pm("2024-10-28T10:00:00Z", "item-done", item="fix"),
        pm("2024-10-28T10:30:00Z", "item-dropped", item="alert", reason="duplicate"),
        pm("2024-10-28T11:00:00Z", "published"),
        recorded=False,
    )
    late = ticket(
        item("2024-10-25T13:00:00Z", "x"), pm("2024-10-30T12:00:00Z", "published"), recorded=False
    )
    unpublished = ticket(
        item("2024-10-25T13:00:00Z", "y"),
        item("2024-10-30T09:00:00Z", "z", owner="zoe"),
        recorded=False,
    )
    never = {"id": "D", "opened_at": "2024-10-25T10:00:00Z"}
    found = policy()
    tickets = [named("A", on_time), named("B", late), named("C", unpublished), never]
    return [found.evaluate(t, now=NOW) for t in tickets]


def test_follow_up_kpis_over_four_tickets_hand_checked() -> None:
    found = postmortem_kpis(decisions())
    assert (found.tickets, found.required, found.published, found.on_time) == (4, 3, 2, 1)
    assert found.on_time_share == Fraction(1, 3)
    # published after 3 days (A) and 5 days 1 hour (B): p50 is rank 1 of 2, p90 rank 2
    assert (found.time_to_publish_p50, found.time_to_publish_p90) == (
        timedelta(days=3),
        timedelta(days=5, hours=1),
    )
    assert (found.items, found.done, found.dropped, found.open, found.overdue) == (5, 1, 1, 1, 2)
    assert (found.closure_share, found.dropped_share) == (Fraction(2, 5), Fraction(1, 5))
    assert found.overdue_by_owner == (OwnerOverdue("anna", (("B", "x"), ("C", "y"))),)
    assert found.overdue_by_owner[0].tickets == ("B", "C")


def test_input_order_does_not_matter_and_the_dict_is_exact() -> None:
    ordered = postmortem_kpis(decisions())
    assert postmortem_kpis(reversed(decisions())) == ordered
    data = ordered.to_dict()
    assert data["on_time_share"] == {"rate": "1/3", "percent": "33.33%"}
    assert data["time_to_publish"] == {"p50": "3d", "p90": "5d1h"}
    assert data["overdue_by_owner"] == [
        {
            "owner": "anna",
            "count": 2,
            "tickets": ["B", "C"],
            "items": [{"ticket": "B", "item": "x"}, {"ticket": "C", "item": "y"}],
        }
    ]


def test_no_post_mortems_no_shares() -> None:
    found = postmortem_kpis([])
    assert (found.required, found.on_time_share, found.time_to_publish_p50) == (0, None, None)
