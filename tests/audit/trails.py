"""What the audit tests share: a small policy, tickets, and trails built as a caller would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from escalate import Policy, load, loads
from escalate.audit import AuditTrail

ROOT = Path(__file__).resolve().parents[2]
PACK_PATH = ROOT / "rules" / "itil-default.yaml"
PACK = load(PACK_PATH)
TICKETS = ROOT / "examples" / "tickets"

POLICY_TEXT = """
policy: audit-example
version: 1
clocks:
  resolution:
    stop: {status: [resolved, closed, cancelled]}
    targets:
      P1: {within: 4h}
    ladder:
      - at: 75%
        escalate: {path: desk, to: L2}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 1h}
      - {name: L2, targets: ["team:second-line"], after: 1h}
      - {name: L3, targets: ["team:owners"]}
directory:
  people:
    alice: {authority: [override-escalation]}
    bob: {}
    carol: {}
  teams:
    desk: {members: [bob]}
    second-line: {members: [carol]}
    owners: {members: [alice]}
"""
POLICY = loads(POLICY_TEXT)
OPENED = "2024-03-04T08:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def event(when: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"at": when, "type": kind, **data}


def ticket(*events: dict[str, Any], ticket_id: str = "INC1") -> dict[str, Any]:
    return {"id": ticket_id, "opened_at": OPENED, "priority": "P1", "events": list(events)}


def stamp(instant: datetime) -> str:
    return instant.isoformat()


def diligent(
    policy: Policy,
    data: dict[str, Any],
    start: datetime,
    end: datetime,
    *,
    trail: AuditTrail | None = None,
    skip: frozenset[str] = frozenset(),
) -> tuple[AuditTrail, dict[str, Any]]:
    """A middleware that decides at ``start`` and at each ``next_evaluation_at`` before
    ``end``, records each decision, and does every due action a minute later (except the
    ids in ``skip``). Returns the trail and the ticket as it grew."""
    trail = trail if trail is not None else AuditTrail()
    trail.add_policy(policy, start)
    now: datetime | None = start
    data = {**data, "events": list(data["events"])}
    while now is not None and now < end:
        decision = policy.evaluate(data, now=now)
        trail.add_decision(decision, policy)
        done = now + timedelta(minutes=1)
        for action in decision.actions:
            if action.id not in skip:
                data["events"].append(event(stamp(done), "action-done", action_id=action.id))
        nxt = decision.next_evaluation_at
        now = max(nxt, done) if nxt is not None else None
    return trail, data


def text(trail: AuditTrail) -> bytes:
    """The trail's file content (a str is refused as a trail: a path or text?)."""
    return "".join(f"{line}\n" for line in trail.lines()).encode("utf-8")
