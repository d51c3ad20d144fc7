"""Policies and tickets the comms tests share: a small policy with every comms section."""

from __future__ import annotations

import textwrap
from typing import Any

from escalate import Policy, loads

#: A policy with classification, profiles, templates and audiences (and a cadence).
COMMS = """
policy: comms
version: 1
terminology:
  priority: {P1: [Sev1], P2: [Sev2], P3: [Sev3]}
directory:
  people:
    anna: {name: Anna Schmidt, channels: {email: anna@example.com}}
    ben: {name: Ben Weber, channels: {email: ben@example.com}}
    cleo: {name: Cleo Koch, channels: {email: cleo@example.com}}
  teams:
    desk: {members: [anna, ben]}
  roles:
    account-manager: {person: cleo}
    desk-lead: {team: desk}
clocks:
  resolution:
    stop: {category: [resolved, closed, cancelled]}
    targets:
      P1: {within: 4h}
      P2: {within: 8h}
      P3: {within: 3d}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: [team:desk]}
rules:
  - id: p1-notices
    when: {priority: P1, status_category: {not_in: [resolved, closed, cancelled]}}
    then:
      - notify: {to: [customer], template: customer-notice, audience: customer}
      - notify: {to: [role:account-manager], template: briefing, audience: executive}
      - notify: {to: [team:desk], template: internal-update}
classification:
  customer.id: personal
  assignee: personal
  fields.patient_name: health
  fields.root_cause_guess: internal-only
  fields.security_detail: security
  comments: internal-only
redaction:
  external: {redact: [personal, health, security, internal-only]}
  executive: {redact: [personal, health], placeholder: "[withheld]"}
  none: {redact: []}
templates:
  customer-notice:
    audience: customer
    subject: "[{{ ticket.id }}] {{ ticket.category }}"
    body: |
      Dear customer {{ ticket.customer.id }},
      patient {{ ticket.fields.patient_name }}; guess {{ ticket.fields.root_cause_guess }};
      detail {{ ticket.fields.security_detail }}; assignee {{ ticket.assignee }}.
      {% for c in ticket.comments %}comment: {{ c.text }}
      {% endfor %}Contact: {{ owner.name }}
    variables: [ticket, owner.name]
  customer-update:
    audience: customer
    subject: "Update on {{ ticket.id }}"
    body: "{{ ticket.id }} is {{ ticket.status }}; {{ ticket.category }}. Contact: {{ owner.name }}"
    variables: [ticket.id, ticket.status, ticket.category, owner.name]
  briefing:
    audience: executive
    subject: "{{ ticket.priority }} {{ ticket.id }}"
    body: |
      customer {{ ticket.customer.id }}, guess {{ ticket.fields.root_cause_guess }},
      patient {{ ticket.fields.patient_name }}; {{ ticket.category }}
      {% for c in ticket.comments %}comment: {{ c.text }}
      {% endfor %}
    variables: [ticket]
  internal-update:
    audience: internal
    subject: "{{ ticket.id }}"
    body: "customer {{ ticket.customer.id }}, patient {{ ticket.fields.patient_name }}"
    variables: [ticket.id, ticket.customer, ticket.fields]
audiences:
  internal: {redaction: none}
  executive: {redaction: executive}
  customer:
    redaction: external
    point_of_contact: role:account-manager
    cadence: {P1: 60m, P2: 4h}
    template: customer-update
    to: [customer]
  regulator: {point_of_contact: person:cleo}
  vendor: {point_of_contact: assignee}
"""

_CACHE: dict[str, Policy] = {}


def comms_policy(text: str = COMMS) -> Policy:
    """``text`` compiled (cached)."""
    found = _CACHE.get(text)
    if found is None:
        found = _CACHE[text] = loads(textwrap.dedent(text), filename="comms.yaml")
    return found


def p1_ticket(**changes: Any) -> dict[str, Any]:
    """A P1 ticket whose classified fields hold values, in comments and history too."""
    data: dict[str, Any] = {
        "id": "INC1",
        "opened_at": "2024-11-20T10:00:00Z",
        "priority": "P1",
        "category": "network",
        "customer": {"id": "ACME-4711"},
        "assignee": "anna",
        "fields": {
            "patient_name": "Jane Roe",
            "root_cause_guess": "bad BGP config",
            "security_detail": "CVE-2024-1234",
        },
        "events": [
            {"at": "2024-11-20T10:00:00Z", "type": "created"},
            {"at": "2024-11-20T10:01:00Z", "type": "assigned", "assignee": "anna"},
            {
                "at": "2024-11-20T10:02:00Z",
                "type": "field-changed",
                "field": "fields.patient_name",
                "from": "Jane Doe",
                "to": "Jane Roe",
            },
            {"at": "2024-11-20T10:03:00Z", "type": "comment", "text": "Jane Doe called"},
        ],
    }
    data.update(changes)
    return data
