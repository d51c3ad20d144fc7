"""Acceptance: a vendor-engaged ticket shows the vendor's clock and accrued penalty, end to end
through load, evaluate, to_dict and explain (examples/vendors)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from escalate import load, loads

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "vendors"
NOW = datetime.fromisoformat("2024-11-20T20:00:00+00:00")


def test_a_vendor_engaged_ticket_shows_the_vendor_clock_and_accrued_penalty() -> None:
    policy = load(EXAMPLES / "policy.yaml")
    ticket = json.loads((EXAMPLES / "tickets" / "INC-V1.json").read_text())
    decision = policy.evaluate(ticket, now=NOW)
    (vendor,) = decision.to_dict()["vendors"]
    assert {
        "vendor": "acme",
        "engaged": True,
        "engaged_at": "2024-11-20T14:00:00+00:00",
        "response": {
            "clock": "response",
            "state": "stopped",
            "target": "30m",
            "elapsed": "1h10m",
            "remaining": "-40m",
            "breach_at": "2024-11-20T14:30:00+00:00",
            "breached": True,
            "stopped_at": "2024-11-20T15:10:00+00:00",
        },
        "resolution": {
            "clock": "resolution",
            "state": "running",
            "target": "4h",
            "elapsed": "6h",
            "remaining": "-2h",
            "breach_at": "2024-11-20T18:00:00+00:00",
            "breached": True,
            "stopped_at": None,
        },
        "penalty_total": "800.00",
        "currency": "EUR",
        "next_penalty_at": "2024-11-20T20:30:00+00:00",
        "next_penalty_amount": "250.00",
        "contact_level": 2,
    } == {
        k: vendor[k]
        for k in (
            "vendor",
            "engaged",
            "engaged_at",
            "response",
            "resolution",
            "penalty_total",
            "currency",
            "next_penalty_at",
            "next_penalty_amount",
            "contact_level",
        )
    }
    text = decision.explain()
    assert [
        "vendor acme (ACME Storage Inc.): engaged 2024-11-20T14:00:00+00:00",
        "  response: stopped, 1h10m of 30m on acme-hours, remaining -40m, breach at "
        "2024-11-20T14:30:00+00:00 BREACHED",
        "  resolution: running, 6h of 4h on acme-hours, remaining -2h, breach at "
        "2024-11-20T18:00:00+00:00 BREACHED",
        "  penalty accrued: 800.00 EUR",
        "    late-response: 3 unit(s), 300.00 EUR",
        "    late-resolution: 2 unit(s), 500.00 EUR",
        "  next penalty step: 2024-11-20T20:30:00+00:00 +250.00 EUR",
        "  vendor contact level 2: account-manager",
    ] == [line for line in text.splitlines() if line.startswith(("vendor ", "  "))][-8:]


def test_a_policy_without_vendors_has_no_vendors_key_nor_vendor_lines() -> None:
    policy = loads("policy: p\nversion: 1\n", filename="p.yaml")
    decision = policy.evaluate(
        {"id": "T1", "opened_at": "2024-11-20T10:00:00+00:00", "priority": "P1"}, now=NOW
    )
    assert (None, False, False) == (
        decision.vendors,
        "vendors" in decision.to_dict(),
        "vendor" in decision.explain(),
    )


def test_a_policy_with_vendors_lists_a_vendor_not_engaged() -> None:
    policy = load(EXAMPLES / "policy.yaml")
    ticket = json.loads((EXAMPLES / "tickets" / "INC-V1.json").read_text())
    ticket.update(category="network", events=[])
    decision = policy.evaluate(ticket, now=NOW)
    assert [{"vendor": "acme", "engaged": False}] == [
        {k: v[k] for k in ("vendor", "engaged")} for v in decision.to_dict()["vendors"]
    ]
    assert "vendor acme: not engaged (path acme)" in decision.explain().splitlines()


def test_the_decision_with_vendors_fits_the_decision_schema() -> None:
    from escalate.engine.decision_format import DecisionOutput

    policy = load(EXAMPLES / "policy.yaml")
    ticket = json.loads((EXAMPLES / "tickets" / "INC-V1.json").read_text())
    data = policy.evaluate(ticket, now=NOW).to_dict()
    DecisionOutput.model_validate_json(json.dumps(data))
