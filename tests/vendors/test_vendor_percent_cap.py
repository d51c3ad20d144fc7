"""A clause's cap as a percentage of the monthly fee (``cap: "20%"``): contracts word it so
("capped at 20 % of the monthly fee"), and writing the amount out by hand drifts when the fee
changes. Hand-worked: 2 % per started hour of a 40 000.00 fee is 800.00 an hour; 20 % of the
fee is 8000.00, reached by the tenth unit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from escalate import PolicyError
from escalate.engine.contracts import VendorState
from escalate.policy.loader import loads

T0 = "2025-03-03T09:00:00+00:00"  # engagement (opening); resolution target 8h, 24x7

BANK = """\
policy: bank
version: 1
directory:
  people: {ops1: {name: Ops One}}
  teams: {storco-desk: {members: [ops1]}}
paths:
  storco:
    kind: horizontal
    levels:
      - {name: storco-l2, targets: ["team:storco-desk"]}
rules:
  - id: to-storco
    when: {category: storage}
    then: {transfer: {path: storco}}
vendors:
  storco:
    name: StorCo GmbH
    path: storco
    resolution: {default: 8h}
    currency: EUR
    monthly_fee: "40000.00"
    clauses:
      - {id: late-resolution, clock: resolution, per: 1h, percent: "2", cap: "20%"}
"""


def policy(text: str = BANK, **replace: str) -> object:
    for pair in replace.values():
        old, new = pair.split("=>")
        assert old in text, old
        text = text.replace(old, new, 1)
    return loads(text, filename="bank.yaml")


def storco(text: str = BANK, *, at: str, **replace: str) -> VendorState:
    ticket = {
        "id": "STO-1",
        "opened_at": T0,
        "status": "in-progress",
        "priority": "P1",
        "category": "storage",
    }
    decision = policy(text, **replace).evaluate(  # type: ignore[attr-defined]
        ticket, now=datetime.fromisoformat(at)
    )
    (state,) = decision.vendors
    assert isinstance(state, VendorState)
    return state


@pytest.mark.parametrize(
    ("at", "units", "total", "capped", "next_at", "next_amount"),
    [
        # 8h target: breach at 17:00; the n-th started hour of lateness begins at 17:00 + (n-1)h.
        ("2025-03-03T17:30:00+00:00", 1, "800.00", False, "2025-03-03T18:00:00+00:00", "800.00"),
        ("2025-03-04T01:30:00+00:00", 9, "7200.00", False, "2025-03-04T02:00:00+00:00", "800.00"),
        ("2025-03-04T02:30:00+00:00", 10, "8000.00", True, None, None),
        ("2025-03-10T09:00:00+00:00", 160, "8000.00", True, None, None),
    ],
)
def test_a_percent_cap_is_that_share_of_the_monthly_fee(
    at: str, units: int, total: str, capped: bool, next_at: str | None, next_amount: str | None
) -> None:
    state = storco(at=at)
    (penalty,) = state.penalties
    assert (penalty.units, str(penalty.amount), penalty.capped) == (units, total, capped)
    assert str(state.penalty_total) == total
    assert state.cap_reached is capped
    out = state.to_dict()
    assert (out["next_penalty_at"], out["next_penalty_amount"]) == (next_at, next_amount)


def test_a_percent_cap_decides_as_the_amount_it_stands_for() -> None:
    at = "2025-03-04T05:00:00+00:00"
    as_percent = storco(at=at).to_dict()
    as_amount = storco(at=at, cap='cap: "20%"=>cap: "8000.00"').to_dict()
    assert as_percent == as_amount
    assert as_percent["penalty_total"] == "8000.00"


def test_a_percent_cap_is_exact_and_rounded_once_on_output() -> None:
    # 12.5 % of 999.99 is 124.99875 exactly; 50.00 a unit: after two units (100.00) the cap
    # cuts the third to 24.99875, shown 25.00; once capped the total is 124.99875 -> 125.00.
    text = BANK.replace('monthly_fee: "40000.00"', 'monthly_fee: "999.99"').replace(
        'percent: "2", cap: "20%"', 'amount: "50.00", cap: "12.5%"'
    )
    before = storco(text, at="2025-03-03T18:30:00+00:00")
    assert str(before.penalty_total) == "100.00"
    assert str(before.next_penalty_amount) == "25.00"
    after = storco(text, at="2025-03-03T19:30:00+00:00")
    assert (str(after.penalty_total), after.cap_reached) == ("125.00", True)
    assert after.penalties[0].amount == Decimal("125.00")


def load_error(text: str = BANK, **replace: str) -> str:
    with pytest.raises(PolicyError) as caught:
        policy(text, **replace)
    return str(caught.value)


def test_a_percent_cap_without_a_monthly_fee_is_a_load_error() -> None:
    # A fixed amount per unit needs no fee, but its cap as a percentage does.
    text = BANK.replace('    monthly_fee: "40000.00"\n', "").replace(
        'percent: "2"', 'amount: "800.00"'
    )
    assert load_error(text) == (
        "bank.yaml:22:77: vendors.storco.clauses[0].cap: a cap written as a percentage "
        "('20%') is a share of the contract's 'monthly_fee', which it does not declare"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            'cap: "20%"=>cap: "20 %"',
            "bank.yaml:23:73: vendors.storco.clauses[0].cap: expected an amount like '250.00' "
            "(digits, at most 4 decimals, not negative) or a percentage of the monthly fee like "
            "'20%' (0 < p <= 100, at most 6 decimals), got '20 %'",
        ),
        (
            'cap: "20%"=>cap: "120%"',
            "bank.yaml:23:73: vendors.storco.clauses[0].cap: expected an amount like '250.00' "
            "(digits, at most 4 decimals, not negative) or a percentage of the monthly fee like "
            "'20%' (0 < p <= 100, at most 6 decimals), got '120%'",
        ),
        (
            'cap: "20%"=>cap: "0%"',
            "bank.yaml:23:73: vendors.storco.clauses[0].cap: expected an amount like '250.00' "
            "(digits, at most 4 decimals, not negative) or a percentage of the monthly fee like "
            "'20%' (0 < p <= 100, at most 6 decimals), got '0%'",
        ),
        (
            'cap: "20%"=>cap: "2.1234567%"',
            "bank.yaml:23:73: vendors.storco.clauses[0].cap: expected an amount like '250.00' "
            "(digits, at most 4 decimals, not negative) or a percentage of the monthly fee like "
            "'20%' (0 < p <= 100, at most 6 decimals), got '2.1234567%'",
        ),
        (
            'cap: "20%"=>cap: 20',
            "bank.yaml:23:73: vendors.storco.clauses[0].cap: write amounts as strings, e.g. "
            "'250.00' (got the number 20)",
        ),
    ],
)
def test_a_bad_percent_cap_is_a_load_error_with_its_position_and_key_path(
    change: str, message: str
) -> None:
    assert load_error(change=change) == message
