"""A contract that cannot be right is a load error naming file:line:col, the key path and the
bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate import PolicyError, lint, load
from escalate.policy.loader import loads
from tests.vendors.helpers import CONTRACT


def error(**replace: str) -> str:
    text = "policy: p\nversion: 1\n" + CONTRACT
    for pair in replace.values():
        old, new = pair.split("=>")
        assert old in text, old
        text = text.replace(old, new, 1)
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="p.yaml")
    return str(caught.value)


CASES = [
    (
        'amount: "100.00"=>amount: 100.5',
        "p.yaml:48:9: vendors.acme.clauses[0].amount: write amounts as strings, e.g. '250.00' "
        "(got the number 100.5)",
    ),
    (
        'amount: "100.00"=>amount: "-5.00"',
        "p.yaml:48:9: vendors.acme.clauses[0].amount: expected an amount like '250.00' "
        "(digits, at most 4 decimals, not negative), got '-5.00'",
    ),
    (
        'cap: "500.00"=>cap: 500',
        "p.yaml:49:9: vendors.acme.clauses[0].cap: write amounts as strings, e.g. '250.00' "
        "(got the number 500)",
    ),
    (
        "    path: acme\n    calendar=>    path: acmee\n    calendar",
        "p.yaml:30:5: vendors.acme.path: vendor 'acme' names path 'acmee', which the policy "
        "does not declare (paths: acme, tiers) (did you mean 'acme'?)",
    ),
    (
        "    path: acme\n    calendar=>    path: tiers\n    calendar",
        "p.yaml:30:5: vendors.acme.path: vendor 'acme' names path 'tiers', a vertical path: a "
        "vendor is engaged by a horizontal (transfer) path",
    ),
    (
        "    calendar: acme-hours\n=>    calendar: acme-hour\n",
        "p.yaml:31:5: vendors.acme.calendar: unknown calendar 'acme-hour' (calendars: 24x7, "
        "acme-hours) (did you mean 'acme-hours'?)",
    ),
    (
        "        grace: 30m\n=>        grace: 30m\n        currency: USD\n",
        "p.yaml:57:9: vendors.acme.clauses[1].currency: currency 'USD' differs from the "
        "contract's 'EUR': one currency per contract",
    ),
    (
        "    currency: EUR\n=>    currency: euro\n",
        "p.yaml:35:5: vendors.acme.currency: expected an ISO 4217 currency code like 'EUR', "
        "got 'euro'",
    ),
    (
        '    monthly_fee: "10000.00"\n=>',
        "p.yaml:53:9: vendors.acme.clauses[1].percent: a 'percent' clause needs the "
        "contract's 'monthly_fee'",
    ),
    (
        "    path: acme\n    calendar=>    calendar",
        "p.yaml:28:3: vendors.acme.path: missing required key 'path'",
    ),
]


@pytest.mark.parametrize(("change", "message"), CASES)
def test_a_bad_contract_is_a_load_error_with_its_position_and_key_path(
    change: str, message: str
) -> None:
    assert message == error(change=change)


def test_a_shared_field_the_vendor_profile_withholds_is_a_contradiction() -> None:
    message = error(
        change="vendors:\n=>classification:\n  service: personal\nvendors:\n",
    )
    assert message.endswith(
        "vendors.acme.data_sharing.fields[1]: data_sharing lists 'service', classified "
        "'personal', which the vendor audience's redaction profile withholds: the field would "
        "stay withheld; remove it here or release the class in the profile"
    )


def test_an_unknown_shared_field_is_a_load_error_with_a_suggestion() -> None:
    message = error(change="fields: [category, service, priority]=>fields: [categry]")
    assert "vendors.acme.data_sharing.fields[0]: unknown ticket field 'categry'" in message
    assert "did you mean 'category'?" in message


def test_a_calendar_only_a_vendor_contract_counts_on_is_used() -> None:
    policy = load(Path(__file__).resolve().parents[2] / "examples" / "vendors" / "policy.yaml")
    assert "acme-hours" in {v.calendar_name for v in policy.vendors}
    assert [] == [f for f in lint(policy) if f.code == "unused-calendar"]
