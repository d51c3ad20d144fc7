"""Invariants of vendor penalties: never above the cap, never shrinking as time passes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.engine.contracts import MONEY_SCALE, money, money_scaled
from tests.vendors.helpers import T0, contract, engaged_ticket, ev, vendor_ack

START = datetime.fromisoformat(T0)
CAPS = {"late-response": Decimal("500.00"), "late-resolution": Decimal("1000.00")}


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, object]], str]:
    """Pauses (awaiting-user-info stretches), maybe a vendor acknowledgement, maybe the end."""
    events: list[tuple[int, dict[str, object]]] = []
    t = 0
    status = "in-progress"
    for _ in range(draw(st.integers(0, 3))):
        t += draw(st.integers(1, 600))
        status = "awaiting-user-info" if status == "in-progress" else "in-progress"
        events.append((t, {"type": "status-changed", "status": status}))
    if draw(st.booleans()):
        events.append((draw(st.integers(0, 900)), {"type": "ack"}))
    ended = draw(st.booleans())
    events.sort(key=lambda e: e[0])
    out = []
    for minutes, e in events:
        at = (START + timedelta(minutes=minutes)).isoformat()
        out.append(
            vendor_ack(at) if e["type"] == "ack" else ev(at, str(e["type"]), status=e["status"])
        )
    if ended:
        t = (events[-1][0] if events else 0) + draw(st.integers(1, 900))
        out.append(ev((START + timedelta(minutes=t)).isoformat(), "resolved"))
        status = "resolved"
    return out, status


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(0, 4000), st.integers(0, 4000), st.sampled_from(["P1", "P3"]))
def test_accrued_penalty_never_exceeds_the_cap_and_never_shrinks(
    history: tuple[list[dict[str, object]], str], a: int, b: int, priority: str
) -> None:
    events, status = history
    policy = contract()
    last = max((datetime.fromisoformat(str(e["at"])) for e in events), default=START)
    early, late = sorted((a, b))
    ticket = engaged_ticket(*events, status=status, priority=priority)
    totals = []
    for offset in (early, late):
        now = last + timedelta(minutes=offset)
        decision = policy.evaluate(ticket, now=now)
        assert decision.vendors is not None
        (found,) = decision.vendors
        for p in found.penalties:
            assert p.amount <= CAPS[p.clause]
        assert found.penalty_total is not None
        assert found.penalty_total <= sum(CAPS.values())
        totals.append(found.penalty_total)
    assert totals[0] <= totals[1]


@given(st.fractions(min_value=0, max_value=10**6), st.sampled_from(["EUR", "JPY", "KWD"]))
def test_money_is_the_exact_amount_rounded_half_to_even_to_the_minor_unit(
    amount: Fraction, currency: str
) -> None:
    digits = {"EUR": 2, "JPY": 0, "KWD": 3}[currency]
    out = money(amount, currency)
    assert -out.as_tuple().exponent == digits if digits else out == out.to_integral_value()
    assert abs(Fraction(out) - amount) <= Fraction(1, 2 * 10**digits)


@settings(max_examples=40, deadline=None)
@given(histories(), st.integers(0, 3000), st.integers(0, 10**6))
def test_nothing_due_changes_before_next_evaluation_at(
    history: tuple[list[dict[str, object]], str], offset: int, share: int
) -> None:
    """The wake-up contract with vendors: between a decision and its next_evaluation_at the
    due actions (vendor contacts included) stay the same; penalties may grow, not actions."""
    events, status = history
    policy = contract()
    last = max((datetime.fromisoformat(str(e["at"])) for e in events), default=START)
    ticket = engaged_ticket(*events, status=status)
    first = policy.evaluate(ticket, now=last + timedelta(minutes=offset))
    horizon = first.next_evaluation_at or first.evaluated_at + timedelta(days=3)
    later = first.evaluated_at + (horizon - first.evaluated_at) * share // (10**6 + 1)
    second = policy.evaluate(ticket, now=later)
    assert [(a.id, a.due_at) for a in first.actions] == [(a.id, a.due_at) for a in second.actions]


@given(st.integers(0, 10**20), st.sampled_from(["EUR", "JPY", "KWD", "CLF"]))
def test_integer_money_rounds_exactly_like_the_fraction(value: int, currency: str) -> None:
    assert money(Fraction(value, MONEY_SCALE), currency) == money_scaled(value, currency)
