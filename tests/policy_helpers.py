"""Small helpers shared by the evaluate-pipeline tests: policies from inline YAML, tickets as dicts.

Policies are written as short YAML snippets (``policy(...)`` adds the ``policy:``/``version:``
header) and compiled with ``loads(text, filename="p.yaml")``; tickets are plain mappings with ISO
timestamps carrying offsets, as a ticketing backend would send them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.policy.loader import loads

HEADER = "policy: p\nversion: 1\n"

# A weekday office calendar (UTC, 08:00-17:00), compiled for a short year range so it loads fast.
OFFICE = """
calendars:
  office:
    timezone: UTC
    hours: {mon-fri: ["08:00-17:00"]}
    years: [2024, 2025]
"""

_CACHE: dict[str, Policy] = {}


def policy(body: str) -> Policy:
    """Compile ``body`` (YAML without the header) as ``p.yaml``; compiled policies are cached."""
    text = HEADER + textwrap.dedent(body)
    found = _CACHE.get(text)
    if found is None:
        found = _CACHE[text] = loads(text, filename="p.yaml")
    return found


def yaml_text(body: str) -> str:
    """The full policy text ``policy()`` would compile (for line:col assertions)."""
    return HEADER + textwrap.dedent(body)


def utc(text: str) -> datetime:
    """An aware instant from ISO text (offset required)."""
    at = datetime.fromisoformat(text)
    assert at.tzinfo is not None, text
    return at


def iso(at: datetime) -> str:
    """An instant as ISO text in UTC, the way decisions render instants."""
    return at.astimezone(UTC).isoformat()


def ticket(
    opened_at: str = "2024-11-20T10:00:00+00:00",
    *events: Mapping[str, Any],
    **fields: Any,
) -> dict[str, Any]:
    """A ticket mapping ``T1`` opened at ``opened_at`` (priority P1 unless given) with events."""
    data: dict[str, Any] = {"id": "T1", "opened_at": opened_at, "priority": "P1"}
    data.update(fields)
    if events:
        data["events"] = [dict(e) for e in events]
    return {k: v for k, v in data.items() if v is not None}


def event(at: str, type_: str, **payload: Any) -> dict[str, Any]:
    """One history event as a mapping."""
    return {"at": at, "type": type_, **payload}


def plus(start: str, **delta: float) -> str:
    """ISO text of ``start`` shifted by a timedelta (``plus(T0, minutes=30)``)."""
    return (utc(start) + timedelta(**delta)).isoformat()


def done(at: str, action_id: str) -> dict[str, Any]:
    """An ``action-done`` event recording ``action_id``."""
    return event(at, "action-done", action_id=action_id)


def action_ids(decision: Decision) -> list[str]:
    """The ids of the due actions, in emitted order."""
    return [a.id for a in decision.actions]


def rule_status(decision: Decision, rule_id: str) -> str:
    """What happened to one rule (matched, not-matched, shadowed, done)."""
    return next(r.status for r in decision.rule_results if r.rule.id == rule_id)
