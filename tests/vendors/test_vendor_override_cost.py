"""A policy with vendors, governance and a level granting override-escalation: each override
check and each reopen costs one evaluation, so the work grows linearly with the events (it
grew ~2.7x per override/resolve/reopen triple when the checks replayed the vendors' earlier
engagements and each reopen re-ran the governance stage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import escalate
import escalate.engine.evaluate as evaluate_module

POLICY = escalate.loads(
    """
policy: vendor-override-cost
version: 1
directory:
  people:
    bob: {name: Bob}
  teams:
    acme-desk: {members: [bob]}
paths:
  acme:
    kind: horizontal
    levels:
      - {name: acme-l2, targets: ["team:acme-desk"]}
  tiers:
    kind: vertical
    levels:
      - {name: l1, targets: ["team:acme-desk"], after: 1h}
      - {name: l2, targets: ["team:acme-desk"], authority: [override-escalation]}
rules:
  - id: to-acme
    when: {category: storage}
    then: {transfer: {path: acme}}
vendors:
  acme:
    name: ACME Storage Inc.
    path: acme
    response: {default: 30m}
    resolution: {default: 4h}
governance:
  overrides:
    unauthorised: reject
"""
)
OPENED = datetime(2024, 11, 20, 14, tzinfo=UTC)


def _ticket(triples: int) -> tuple[dict[str, Any], datetime]:
    """Engaged at opening; then ``triples`` times: bob overrides, the ticket is resolved and
    reopened (10 minutes apart)."""
    events: list[dict[str, Any]] = [
        {"at": OPENED.isoformat(), "type": "action-done", "action_id": "V:path:acme:1:0:acme-l2"}
    ]
    t = OPENED
    for i in range(triples):
        t += timedelta(minutes=10)
        level = "l2" if i % 2 else "l1"
        events.append(
            {
                "at": t.isoformat(),
                "type": "override",
                "actor": "bob",
                "reason": "r",
                "path": "tiers",
                "level": level,
            }
        )
        t += timedelta(minutes=10)
        events.append({"at": t.isoformat(), "type": "resolved"})
        t += timedelta(minutes=10)
        events.append({"at": t.isoformat(), "type": "reopened"})
    ticket = {
        "id": "V",
        "opened_at": OPENED.isoformat(),
        "priority": "P1",
        "category": "storage",
        "events": events,
    }
    return ticket, t + timedelta(minutes=1)


@pytest.mark.parametrize("triples", [0, 1, 4, 9])
def test_one_evaluation_per_override_check_and_per_reopen(
    triples: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    inner = evaluate_module._evaluate

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return inner(*args, **kwargs)

    monkeypatch.setattr(evaluate_module, "_evaluate", counted)
    ticket, now = _ticket(triples)
    decision = POLICY.evaluate(ticket, now=now)
    assert 1 + triples + triples == calls  # the evaluation, each override check, each reopen
    assert decision.vendors is not None
    assert triples == len(decision.vendors[0].earlier)


def test_incremental_replay_decides_as_a_full_evaluation() -> None:
    ticket, now = _ticket(4)
    events = escalate.Ticket.from_mapping(ticket).events
    replay = POLICY.replay(escalate.Ticket.from_mapping({**ticket, "events": []}))
    for event in events:
        decision = replay.update(events=[event], now=event.at)
        assert POLICY.evaluate(replay.ticket, now=event.at).to_json() == decision.to_json()
    assert POLICY.evaluate(ticket, now=now).to_json() == replay.decide(now).to_json()
