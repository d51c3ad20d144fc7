"""Properties of the follow-up over random action items: nothing changes before the wake-up,
the same inputs give the same bytes, and the counts agree with the items."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.calendars._instants import ONE_US
from tests.postmortem.policies import at, item, pm, policy, ticket

POLICY = policy()
START = at("2024-10-25T12:00:00Z")
MINUTES = st.integers(0, 8 * 24 * 60)


@st.composite
def follow_up(draw: st.DrawFn) -> tuple[dict[str, Any], Any]:
    """T1 with up to three items, some with their own due, some done or dropped, and an
    instant after the last event."""
    events: list[tuple[Any, dict[str, Any]]] = []
    for name in draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3)):
        recorded = START + timedelta(minutes=draw(MINUTES))
        due: dict[str, Any] = {}
        if draw(st.booleans()):
            due = {"due": (recorded + timedelta(minutes=draw(MINUTES) - 60)).isoformat()}
        events.append((recorded, item(recorded.isoformat(), name, **due)))
        closing = draw(st.sampled_from([None, "item-done", "item-dropped"]))
        if closing is not None:
            closed = recorded + timedelta(minutes=draw(MINUTES))
            reason = {"reason": "moot"} if closing == "item-dropped" else {}
            events.append((closed, pm(closed.isoformat(), closing, item=name, **reason)))
    if draw(st.booleans()):
        published = START + timedelta(minutes=draw(MINUTES))
        events.append((published, pm(published.isoformat(), "published")))
    events.sort(key=lambda pair: pair[0])
    last = events[-1][0] if events else START
    now = last + timedelta(minutes=draw(MINUTES))
    return ticket(*(e for _, e in events)), now


@settings(max_examples=60, deadline=None)
@given(follow_up())
def test_nothing_changes_before_the_next_evaluation(case: tuple[dict[str, Any], Any]) -> None:
    data, now = case
    decision = POLICY.evaluate(data, now=now)
    wake = decision.next_evaluation_at
    if wake is None:
        wake = now + timedelta(days=60)
    later = POLICY.evaluate(data, now=wake - ONE_US)
    assert decision.postmortem is not None and later.postmortem is not None
    assert [a.id for a in decision.actions] == [a.id for a in later.actions]
    assert [i.status for i in decision.postmortem.items] == [
        i.status for i in later.postmortem.items
    ]
    assert decision.postmortem.status == later.postmortem.status


@settings(max_examples=40, deadline=None)
@given(follow_up())
def test_the_overdue_count_is_the_overdue_items_and_the_bytes_repeat(
    case: tuple[dict[str, Any], Any],
) -> None:
    data, now = case
    first, again = POLICY.evaluate(data, now=now), POLICY.evaluate(data, now=now)
    assert first.to_json() == again.to_json()
    found = first.postmortem
    assert found is not None
    assert found.overdue_items == sum(1 for i in found.items if i.status == "overdue")
    open_items = {i.id for i in found.items if i.status in ("open", "overdue")}
    sources = {
        a.source.split("@")[0].split(":")[1]
        for a in first.actions
        if a.source.startswith("postmortem:")
    }
    assert sources <= open_items | ({"document"} if found.status != "published" else set())
