"""Properties of status-page pacing over generated histories: a caller that decides at every
event and every wake-up, and posts (records done) every status-page update at once, never posts
two updates of one component closer than ``min_interval``; and nothing it was asked to post is
left waiting without a wake-up."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import loads

POLICY = loads(
    """
policy: paced
version: 1
clocks:
  resolution:
    stop: {category: [resolved, closed, cancelled]}
    targets: {P1: {within: 2h}, P2: {within: 4h}, P3: {within: 8h}}
    ladder:
      - at: 50%
        status_page: {component: {field: service}, state: degraded-performance}
      - at: 100%
        status_page: {component: web, state: partial-outage}
status_pages:
  min_interval: 15m
  on_resolve: {state: operational}
rules:
  - id: major
    priority: 10
    when: {priority: P1, status_category: {not_in: [resolved, closed, cancelled]}}
    then: {status_page: {component: {field: service}, state: major-outage}}
  - id: partial
    when: {priority: P2, status_category: {not_in: [resolved, closed, cancelled]}}
    then: {status_page: {component: {field: service, default: web}, state: partial-outage}}
  - id: network
    when: {category: network, status_category: {not_in: [resolved, closed, cancelled]}}
    then: {status_page: {component: web, state: degraded-performance}}
"""
)
MIN_INTERVAL = timedelta(minutes=15)
OPENED = datetime.fromisoformat("2024-11-20T10:00:00+00:00")
HORIZON = OPENED + timedelta(hours=12)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A ticket's opening fields and its events (priority, category and service changes, a
    resolution and a reopening), at minute offsets that may repeat."""
    start = {
        "priority": draw(st.sampled_from(["P1", "P2", "P3"])),
        "category": draw(st.sampled_from(["network", "software"])),
        "service": draw(st.sampled_from(["web", "payments", None])),
    }
    fields = dict(start)
    resolved = False
    events: list[dict[str, Any]] = []
    offsets = sorted(draw(st.lists(st.integers(0, 600), max_size=10)))
    for minutes in offsets:
        at = (OPENED + timedelta(minutes=minutes)).isoformat()
        kind = draw(st.sampled_from(["priority", "category", "service", "status"]))
        if kind == "priority":
            new = draw(st.sampled_from(["P1", "P2", "P3"]))
            events.append(
                {
                    "at": at,
                    "type": "priority-changed",
                    "priority": new,
                    "from_priority": fields["priority"],
                }
            )
            fields["priority"] = new
        elif kind in ("category", "service"):
            choices = ["network", "software"] if kind == "category" else ["web", "payments", None]
            new = draw(st.sampled_from(choices))
            events.append(
                {"at": at, "type": "field-changed", "field": kind, "to": new, "from": fields[kind]}
            )
            fields[kind] = new
        else:
            events.append({"at": at, "type": "reopened" if resolved else "resolved"})
            resolved = not resolved
    ticket = {"id": "T1", "opened_at": OPENED.isoformat(), **fields}
    ticket["status"] = (
        "resolved"
        if resolved
        else ("in-progress" if any(e["type"] == "reopened" for e in events) else "new")
    )
    if ticket["status"] == "in-progress":
        ticket.pop("status")  # a reopened ticket's status is whatever the reopening set
    return ticket, events


def _at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["at"])


@PROPERTY
@given(histories())
def test_a_caller_that_posts_at_once_never_posts_a_component_twice_within_min_interval(
    history: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    fields, generated = history
    posted: list[dict[str, Any]] = []
    posts: dict[str, list[datetime]] = {}
    now = OPENED
    while True:
        decision = POLICY.evaluate(_as_of(fields, generated, now, posted), now=now)
        updates = [a for a in decision.actions if a.kind == "status_page"]
        components = [a.details["component"] for a in updates]
        assert len(components) == len(set(components)), "one update per component at a time"
        for action in updates:
            assert action.due_at <= now
            posts.setdefault(action.details["component"], []).append(now)
            posted.append({"at": now.isoformat(), "type": "action-done", "action_id": action.id})
        later = [_at(e) for e in generated if _at(e) > now]
        if decision.next_evaluation_at is not None:
            later.append(decision.next_evaluation_at)
        if not later or min(later) > HORIZON:
            break
        now = min(later)
    for component, instants in posts.items():
        gaps = [b - a for a, b in itertools.pairwise(instants)]
        assert all(gap >= MIN_INTERVAL for gap in gaps), (component, instants)


def _as_of(
    fields: dict[str, Any],
    generated: list[dict[str, Any]],
    now: datetime,
    posted: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ticket as the caller knows it at ``now``: the events so far, and the top-level
    fields as they leave them."""
    seen = [e for e in generated if _at(e) <= now]
    ticket: dict[str, Any] = {"id": "T1", "opened_at": OPENED.isoformat()}
    first: dict[str, Any] = {}
    for e in generated:  # the value each field had at the opening
        if e["type"] == "priority-changed":
            first.setdefault("priority", e["from_priority"])
        elif e["type"] == "field-changed":
            first.setdefault(e["field"], e["from"])
    for key in ("priority", "category", "service"):
        ticket[key] = first.get(key, fields[key])
    status = "new"
    for e in seen:
        if e["type"] == "priority-changed":
            ticket["priority"] = e["priority"]
        elif e["type"] == "field-changed":
            ticket[e["field"]] = e["to"]
        else:
            status = "resolved" if e["type"] == "resolved" else status
            if e["type"] == "reopened":
                status = "reopened"
    if status == "resolved":
        ticket["status"] = "resolved"
    ticket["events"] = sorted(seen + posted, key=_at)
    return ticket
