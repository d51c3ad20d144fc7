"""A vendor receives only the ticket fields its agreement lists, and nothing the vendor
audience's redaction profile withholds."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import ArgumentError
from tests.vendors.helpers import CONTRACT, contract, engaged_ticket

NOW = datetime.fromisoformat("2024-11-20T16:00:00+00:00")
# Values that must never reach the vendor: every field the agreement does not list.
SECRETS = {
    "region": "Secret-Region-Alpha",
    "assignee": "secret-assignee-bravo",
    "business_unit": "Secret-Unit-Charlie",
    "configuration_item": "secret-ci-delta",
    "customer": {"id": "secret-customer-echo", "tier": "secret-tier-foxtrot"},
    "fields": {"patient_name": "Secret Patient Golf"},
}


def test_the_vendor_view_holds_only_the_listed_fields_and_its_own_state() -> None:
    policy = contract()
    decision = policy.evaluate(engaged_ticket(**SECRETS), now=NOW)
    view = policy.vendor_view(decision, "acme")
    assert {"id": "INC1", "category": "storage", "service": "san", "priority": "P1"} == view[
        "ticket"
    ]
    # No response in 2h of a 30m target: the response clause is at its 500.00 cap.
    assert ("acme", "500.00") == (view["state"]["vendor"], view["state"]["penalty_total"])
    assert {"audience", "vendor", "evaluated_at", "ticket", "state", "procedures"} == set(view)
    assert [("collect-logs", "us"), ("replace-disk", "vendor"), ("verify", "joint")] == [
        (p["step"], p["owner"]) for p in view["procedures"]
    ]


def test_no_value_of_an_unlisted_field_reaches_the_vendor() -> None:
    policy = contract()
    decision = policy.evaluate(engaged_ticket(**SECRETS), now=NOW)
    text = json.dumps(policy.vendor_view(decision, "acme")).casefold()
    leaked = [v for v in _strings(SECRETS) if v.casefold() in text]
    assert [] == leaked


@settings(max_examples=40)
@given(
    st.dictionaries(
        st.sampled_from(["region", "assignee", "business_unit", "subcategory", "severity"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=12, max_size=20),
    )
)
def test_no_generated_value_of_an_unlisted_field_reaches_the_vendor(values: dict[str, str]) -> None:
    policy = contract()
    decision = policy.evaluate(engaged_ticket(**values), now=NOW)
    text = json.dumps(policy.vendor_view(decision, "acme"))
    assert [] == [v for v in values.values() if v in text]


def test_a_listed_field_the_profile_allows_is_shared_masked_fields_never() -> None:
    # The profile withholds health data only; the agreement lists region (unclassified).
    policy = contract(
        CONTRACT
        + """
classification:
  fields.patient_name: health
redaction:
  vendor-profile: {redact: [health]}
audiences:
  vendor: {redaction: vendor-profile, point_of_contact: "team:acme-desk"}
""",
        fields="fields: [category, service, priority]=>fields: [category, region]",
    )
    decision = policy.evaluate(engaged_ticket(**SECRETS), now=NOW)
    view = policy.vendor_view(decision, "acme")
    assert {"id": "INC1", "category": "storage", "region": "Secret-Region-Alpha"} == view["ticket"]
    assert "Secret Patient Golf" not in json.dumps(view)


def test_an_unknown_vendor_is_an_argument_error_naming_the_known_ones() -> None:
    policy = contract()
    decision = policy.evaluate(engaged_ticket(), now=NOW)
    with pytest.raises(ArgumentError, match=r"has no vendor 'acne' \(vendors: acme\)"):
        policy.vendor_view(decision, "acne")


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return [value] if isinstance(value, str) else []
