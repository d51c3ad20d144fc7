"""Properties of the governance stage: nothing changes between a decision and its wake-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.governance.policies import at, override, policy, ticket

POLICY = policy(
    """
rules:
  - id: long-running
    when: {clock.resolution.percent: {gte: 50}}
    risk: [operational]
    then: {notify: {to: [person:alice], channel: email}}
governance:
  oversight:
    tiers: [team, management, executive, board]
    matrix:
      high: [{after: 0m, tier: management}, {after: 2h, tier: executive}, {after: 8h, tier: board}]
      default: [{after: 1h, tier: management}, {after: 5h, tier: executive}]
  board_reportable: {tiers: [board], when: {clock.resolution.breached: true}}
  audit_sample: {rate: "1/3"}
  overrides: {unauthorised: reject}
"""
)
START = at(3, 10)


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    """A ticket with some of: resolved, reopened, waiting on a vendor, overrides (by alice,
    who may, and erin, who may not); and its last event's instant."""
    minutes = sorted(draw(st.lists(st.integers(1, 900), min_size=0, max_size=4, unique=True)))
    kinds = draw(
        st.lists(
            st.sampled_from(["resolved", "reopened", "vendor", "work", "alice", "erin"]),
            min_size=len(minutes),
            max_size=len(minutes),
        )
    )
    events: list[dict[str, Any]] = []
    resolved = False
    for minute, kind in zip(minutes, kinds, strict=True):
        stamp = (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if kind == "resolved" and not resolved:
            events.append({"at": stamp, "type": "resolved"})
            resolved = True
        elif kind == "reopened" and resolved:
            events.append({"at": stamp, "type": "reopened"})
            resolved = False
        elif kind == "vendor" and not resolved:
            events.append({"at": stamp, "type": "status-changed", "status": "awaiting-vendor"})
        elif kind == "work" and not resolved:
            events.append({"at": stamp, "type": "status-changed", "status": "in-progress"})
        elif kind in ("alice", "erin"):
            events.append(override(stamp, kind, draw(st.sampled_from(["L1", "L2", "L3"]))))
    impact = draw(st.sampled_from(["high", "low"]))
    last = START + timedelta(minutes=max(minutes, default=0))
    return ticket(*events, impact=impact), last


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(0, 1000))
def test_governance_does_not_change_before_the_next_evaluation(
    case: tuple[dict[str, Any], datetime], offset: int
) -> None:
    data, last = case
    now = last + timedelta(minutes=offset)
    decision = POLICY.evaluate(data, now=now)
    wake = decision.next_evaluation_at
    later = [now + timedelta(minutes=1), now + timedelta(hours=3), now + timedelta(hours=20)]
    for when in later:
        if wake is not None and when >= wake:
            break
        assert (
            decision.to_dict(trace=False)["governance"]
            == (POLICY.evaluate(data, now=when).to_dict(trace=False)["governance"])
        )
    if wake is not None:
        before = POLICY.evaluate(data, now=wake - timedelta(microseconds=1))
        assert (
            before.to_dict(trace=False)["governance"]
            == (decision.to_dict(trace=False)["governance"])
        )
