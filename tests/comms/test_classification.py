"""A misspelt classification must not silently turn redaction off: with custom_fields declared
it is a load error; without, lint warns (classified-field-unknown)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from escalate import PolicyError, lint, loads
from tests.comms.helpers import COMMS, comms_policy, p1_ticket

DECLARED = COMMS.replace(
    "clocks:\n",
    "custom_fields: {patient_name: string, root_cause_guess: string, security_detail: string}\n"
    "clocks:\n",
    1,
)


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="comms.yaml")
    return caught.value


def test_the_policy_with_declared_custom_fields_loads_and_redacts() -> None:
    policy = comms_policy(DECLARED)
    decision = policy.evaluate(p1_ticket(), now=datetime(2024, 11, 20, 10, 30, tzinfo=UTC))
    bodies = [m.body for m in policy.messages(decision) if m.audience == "customer"]
    assert bodies and all("Jane Roe" not in b for b in bodies)


def test_a_misspelt_classified_field_is_a_load_error_when_custom_fields_are_declared() -> None:
    error = _error(DECLARED.replace("fields.patient_name: health", "fields.patient_nme: health"))
    assert ("classification", "fields.patient_nme") == error.path
    assert "'patient_nme' is not one of them" in error.message
    assert "fields.patient_name" == error.suggestion


def test_a_template_naming_an_undeclared_custom_field_is_a_load_error() -> None:
    text = DECLARED.replace(
        "patient {{ ticket.fields.patient_name }}; guess",
        "patient {{ ticket.fields.patient }}; guess",
    )
    error = _error(text)
    assert ("templates", "customer-notice", "body") == error.path
    assert "the policy has no custom field 'patient'" in error.message
    assert "ticket.fields.patient_name" == error.suggestion
    text = DECLARED.replace(
        "variables: [ticket.id, ticket.customer, ticket.fields]",
        "variables: [ticket.id, ticket.customer, ticket.fields.patient_nam]",
    )
    error = _error(text)
    assert ("templates", "internal-update", "variables", 2) == error.path
    assert "ticket.fields.patient_name" == error.suggestion


def _unknown(text: str) -> list[tuple[object, ...]]:
    return [
        f.where
        for f in lint(loads(text, filename="c.yaml"))
        if f.code == "classified-field-unknown"
    ]


def test_without_custom_fields_a_classified_field_nothing_names_is_a_lint_warning() -> None:
    assert [] == _unknown(COMMS)
    typo = COMMS.replace("fields.patient_name: health", "fields.patient_nme: health")
    assert [("classification", "fields.patient_nme")] == _unknown(typo)
    assert [] == _unknown(DECLARED)
