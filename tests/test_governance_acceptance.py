"""Issue 14's "Done when", end to end through the public API and the CLI.

* a vendor-engaged ticket shows the vendor's clock and the penalty accrued so far;
* each regulatory pack's deadlines are pinned on concrete dates (one per pack here, worked by
  hand; tests/regulatory and the packs' case files pin the rest);
* a tampered audit file is detected at the right record;
* the replay audit finds a seeded missed action and an unauthorised override;
* the docs exist and the README points at them.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import escalate
from escalate.audit import AuditTrail, replay_audit, verify_chain
from escalate.cli import main
from tests.audit.trails import POLICY, ticket

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "rules" / "regulatory"
ONE_US = timedelta(microseconds=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- vendors ------------------------------------------------------------------------------


def test_a_vendor_engaged_ticket_shows_the_vendor_clock_and_the_accrued_penalty() -> None:
    policy = escalate.load(ROOT / "examples" / "vendors" / "policy.yaml")
    ticket = json.loads((ROOT / "examples/vendors/tickets/INC-V1.json").read_text("utf-8"))
    decision = policy.evaluate(ticket, now=at("2024-11-20T20:00:00+00:00"))
    assert decision.vendors is not None
    (acme,) = decision.vendors
    # Engaged at the opening (09:00 New York); answered at 15:10 UTC: 1h10m of their working
    # time against 30m. Resolution: 6h against 4h + 30m grace, 1h30m late.
    assert acme.response is not None and acme.resolution is not None
    assert ("stopped", "1h10m", True) == (
        acme.response.state,
        acme.response.to_dict()["elapsed"],
        acme.response.breached,
    )
    assert ("running", "6h", True) == (
        acme.resolution.state,
        acme.resolution.to_dict()["elapsed"],
        acme.resolution.breached,
    )
    # 3 started quarter hours x 100.00 + 2 started hours x 2.5 % of 10 000.00
    assert [("late-response", 3, Decimal("300.00")), ("late-resolution", 2, Decimal("500.00"))] == [
        (p.clause, p.units, p.amount) for p in acme.penalties
    ]
    assert Decimal("800.00") == acme.penalty_total
    assert (at("2024-11-20T20:30:00+00:00"), Decimal("250.00")) == (
        acme.next_penalty_at,
        acme.next_penalty_amount,
    )
    shown = decision.to_dict()["vendors"][0]
    assert ("800.00", "EUR") == (shown["penalty_total"], shown["currency"])
    text = decision.explain()
    assert "penalty accrued: 800.00 EUR" in text
    assert "next penalty step: 2024-11-20T20:30:00+00:00 +250.00 EUR" in text


# -- regulatory packs -----------------------------------------------------------------------

# pack, milestone that starts the clock, its instant, clock, the deadline (worked by hand)
DEADLINES = [
    # 72 wall hours across the Berlin fall-back: Friday 10:00 CEST -> Monday 09:00 CET
    (
        "gdpr",
        "gdpr-aware",
        "2024-10-25T10:00:00+02:00",
        "gdpr-art33-sa",
        "2024-10-28T09:00:00+01:00",
    ),
    # early warning 24 h after awareness
    (
        "nis2",
        "nis2-aware",
        "2025-03-30T01:30:00+01:00",
        "nis2-early-warning",
        "2025-03-31T02:30:00+02:00",
    ),
    # initial notification: 4 h after the classification as major
    (
        "dora",
        "dora-classified-major",
        "2025-03-31T22:00:00+02:00",
        "dora-initial-after-classification",
        "2025-04-01T02:00:00+02:00",
    ),
    # 60 calendar days after discovery (29 Feb -> 29 Apr), to the end of that day in New York
    # (EST -> EDT)
    (
        "hipaa",
        "hipaa-discovered",
        "2024-02-29T10:00:00-05:00",
        "hipaa-individuals",
        "2024-04-30T00:00:00-04:00",
    ),
    # four business days after the determination, Thanksgiving skipped, due 17:30 New York
    (
        "sec",
        "sec-materiality-determined",
        "2024-11-26T11:00:00-05:00",
        "sec-8k-item-105",
        "2024-12-03T17:30:00-05:00",
    ),
]


@pytest.mark.parametrize(("pack", "milestone", "when", "clock", "due"), DEADLINES)
def test_each_regulatory_pack_pins_its_deadline(
    pack: str, milestone: str, when: str, clock: str, due: str
) -> None:
    policy = escalate.load(PACKS / f"{pack}.yaml")
    start = at(when)
    ticket = {
        "id": "REG-1",
        "opened_at": when,
        "priority": "P1",
        "fields": {"individuals_affected": 1200, "max_state_residents": 800}
        if pack == "hipaa"
        else {},
        "events": [{"at": when, "type": "milestone", "milestone": milestone}],
    }
    deadline = at(due)
    state = policy.evaluate(ticket, now=start + timedelta(minutes=1)).clock(clock)
    assert state.breach_at is not None
    # "not later than" deadlines are on time at the instant itself and breached just after
    # it; HIPAA's end of the 60th day is the first instant that is late.
    on_time_at_due = pack != "hipaa"
    assert deadline + (ONE_US if on_time_at_due else timedelta(0)) == state.breach_at
    just_after = policy.evaluate(ticket, now=state.breach_at).clock(clock)
    assert just_after.breached


# -- audit trail ----------------------------------------------------------------------------


def test_a_tampered_audit_file_is_detected_at_the_record_that_was_changed(tmp_path: Path) -> None:
    trail = tmp_path / "audit.jsonl"
    policy = ROOT / "rules" / "itil-default.yaml"
    tickets = ROOT / "examples" / "tickets"
    for instant in ("2024-11-20T15:00:00Z", "2024-11-21T09:00:00Z"):
        assert 0 == main(
            [
                "audit",
                "record",
                "--policy",
                str(policy),
                "--tickets",
                str(tickets),
                "--at",
                instant,
                "--out",
                str(trail),
            ]
        )
    lines = trail.read_bytes().splitlines(keepends=True)
    assert len(lines) > 6
    assert verify_chain(trail).ok
    middle = len(lines) // 2
    record = json.loads(lines[middle])
    record["at"] = record["at"].replace("2024", "2023", 1)  # a back-dated record, hash kept
    lines[middle] = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
    trail.write_bytes(b"".join(lines))
    report = verify_chain(trail)
    assert not report.ok
    assert report.broken is not None and middle + 1 == report.broken.line


def test_the_replay_audit_finds_a_missed_action_and_an_unauthorised_override() -> None:
    policy = POLICY  # L1 (bob) -> L2 (carol) after 1h -> L3 (alice); only alice may override
    trail = AuditTrail()
    trail.add_policy(policy, at("2024-03-04T08:00:00+00:00"))
    # INC1: at 09:00 the path reaches L2 (due: page carol). Nobody records it done; the
    # ticket is resolved at 09:50.
    trail.add_decision(policy.evaluate(ticket(), now=at("2024-03-04T09:00:00+00:00")), policy)
    resolved = ticket({"at": "2024-03-04T09:50:00+00:00", "type": "resolved"})
    trail.add_decision(policy.evaluate(resolved, now=at("2024-03-04T09:55:00+00:00")), policy)
    # INC2: bob, who holds no authority, moves the path to L3 at 08:30.
    override = {
        "at": "2024-03-04T08:30:00+00:00",
        "type": "override",
        "actor": "bob",
        "reason": "hurry",
        "path": "desk",
        "level": "L3",
    }
    overridden = ticket(override, ticket_id="INC2")
    trail.add_decision(policy.evaluate(overridden, now=at("2024-03-04T08:35:00+00:00")), policy)
    report = replay_audit("".join(line + "\n" for line in trail.lines()).encode())
    kinds = {(d.kind, d.ticket) for d in report.deviations}
    assert {("missed-action", "INC1"), ("unauthorised-override", "INC2")} <= kinds
    missed = next(d for d in report.deviations if d.kind == "missed-action")
    assert (missed.action or "").startswith("INC1:path:desk:") and "L2" in (missed.action or "")
    override = next(d for d in report.deviations if d.kind == "unauthorised-override")
    assert "bob" in override.text


# -- docs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["governance.md", "vendors.md", "regulatory.md", "audit.md"])
def test_the_governance_docs_exist_and_the_readme_points_at_them(page: str) -> None:
    assert (ROOT / "docs" / page).stat().st_size > 2000
    assert f"(docs/{page})" in (ROOT / "README.md").read_text(encoding="utf-8")
