"""JSON Schemas of the exchanged formats: examples and real decisions validate, bad input does
not, and the documentation names exactly the models' fields."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from escalate.engine.decision_format import (
    ActionOutput,
    ClockOutput,
    CommunicationOutput,
    ConditionTrace,
    DecisionOutput,
    GovernanceOutput,
    OverrideCheckOutput,
    PathOutput,
    PenaltyOutput,
    PolicyRef,
    PostmortemItemOutput,
    PostmortemOutput,
    RuleTrace,
    VendorClockOutput,
    VendorOutput,
    WithdrawnOutput,
)
from escalate.engine.ticket import EVENT_TYPES, Ticket
from escalate.engine.ticket_format import CustomerInput, TicketInput, event_models
from escalate.errors import EscalateError
from escalate.people.availability import (
    Availability,
    AvailabilityInput,
    CoverInput,
    OutOfOfficeInput,
)
from escalate.policy.loader import load
from escalate.schemas import DRAFT, KINDS, json_schema

ROOT = Path(__file__).parent.parent
TICKET_FILES = sorted((ROOT / "examples" / "tickets").glob("*.json"))
AVAILABILITY = json.loads((ROOT / "examples" / "availability.json").read_text())
POLICY = load(ROOT / "rules" / "itil-default.yaml")
HOURS_AFTER_LAST_EVENT = (0, 1, 3, 8, 30, 200)


def validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        json_schema(kind), format_checker=jsonschema.FormatChecker()
    )


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def example_decisions(*, trace: bool) -> list[dict[str, Any]]:
    """Every example ticket evaluated at several instants after its last event."""
    availability = Availability.from_mapping(AVAILABILITY)
    out = []
    for path in TICKET_FILES:
        ticket = Ticket.from_mapping(read(path))
        last = ticket.events[-1].at if ticket.events else ticket.opened_at
        for hours in HOURS_AFTER_LAST_EVENT:
            now = last + timedelta(hours=hours)
            decision = POLICY.evaluate(ticket, now=now, availability=availability)
            out.append(decision.to_dict(trace=trace))
    return out


def errors(kind: str, document: object) -> list[str]:
    return [error.message for error in validator(kind).iter_errors(document)]


# -- the documents ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_schema_is_a_valid_draft_2020_12_document(kind: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_every_schema_names_its_dialect_and_a_versioned_urn(kind: str) -> None:
    schema = json_schema(kind)
    assert (DRAFT, f"urn:escalate:schema:{kind}:1", True, True) == (
        schema["$schema"],
        schema["$id"],
        bool(schema["title"]),
        bool(schema["description"]),
    )


@pytest.mark.parametrize("kind", ["ticket", "availability", "decision", "calibration"])
def test_the_examples_in_a_schema_validate_against_it(kind: str) -> None:
    schema = json_schema(kind)
    assert [[]] * len(schema["examples"]) == [errors(kind, e) for e in schema["examples"]]


def test_the_ticket_schema_example_is_the_first_example_ticket() -> None:
    assert [read(TICKET_FILES[0])] == json_schema("ticket")["examples"]


def test_the_availability_schema_example_is_the_example_file() -> None:
    assert [AVAILABILITY] == json_schema("availability")["examples"]


def test_instants_ids_and_durations_carry_patterns() -> None:
    ticket, decision = json_schema("ticket"), json_schema("decision")
    defs = decision["$defs"]
    assert (True, True, True, True) == (
        "pattern" in ticket["properties"]["opened_at"],
        "pattern" in defs["ActionOutput"]["properties"]["id"],
        "pattern" in defs["ClockOutput"]["properties"]["elapsed"],
        "pattern" in decision["properties"]["input_digest"],
    )


def test_each_call_returns_a_fresh_document() -> None:
    json_schema("ticket")["title"] = "changed"
    assert "escalate ticket" == json_schema("ticket")["title"]


def test_an_unknown_kind_is_an_escalate_error() -> None:
    with pytest.raises(EscalateError):
        json_schema("tickets")


# -- inputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", TICKET_FILES, ids=lambda p: p.stem)
def test_every_example_ticket_validates_against_the_json_schema(path: Path) -> None:
    assert [] == errors("ticket", read(path))


@pytest.mark.parametrize("path", TICKET_FILES, ids=lambda p: p.stem)
def test_every_example_ticket_validates_through_the_pydantic_model(path: Path) -> None:
    assert read(path)["id"] == TicketInput.model_validate(read(path)).id


def test_a_ticket_written_by_to_dict_validates_against_the_schema() -> None:
    assert [] == errors("ticket", Ticket.from_mapping(read(TICKET_FILES[0])).to_dict())


def test_display_spellings_of_names_validate_like_canonical_ones() -> None:
    data = read(TICKET_FILES[0])
    data["status"] = "In Progress"
    data["events"][3] = {**data["events"][3], "type": "Status_Changed", "status": "IN-PROGRESS"}
    assert [] == errors("ticket", data)


def test_the_example_availability_validates_against_the_schema_and_the_model() -> None:
    assert ([], 2) == (
        errors("availability", AVAILABILITY),
        len(AvailabilityInput.model_validate(AVAILABILITY).out_of_office),
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda t: t["events"][0].update(at="2024-11-20T11:20:00"), "no offset"),
        (lambda t: t.update(priorty="P1"), "unknown key"),
        (lambda t: t.update(fields={"u_score": 0.5}), "float custom field"),
        (lambda t: t["events"][1].update(type="asigned"), "unknown event type"),
        (lambda t: t["events"][0].update(action_id="x"), "payload the type does not take"),
        (lambda t: t.pop("opened_at"), "missing opened_at"),
        (lambda t: t.update(reopen_count=-1), "negative counter"),
        (lambda t: t.update(kind="incidnet"), "unknown kind"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_hand_made_invalid_ticket_is_rejected_by_schema_and_reader(change: Any, why: str) -> None:
    data = copy.deepcopy(read(TICKET_FILES[0]))
    change(data)
    with pytest.raises(EscalateError):
        Ticket.from_mapping(data)
    assert errors("ticket", data) != [], why


def test_an_availability_with_a_naive_instant_is_rejected_by_the_schema() -> None:
    data = {"out_of_office": [{"person": "a", "from": "2024-11-20T00:00:00"}]}
    assert errors("availability", data) != []


# -- decisions ----------------------------------------------------------------------------------


def test_every_example_decision_validates_against_the_json_schema() -> None:
    documents = [json.loads(json.dumps(d)) for d in example_decisions(trace=True)]
    assert [[]] * len(documents) == [errors("decision", d) for d in documents]


def test_every_example_decision_without_trace_validates_against_the_json_schema() -> None:
    documents = [json.loads(json.dumps(d)) for d in example_decisions(trace=False)]
    assert [[]] * len(documents) == [errors("decision", d) for d in documents]


def test_every_example_decision_validates_through_the_pydantic_model() -> None:
    decisions = example_decisions(trace=True)
    assert [d["ticket"] for d in decisions] == [
        DecisionOutput.model_validate(d).ticket for d in decisions
    ]


def test_the_example_decisions_contain_actions_clocks_paths_and_rules() -> None:
    decisions = example_decisions(trace=True)
    assert (True, True, True, True) == (
        any(d["actions"] for d in decisions),
        all(d["clocks"] for d in decisions),
        all(d["paths"] for d in decisions),
        all(d["rules"] for d in decisions),
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.pop("format"), "no format"),
        (lambda d: d.update(format=2), "another format"),
        (lambda d: d.update(evaluated_at="2024-11-20T15:00:00+01:00"), "not UTC"),
        (lambda d: d["actions"][0].update(id="anything"), "not an action id"),
        (lambda d: d["clocks"][0].update(elapsed="4 hours"), "not a duration"),
        (lambda d: d.update(input_digest="abc"), "not a digest"),
        (lambda d: d.update(extra=1), "unknown key"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_hand_made_invalid_decision_is_rejected_by_schema_and_model(
    change: Any, why: str
) -> None:
    document = next(d for d in example_decisions(trace=True) if d["actions"])
    document = json.loads(json.dumps(document))
    change(document)
    with pytest.raises(ValidationError):
        DecisionOutput.model_validate(document)
    assert errors("decision", document) != [], why


@pytest.mark.parametrize(
    "action_id",
    [
        "INC0010001:clock:resolution#1@1:notify1",
        "INC0010001:rule:p1-bridge:20241120T112000Z:open_bridge0",
        "INC0010001:rule:p1-bridge:20241120T112000.000001Z:open_bridge0",
        "INC0010001:path:service-desk:1:0:L2",
        "INC0010001:path:service-desk:1:0:L2:unacknowledged",
        "INC0010001:path:service-desk:1:0:L2:handoff:sd-rota:20241120T160000Z",
        "INC0010001:path:after-hours:1:0:on-call/notify/sofia.rossi/1",
        "INC0010001:path:after-hours:1:0:on-call:unacknowledged/notify/tom.becker/0",
        "INC0010001:rule:p1-bridge:20241120T112000Z:notify0/notify/anna/2",
        "INC0010001:clock:resolution#1@1:notify1/comms-failure",
        "INC0010001:path:after-hours:1:0:duty-manager/comms-failure",
        "INC0010001:status-page:order-portal:rule:p1-status-page:20241120T112000Z:status_page0",
        "INC0010001:status-page:EU%3A web:clock:resolution#1@0:status_page0",
        "INC0010001:status-page:order-portal:resolved:20241120T170000Z",
        "INC0010001:rule:p1-bridge:20241120T112000Z:open_bridge0:join:service-desk:20241120T142000Z",
        "INC0010001:postmortem:fix-dns-ttl#1@1:notify0",
        "INC0010001:postmortem:document#2@0:custom0",
    ],
)
def test_every_documented_action_id_shape_matches_the_pattern(action_id: str) -> None:
    pattern = json_schema("decision")["$defs"]["ActionOutput"]["properties"]["id"]["pattern"]
    assert re.fullmatch(pattern, action_id) is not None


# -- documentation cannot drift from the models -------------------------------------------------


def documented_keys(page: str) -> set[str]:
    """The backticked names in the first column of every table of a docs page."""
    text = (ROOT / "docs" / page).read_text()
    return set(re.findall(r"^\| `([a-z_][a-z0-9_-]*)` \|", text, flags=re.MULTILINE))


def model_keys(*models: type[BaseModel]) -> set[str]:
    return {info.alias or name for m in models for name, info in m.model_fields.items()}


TICKET_MODELS: tuple[type[BaseModel], ...] = (
    TicketInput,
    CustomerInput,
    AvailabilityInput,
    OutOfOfficeInput,
    CoverInput,
)
DECISION_MODELS: tuple[type[BaseModel], ...] = (
    DecisionOutput,
    PolicyRef,
    ActionOutput,
    ClockOutput,
    PathOutput,
    RuleTrace,
    ConditionTrace,
    WithdrawnOutput,
    CommunicationOutput,
    VendorOutput,
    VendorClockOutput,
    PenaltyOutput,
    GovernanceOutput,
    OverrideCheckOutput,
    PostmortemOutput,
    PostmortemItemOutput,
)


def test_every_ticket_customer_and_availability_field_is_documented() -> None:
    assert set() == model_keys(*TICKET_MODELS) - documented_keys("ticket-format.md")


def test_every_event_payload_key_is_named_in_the_event_table() -> None:
    text = (ROOT / "docs" / "ticket-format.md").read_text()
    table = text[text.index("### Events") : text.index("## Availability")]
    named = set(re.findall(r"`([a-z_][a-z0-9_-]*)`", table))
    payload = model_keys(*event_models().values())
    assert set() == payload - named


def test_every_event_type_has_a_row_in_the_event_table() -> None:
    assert set() == set(EVENT_TYPES) - documented_keys("ticket-format.md")


def test_no_documented_ticket_field_is_missing_from_the_models() -> None:
    known = model_keys(*TICKET_MODELS) | set(EVENT_TYPES)
    assert set() == documented_keys("ticket-format.md") - known


def test_every_decision_field_is_documented() -> None:
    assert set() == model_keys(*DECISION_MODELS) - documented_keys("decision-format.md")


def test_no_documented_decision_field_is_missing_from_the_models() -> None:
    assert set() == documented_keys("decision-format.md") - model_keys(*DECISION_MODELS)


def test_the_decision_model_describes_every_key_to_dict_writes() -> None:
    decision = next(d for d in example_decisions(trace=True) if d["actions"])
    only_when_some = {"missed", "withdrawn"}  # audit keys (tests/engine/test_missed.py)
    only_when_some.add("warnings")  # a misspelt milestone (tests/regulatory/test_warnings.py)
    only_when_some.add("vendors")  # only with vendors: (tests/vendors/test_vendor_acceptance.py)
    only_when_declared = {"governance", "postmortem"}  # tests/governance, tests/postmortem
    assert (
        set(DecisionOutput.model_fields) - only_when_some - only_when_declared,
        set(ActionOutput.model_fields) - {"risks"},  # only with risk classes (tests/governance)
        set(ClockOutput.model_fields),
        set(PathOutput.model_fields),
        set(RuleTrace.model_fields),
    ) == (
        set(decision),
        set(decision["actions"][0]),
        set(decision["clocks"][0]),
        set(decision["paths"][0]),
        set(decision["rules"][0]),
    )


def test_an_evaluation_instant_is_written_in_utc() -> None:
    decision = example_decisions(trace=False)[0]
    assert datetime.fromisoformat(decision["evaluated_at"]).utcoffset() == timedelta(0)


def test_a_notify_channel_is_a_kind_or_a_declared_channel_name() -> None:
    """``notify.channel`` is a kind or, once ``channels:`` are declared, one of their names:
    the schema leaves the check to the compiler (it depends on the policy) and says so."""
    spec = json_schema("policy")["$defs"]["NotifySpec"]["properties"]["channel"]
    assert "enum" not in spec
    assert "declares channels:" in spec["description"]
    rule = {"id": "r", "when": {"priority": "P1"}, "then": [{"notify": {"to": ["assignee"]}}]}
    document = {"policy": "x", "version": 1, "rules": [rule]}
    rule["then"][0]["notify"]["channel"] = "mail"
    assert errors("policy", document) == []
