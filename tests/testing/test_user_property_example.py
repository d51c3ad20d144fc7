"""The property test of docs/testing-policies.md ("Property tests with escalate.testing"), run.

A user's own test of the shipped pack: no P1 stays unacknowledged and unescalated for more
than 30 minutes. Keep this file and the documented example the same.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import escalate
from escalate.testing import assert_escalates, assert_not_escalated, cases_around
from escalate.testing.strategies import aware_datetimes

POLICY = escalate.load(Path(__file__).parents[2] / "rules" / "itil-default.yaml")

P1_SPELLINGS = ["P1", "1 - Critical", "Sev1", "Critical"]  # the pack's terminology maps them
OPEN_STATUSES = ["assigned", "in-progress", "on-hold", "awaiting-user-info", "awaiting-vendor"]
GROUPS = ["service-desk", "app-support", "database", "desktop-support"]


@st.composite
def unacknowledged_p1_tickets(draw: st.DrawFn) -> tuple[dict[str, object], datetime, datetime]:
    """A P1 ticket nobody acknowledged, with a history of other work: the ticket, when it
    opened and its last event (both UTC)."""
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC)
    opened_at = draw(aware_datetimes(start, end)).astimezone(UTC)  # UTC: exact arithmetic
    at = opened_at
    events: list[dict[str, object]] = [{"at": at.isoformat(), "type": "created"}]
    for _ in range(draw(st.integers(0, 5))):
        at += timedelta(minutes=draw(st.integers(0, 90)))
        kind = draw(st.sampled_from(["assigned", "status-changed", "comment", "customer-reply"]))
        event: dict[str, object] = {"at": at.isoformat(), "type": kind}
        if kind == "assigned":
            event["group"] = draw(st.sampled_from(GROUPS))
        elif kind == "status-changed":
            event["status"] = draw(st.sampled_from(OPEN_STATUSES))
        events.append(event)
    ticket = {
        "id": "INC0000001",
        "opened_at": opened_at.isoformat(),
        "priority": draw(st.sampled_from(P1_SPELLINGS)),
        "category": draw(st.sampled_from(["application", "database", "hardware", "network"])),
        "events": events,
    }
    return ticket, opened_at, at


@settings(max_examples=40)
@given(unacknowledged_p1_tickets(), st.integers(0, 3 * 24 * 60))
def test_no_p1_stays_unacknowledged_and_unescalated_for_more_than_30_minutes(
    case: tuple[dict[str, object], datetime, datetime], minutes_later: int
) -> None:
    ticket, opened_at, last_event_at = case
    now = max(opened_at + timedelta(minutes=30), last_event_at) + timedelta(minutes=minutes_later)
    assert_escalates(POLICY, ticket, now=now, path="service-desk", to="L2", or_higher=True)


@settings(max_examples=20)
@given(
    st.sampled_from(P1_SPELLINGS),
    aware_datetimes(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC)),
)
def test_a_fresh_p1_escalates_at_30_minutes_not_before(priority: str, opened: datetime) -> None:
    opened_at = opened.astimezone(UTC)
    ticket = {"id": "INC0000002", "opened_at": opened_at.isoformat(), "priority": priority}
    before, at, _ = cases_around(opened_at + timedelta(minutes=30), step=timedelta(seconds=1))
    assert_not_escalated(POLICY, ticket, now=before, path="service-desk")
    assert_escalates(POLICY, ticket, now=at, path="service-desk", to="L2")
