"""The policy the post-mortem tests share, and helpers to build tickets for it.

Calendar ``office`` is Europe/Berlin, Monday to Friday 09:00-17:00. In 2024 Berlin leaves
summer time on Sunday 27 October: 09:00-17:00 is 07:00-15:00 UTC up to Friday 25 October and
08:00-16:00 UTC from Monday 28 October.

Rule ``pm`` requires a post-mortem (within 5 days, owned by ``role:problem-manager``, filled
by pat) once the ticket is resolved; ``postmortem:`` makes an action item without its own due
date due 2 business days on ``office`` after it was recorded, notifies its owner at 100 % and
the owner's manager at 150 %, and notifies the post-mortem's owner when the document is due.

The ticket ``T1`` opens Friday 25 October 10:00 UTC and is resolved at 11:00 UTC: the
post-mortem is required then, due Wednesday 30 October 11:00 UTC (five days of wall time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from escalate import Policy, loads

BASE = """\
policy: pm-tests
version: "1"
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["09:00-17:00"]}
    years: [2024, 2025]
directory:
  people:
    anna: {managers: [max]}
    max: {}
    pat: {}
    zoe: {}
  roles:
    problem-manager: {person: pat}
rules:
  - id: pm
    when: {status_category: [resolved, closed]}
    then: {require_postmortem: {within: 5d, owner: role:problem-manager}}
"""

SECTION = """\
postmortem:
  items: {due: 2bd, calendar: office}
  escalation:
    - {at: 100%, notify: {to: [item-owner]}}
    - {at: 150%, notify: {to: [item-owner-manager]}}
  document_escalation:
    - {at: 100%, notify: {to: [postmortem-owner]}}
"""

#: When T1 is resolved, so when its post-mortem is required.
REQUIRED = "2024-10-25T11:00:00Z"
REQUIRED_BY = "T1:rule:pm:20241025T110000Z:require_postmortem0"


def policy(rules: str = "", section: str = SECTION, extra: str = "") -> Policy:
    """The shared policy with more ``rules`` (list entries), another ``section`` and
    ``extra`` top-level keys."""
    return loads(BASE + rules + section + extra, filename="pm.yaml")


def at(text: str) -> datetime:
    """An instant written ``2024-10-29T14:00:00Z`` (µs allowed)."""
    return datetime.fromisoformat(text).astimezone(UTC)


def pm(when: str, change: str, **payload: Any) -> dict[str, Any]:
    """A ``postmortem`` event."""
    return {"at": when, "type": "postmortem", "change": change, **payload}


def item(when: str, item_id: str, owner: str = "anna", **payload: Any) -> dict[str, Any]:
    """An ``item`` event for ``item_id`` titled after it."""
    return pm(when, "item", item=item_id, title=f"do {item_id}", owner=owner, **payload)


def done(when: str, action_id: str) -> dict[str, Any]:
    """An ``action-done`` event."""
    return {"at": when, "type": "action-done", "action_id": action_id}


def ticket(*events: dict[str, Any], closed: bool = False, recorded: bool = True) -> dict[str, Any]:
    """T1, resolved at :data:`REQUIRED` (the ``require_postmortem`` action recorded done at
    11:05 UTC unless not ``recorded``; closed at 12:00 UTC with ``closed``), with ``events``
    after that, in time order."""
    history: list[dict[str, Any]] = [{"at": REQUIRED, "type": "resolved"}]
    if recorded:
        history.append(done("2024-10-25T11:05:00Z", REQUIRED_BY))
    if closed:
        history.append({"at": "2024-10-25T12:00:00Z", "type": "closed"})
    return {
        "id": "T1",
        "opened_at": "2024-10-25T10:00:00Z",
        "assignee": "zoe",
        "events": [
            {"at": "2024-10-25T10:00:00Z", "type": "assigned", "assignee": "zoe"},
            *history,
            *events,
        ],
    }
