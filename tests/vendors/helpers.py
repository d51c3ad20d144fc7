"""A vendor contract used across the vendor tests, and tickets engaging the vendor.

The vendor (``acme``) works 09:00-17:00 Monday to Friday in New York (UTC-5 in November);
tickets are written in UTC. 2024-11-20 is a Wednesday: 14:00 UTC is 09:00 in New York.
"""

from __future__ import annotations

import textwrap
from typing import Any

from escalate.engine.compiled import Policy
from escalate.policy.loader import loads

T0 = "2024-11-20T14:00:00+00:00"  # Wed 09:00 New York

CONTRACT = """
calendars:
  acme-hours:
    timezone: America/New_York
    hours: {mon-fri: ["09:00-17:00"]}
    years: [2024, 2025]
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
      - {name: l1, targets: ["team:acme-desk"]}
rules:
  - id: to-acme
    when: {category: storage}
    then: {transfer: {path: acme}}
vendors:
  acme:
    name: ACME Storage Inc.
    path: acme
    calendar: acme-hours
    response: {P1: 30m, default: 2h}
    resolution: {P1: 4h, default: 2bd}
    pause: {status: awaiting-user-info}
    currency: EUR
    monthly_fee: "10000.00"
    contacts:
      - {name: duty-engineer, address: "noc@acme.example", after: 15m}
      - {name: account-manager, address: "am@acme.example", after: 1h}
    procedures:
      - {step: collect-logs, owner: us}
      - {step: replace-disk, owner: vendor}
      - {step: verify, owner: joint, description: both sides confirm the array is healthy}
    clauses:
      - id: late-response
        clock: response
        per: 15m
        amount: "100.00"
        cap: "500.00"
        source: "UC-7 section 4.2"
      - id: late-resolution
        clock: resolution
        per: 1h
        percent: "2.5"
        cap: "1000.00"
        grace: 30m
    data_sharing: {fields: [category, service, priority]}
"""

_CACHE: dict[str, Policy] = {}


def contract(text: str = CONTRACT, **replace: str) -> Policy:
    """The contract policy, with ``old=new`` text replacements (keys are ignored: pairs)."""
    body = textwrap.dedent(text)
    for pair in replace.values():
        old, new = pair.split("=>")
        assert old in body, old
        body = body.replace(old, new)
    full = "policy: p\nversion: 1\n" + body
    found = _CACHE.get(full)
    if found is None:
        found = _CACHE[full] = loads(full, filename="p.yaml")
    return found


def engaged_ticket(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """``INC1``, P1, category storage (the vendor is engaged at the opening, ``T0``)."""
    data: dict[str, Any] = {
        "id": "INC1",
        "opened_at": T0,
        "status": "in-progress",
        "priority": "P1",
        "category": "storage",
        "service": "san",
        "kind": "incident",
    }
    data.update(fields)
    if events:
        data["events"] = list(events)
    return data


def ev(at: str, type_: str, **payload: Any) -> dict[str, Any]:
    return {"at": at, "type": type_, **payload}


def vendor_ack(at: str) -> dict[str, Any]:
    """The vendor acknowledging the page of its path."""
    return ev(at, "acknowledged", path="acme", party="vendor")
