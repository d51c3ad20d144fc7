"""The policy the governance tests share, and helpers to build variants of it.

Schedule ``im`` (the incident-manager role) hands off daily at 09:00 UTC from Monday
2024-06-03: bob until Tuesday 09:00, then carol until Wednesday 09:00, then bob again.
Path ``desk`` starts when the ticket opens: L1 (bob) for 30m, L2 (dave; authority
approve-emergency-change and override-escalation) for 1h, then L3 (carol). A ticket opened
Monday 10:00 is at L1 until 10:30, at L2 until 11:30, at L3 from 11:30 on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from escalate import Policy, loads

BASE = """\
policy: governance-tests
version: "1"
terminology:
  impact:
    high: ["1"]
    medium: ["2"]
    low: ["3"]
directory:
  people:
    alice:
      authority: [override-escalation, declare-major-incident]
      spend_limit: {amount: "5000.00", currency: EUR}
    bob: {}
    carol: {}
    dave: {}
    erin: {}
    frank: {}
    mona:
      spend_limit: {amount: "250000", currency: USD}
  teams:
    vendors: {members: [frank]}
  roles:
    incident-manager:
      schedule: im
      backup: frank
      authority: [pause-clock, override-escalation]
      spend_limit: {amount: "20000.00", currency: EUR}
    service-owner: {person: erin, authority: [approve-emergency-change]}
    vendor-desk: {team: vendors, authority: [engage-vendor]}
schedules:
  im:
    timezone: UTC
    layers:
      - name: primary
        level: 1
        rotation: {members: [bob, carol], turn: 1d, handoff: "09:00", anchor: "2024-06-03"}
clocks:
  resolution:
    type: resolution
    start: {event: created}
    pause: {status: [awaiting-vendor]}
    stop: {category: [resolved, closed, cancelled]}
    targets:
      P1: {within: 4h}
      default: {within: 1d}
paths:
  desk:
    kind: vertical
    starts: on-open
    levels:
      - {name: L1, targets: [person:bob], after: 30m}
      - name: L2
        targets: [person:dave]
        after: 1h
        authority: [approve-emergency-change, override-escalation]
      - {name: L3, targets: [person:carol]}
"""

OPENED = "2024-06-03T10:00:00Z"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in June 2024, UTC (day 3 is a Monday)."""
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


def policy(extra: str = "") -> Policy:
    """The base policy with ``extra`` YAML (top-level sections) appended."""
    return loads(BASE + extra, filename="gov.yaml")


def ticket(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A P1 ticket opened Monday 10:00 with these events."""
    data: dict[str, Any] = {"id": "INC1", "opened_at": OPENED, "priority": "P1"}
    data.update(fields)
    data["events"] = list(events)
    return data


def override(when: str, actor: str, level: str) -> dict[str, Any]:
    """An override event of path ``desk``."""
    return {
        "at": when,
        "type": "override",
        "actor": actor,
        "reason": "manual",
        "path": "desk",
        "level": level,
    }
