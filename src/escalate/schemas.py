"""JSON Schemas of the formats integrators exchange with escalate.

``json_schema(kind)`` returns a JSON Schema (draft 2020-12) document for one of:

* ``policy``: the YAML policy format (from :func:`escalate.policy.models.policy_json_schema`);
* ``ticket``: the ticket input of ``Policy.evaluate`` / ``Ticket.from_mapping``;
* ``availability``: the availability input of ``Policy.evaluate``;
* ``decision``: what ``Decision.to_dict()`` returns;
* ``cases``: a case file (``<policy>.cases.yaml``) that ``escalate test`` and the pytest
  plugin run (from :class:`escalate.testing.case_format.CaseFileInput`);
* ``calibration``: a calibration file that ``escalate calibrate --variants`` reads (from
  :class:`escalate.adapters.servicenow.CalibrationInput`).

The ticket, availability and decision schemas are generated from the pydantic models that
validate (or describe) them, so they cannot drift from the code. ``escalate schema KIND``
prints the same documents. Field-by-field documentation: ``docs/ticket-format.md``,
``docs/decision-format.md`` and ``docs/testing-policies.md``.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from escalate.adapters.servicenow import CalibrationInput
from escalate.engine.decision import DECISION_FORMAT
from escalate.engine.decision_format import DecisionOutput
from escalate.engine.ticket_format import TicketInput
from escalate.errors import EscalateError
from escalate.people.availability import AvailabilityInput
from escalate.policy.models import policy_json_schema
from escalate.testing.case_format import CaseFileInput

__all__ = ["DRAFT", "KINDS", "json_schema"]

#: The JSON Schema dialect of every document.
DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: The formats that have a schema, in the order the CLI lists them.
KINDS = ("policy", "ticket", "availability", "decision", "cases", "calibration")

_TICKET_EXAMPLE: dict[str, Any] = {  # examples/tickets/INC0010001.json
    "id": "INC0010001",
    "kind": "incident",
    "opened_at": "2024-11-20T11:20:00+00:00",
    "priority": "1 - Critical",
    "impact": "1 - High",
    "urgency": "1 - High",
    "category": "network",
    "subcategory": "wan",
    "service": "order-portal",
    "configuration_item": "rtr-fra-core-01",
    "assignment_group": "service-desk",
    "assignee": "anna.schmidt",
    "status": "in-progress",
    "customer": {"id": "C-1042", "tier": "gold", "vip": False},
    "events": [
        {"at": "2024-11-20T11:20:00+00:00", "type": "created"},
        {
            "at": "2024-11-20T11:21:30+00:00",
            "type": "assigned",
            "group": "service-desk",
            "assignee": "anna.schmidt",
        },
        {"at": "2024-11-20T11:28:00+00:00", "type": "acknowledged", "actor": "anna.schmidt"},
        {"at": "2024-11-20T11:29:00+00:00", "type": "status-changed", "status": "in-progress"},
        {
            "at": "2024-11-20T11:40:00+00:00",
            "type": "action-done",
            "action_id": "INC0010001:rule:p1-bridge:20241120T112000Z:open_bridge0",
            "actor": "middleware",
        },
        {"at": "2024-11-20T13:05:00+00:00", "type": "agent-update"},
    ],
}
_AVAILABILITY_EXAMPLE: dict[str, Any] = {  # examples/availability.json
    "out_of_office": [
        {
            "person": "markus.braun",
            "from": "2024-11-18T00:00:00+01:00",
            "until": "2024-11-23T00:00:00+01:00",
            "reason": "annual leave",
        },
        {
            "person": "sofia.rossi",
            "from": "2024-11-20T12:00:00+00:00",
            "until": "2024-11-20T18:00:00+00:00",
            "reason": "sick leave",
        },
    ],
    "unreachable": [],
    "schedule_overrides": [],
}
_HASH = "0" * 64
_DECISION_EXAMPLE: dict[str, Any] = {  # INC0010001 against rules/itil-default.yaml (abridged)
    "format": DECISION_FORMAT,
    "policy": {"id": "itil-default", "version": "1", "hash": _HASH},
    "segment": None,
    "ticket": "INC0010001",
    "input_digest": _HASH,
    "evaluated_at": "2024-11-20T15:00:00+00:00",
    "priority": "P1",
    "actions": [
        {
            "id": "INC0010001:clock:resolution#1@1:notify1",
            "kind": "notify",
            "source": "clock:resolution@75%",
            "due_at": "2024-11-20T14:20:00+00:00",
            "late": True,
            "targets": ["assignee", "assignment-group"],
            "people": ["anna.schmidt", "jonas.weber", "lena.fischer"],
            "notes": [],
            "details": {"audience": "internal", "channel": "chat", "template": "sla-at-risk"},
            "rationale": "at risk; second-line specialists join before the breach, not after",
        }
    ],
    "clocks": [],
    "paths": [],
    "next_evaluation_at": "2024-11-20T15:20:00+00:00",
    "rules": [],
}
_CASES_EXAMPLE: dict[str, Any] = {  # a part of rules/itil-default.cases.yaml
    "defaults": {"now": "2024-11-20T15:00:00Z", "availability": "../examples/availability.json"},
    "cases": [
        {
            "name": "p1-at-risk-pages-second-line",
            "ticket": "../examples/tickets/INC0010001.json",
            "expect": {
                "levels": {"service-desk": "L2", "after-hours": None},
                "rules": ["wrong-team"],
                "actions": [{"kind": "escalate", "path": "service-desk", "level": "L2"}],
                "clocks": {"resolution": {"state": "running", "percent": "91.67"}},
                "next_evaluation_at": "2024-11-20T15:05:00Z",
            },
            "expect_not": {"rules": ["vip-heads-up"]},
        }
    ],
}

_CALIBRATION_EXAMPLE: dict[str, Any] = {  # the example of docs/integrations.md
    "clock": "resolution",
    "stop": {"closed": {"category": ["closed", "cancelled"]}},
    "new_cycle_on": {"none": None},
    "pause": {"none": None, "waiting": {"status": ["awaiting-user-info", "awaiting-vendor"]}},
    "calendar": {
        "24x7": "24x7",
        "weekdays": {"timezone": "UTC", "hours": {"mon-fri": "00:00-24:00"}},
    },
    "targets": {"itil": {"P1": "4h", "P2": "8h", "P3": "3bd", "P4": "5bd"}},
    "fit": True,
}

_DOCUMENTS: dict[str, tuple[type[BaseModel], str, str, dict[str, Any]]] = {
    "ticket": (
        TicketInput,
        "escalate ticket",
        "A ticket as escalate reads it (Ticket.from_mapping): its fields and its event "
        "history. See docs/ticket-format.md.",
        _TICKET_EXAMPLE,
    ),
    "availability": (
        AvailabilityInput,
        "escalate availability",
        "Who cannot be reached, supplied with each evaluation (Availability.from_mapping).",
        _AVAILABILITY_EXAMPLE,
    ),
    "decision": (
        DecisionOutput,
        "escalate decision",
        f"What Decision.to_dict() returns, format {DECISION_FORMAT}: due actions with stable "
        "ids, clocks, paths, the next evaluation instant and the rule trace. See "
        "docs/decision-format.md.",
        _DECISION_EXAMPLE,
    ),
    "cases": (
        CaseFileInput,
        "escalate case file",
        "Named cases for a policy (<policy>.cases.yaml): inputs and the decision expected, "
        "run by `escalate test` and the pytest plugin. See docs/testing-policies.md.",
        _CASES_EXAMPLE,
    ),
    "calibration": (
        CalibrationInput,
        "escalate calibration file",
        "The variants of one clock that `escalate calibrate` sweeps against a log's own "
        "verdict: stops, new cycles, pauses, calendars and targets per priority, each named; "
        "the clock's own setting is always the variant 'policy'. See docs/integrations.md.",
        _CALIBRATION_EXAMPLE,
    ),
}


def json_schema(kind: str = "policy") -> dict[str, Any]:
    """The JSON Schema document of one format: ``policy``, ``ticket``, ``availability``,
    ``decision``, ``cases`` or ``calibration``. A fresh dict on every call (callers may change it).

    >>> schema = json_schema("ticket")
    >>> schema["$id"], schema["$schema"]
    ('urn:escalate:schema:ticket:1', 'https://json-schema.org/draft/2020-12/schema')
    """
    if kind == "policy":
        body = copy.deepcopy(policy_json_schema())
        title = body.get("title") or "escalate policy"
        description = body.get("description") or "An escalate policy (YAML), as JSON."
        version = 1
    elif kind in _DOCUMENTS:
        model, title, description, example = _DOCUMENTS[kind]
        body = model.model_json_schema()
        body["examples"] = [copy.deepcopy(example)]
        version = DECISION_FORMAT if kind == "decision" else 1
    else:
        raise EscalateError(f"unknown schema {kind!r}; expected one of {', '.join(KINDS)}")
    head = {
        "$schema": DRAFT,
        "$id": f"urn:escalate:schema:{kind}:{version}",
        "title": title,
        "description": description,
    }
    for key in head:
        body.pop(key, None)
    return {**head, **body}
