"""Regression tests for an independent review of the vendor stage: each pins the behaviour
at the exact instants where it was wrong."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from escalate import ArgumentError, PolicyError
from escalate.cli import main
from escalate.governance.vendors import vendor_performance
from escalate.policy.loader import loads
from escalate.testing.cases import load_cases
from escalate.testing.runner import run_case
from escalate.whatif.diff import diff
from tests.vendors.helpers import CONTRACT, contract, engaged_ticket, ev, vendor_ack


def T(text: str) -> datetime:
    return datetime.fromisoformat(text)


PAUSE = "awaiting-user-info"


def _paused(now: str, *changes: tuple[str, str]) -> dict[str, object]:
    """The ticket with the status changes known at ``now``."""
    known = [(at, status) for at, status in changes if T(at) <= T(now)]
    events = [ev(at, "status-changed", status=status) for at, status in known]
    return engaged_ticket(*events, status=known[-1][1] if known else "in-progress")


# -- pauses are half-open [start, end) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "state", "elapsed", "next_contact"),
    [
        # paused from 14:05 (inclusive) to 14:10 (exclusive), engaged at 14:00
        (
            "2024-11-20T14:04:59.999999+00:00",
            "running",
            "4m59s999999us",
            "2024-11-20T14:15:00+00:00",
        ),
        ("2024-11-20T14:05:00+00:00", "paused", "5m", None),
        ("2024-11-20T14:09:59.999999+00:00", "paused", "5m", None),
        ("2024-11-20T14:10:00+00:00", "running", "5m", "2024-11-20T14:20:00+00:00"),
    ],
)
def test_pauses_are_half_open(now: str, state: str, elapsed: str, next_contact: str | None) -> None:
    ticket = _paused(
        now, ("2024-11-20T14:05:00+00:00", PAUSE), ("2024-11-20T14:10:00+00:00", "in-progress")
    )
    decision = contract().evaluate(ticket, now=T(now))
    vendor = decision.to_dict()["vendors"][0]
    assert (vendor["response"]["state"], vendor["response"]["elapsed"]) == (state, elapsed)
    assert vendor["next_contact_at"] == next_contact
    if next_contact is not None:  # the announced wake-up is one
        assert decision.next_evaluation_at is not None
        assert decision.next_evaluation_at <= T(next_contact)


def test_a_pause_starting_now_announces_no_contact_that_never_comes() -> None:
    ticket = engaged_ticket(
        ev("2024-11-20T14:05:00+00:00", "status-changed", status=PAUSE), status=PAUSE
    )
    policy = contract()
    at_start = policy.evaluate(ticket, now=T("2024-11-20T14:05:00+00:00"))
    assert at_start.vendors[0].next_contact_at is None
    later = policy.evaluate(ticket, now=T("2024-11-20T14:15:00+00:00"))
    assert [a.kind for a in later.actions if a.kind == "vendor_escalation"] == []


# -- only the vendor's acknowledgement is its response -----------------------------------------


@pytest.mark.parametrize(
    ("party", "stopped_at", "total"),
    [
        (None, None, "500.00"),  # ours on their path: their clock runs on, the cap is reached
        ("us", None, "500.00"),
        ("vendor", "2024-11-20T14:05:00+00:00", "0.00"),
    ],
)
def test_only_a_vendor_party_acknowledgement_stops_the_response_clock(
    party: str | None, stopped_at: str | None, total: str
) -> None:
    payload = {"path": "acme", "actor": "bob"} | ({} if party is None else {"party": party})
    ticket = engaged_ticket(ev("2024-11-20T14:05:00+00:00", "acknowledged", **payload))
    vendor = contract().evaluate(ticket, now=T("2024-11-20T17:00:00+00:00")).to_dict()["vendors"][0]
    assert vendor["response"]["stopped_at"] == stopped_at
    # late-response: 100.00 per started 15m after 30m, cap 500.00
    assert vendor["penalties"][0]["amount"] == total


# -- a vendor clock breaching is a wake-up -----------------------------------------------------

NO_CONTACTS = (
    '    contacts:\n      - {name: duty-engineer, address: "noc@acme.example", after: 15m}\n'
    '      - {name: account-manager, address: "am@acme.example", after: 1h}\n=>'
)


def test_a_vendor_breach_is_a_wake_up_and_sweep_refreshes_it() -> None:
    policy = contract(nocontacts=NO_CONTACTS)
    done = ev("2024-11-20T14:00:00+00:00", "action-done", action_id="INC1:path:acme:1:0:acme-l2")
    ticket = engaged_ticket(done)
    first = policy.evaluate(ticket, now=T("2024-11-20T14:01:00+00:00"))
    # response due 30m after engagement (P1), resolution 4h
    assert first.next_evaluation_at == T("2024-11-20T14:30:00+00:00")
    at_breach = policy.evaluate(ticket, now=T("2024-11-20T14:30:00+00:00"))
    assert at_breach.vendors[0].response.breached
    assert at_breach.next_evaluation_at == T("2024-11-20T18:00:00+00:00")
    (swept,) = policy.sweep([(ticket, first)], now=T("2024-11-20T20:00:00+00:00"))
    assert swept.evaluated
    assert swept.decision.vendors[0].resolution.breached
    assert str(swept.decision.vendors[0].penalty_total) == "1000.00"


def test_a_stopped_or_paused_clock_wakes_nobody() -> None:
    policy = contract(nocontacts=NO_CONTACTS)
    done = ev("2024-11-20T14:00:00+00:00", "action-done", action_id="INC1:path:acme:1:0:acme-l2")
    ticket = engaged_ticket(
        done,
        vendor_ack("2024-11-20T14:10:00+00:00"),
        ev("2024-11-20T14:20:00+00:00", "status-changed", status=PAUSE),
        status=PAUSE,
    )
    assert policy.evaluate(ticket, now=T("2024-11-20T14:21:00+00:00")).next_evaluation_at is None


# -- a stopped clock keeps its priority's target; a running one follows the current ----------


@pytest.mark.parametrize(
    ("before", "after", "response", "late_response", "resolution_target"),
    [
        # P3 vendor answered after 1h (target 2h: met); upgraded to P1 the next day: still met
        ("P3", "P1", ("2h", False), "0.00", "4h"),
        # P1 vendor answered after 1h (target 30m: 2 started 15m units late); downgraded to
        # P3 the next day: still late, still 200.00
        ("P1", "P3", ("30m", True), "200.00", "2bd"),
    ],
)
def test_priority_changes_do_not_reprice_a_stopped_clock(
    before: str,
    after: str,
    response: tuple[str, bool],
    late_response: str,
    resolution_target: str,
) -> None:
    ticket = engaged_ticket(
        vendor_ack("2024-11-20T15:00:00+00:00"),
        ev(
            "2024-11-21T15:00:00+00:00",
            "priority-changed",
            priority=after,
            from_priority=before,
        ),
        priority=after,
    )
    found = contract().evaluate(ticket, now=T("2024-11-21T15:01:00+00:00")).vendors[0]
    assert found.response is not None and found.resolution is not None
    assert (found.response.target, found.response.breached) == response
    assert str(found.penalties[0].amount) == late_response
    assert found.resolution.target == resolution_target  # running: the current priority's


# -- policy test cases can expect vendor_escalation actions ------------------------------------


def test_a_case_file_expects_a_vendor_contact(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("policy: p\nversion: 1\n" + CONTRACT)
    ticket = json.dumps(engaged_ticket())
    (tmp_path / "p.cases.yaml").write_text(
        "policy: p.yaml\ncases:\n"
        "  - name: chase-the-duty-engineer\n"
        f"    ticket: {ticket}\n"
        '    now: "2024-11-20T14:20:00Z"\n'
        "    expect:\n"
        "      actions:\n"
        "        - kind: vendor_escalation\n"
        '          source: "vendor:acme"\n'
        '          targets: ["noc@acme.example"]\n'
        "          details: {vendor: acme, level: 1, contact: duty-engineer, until: response,"
        " after: 15m}\n"
        "    expect_not:\n"
        "      actions: [{kind: vendor_escalation, details: {level: 2}}]\n"
    )
    case_file = load_cases(tmp_path / "p.cases.yaml")
    (case,) = case_file.cases
    assert run_case(case_file.policy, case).passed


# -- performance and CLI odds and ends ---------------------------------------------------------


def test_tickets_without_service_or_category_are_not_recurrences() -> None:
    policy = contract()
    first = engaged_ticket(id="A")
    second = engaged_ticket(id="B", opened_at="2024-11-25T14:00:00+00:00")
    at = T("2024-12-01T00:00:00+00:00")
    a, b = dict(first), dict(second)
    a.pop("service")
    b.pop("service")
    (row,) = vendor_performance([policy.evaluate(t, now=at) for t in (a, b)])
    assert (row.engagements, row.recurrences) == (2, 0)
    (row,) = vendor_performance([policy.evaluate(t, now=at) for t in (first, second)])
    assert row.recurrences == 1  # the same service and category 5 days later


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"zone": "Europe/Berlin"}, "zone must be a tzinfo"),
        ({"recurrence_window": 30}, "recurrence_window must be a timedelta"),
    ],
)
def test_performance_options_of_the_wrong_type_are_argument_errors(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ArgumentError, match=message):
        vendor_performance([], **options)  # type: ignore[arg-type]


def test_money_must_end_at_the_end(tmp_path: Path) -> None:
    text = "policy: p\nversion: 1\n" + CONTRACT.replace('amount: "100.00"', 'amount: "100.00\\n"')
    with pytest.raises(PolicyError, match=r"expected an amount like '250\.00'"):
        loads(text, filename="p.yaml")


def test_cli_vendors_json_has_the_content_hash_and_names_the_file_of_a_bad_ticket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text("policy: p\nversion: 1\n" + CONTRACT)
    tickets = tmp_path / "t"
    tickets.mkdir()
    (tickets / "a.json").write_text(json.dumps(engaged_ticket()))
    argv = ["vendors", "--policy", str(tmp_path / "p.yaml"), "--tickets", str(tickets)]
    argv += ["--at", "2024-11-21T00:00:00+00:00", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert (
        out["policy"]["content_hash"]
        == loads("policy: p\nversion: 1\n" + CONTRACT, filename="x").content_hash
    )
    (tickets / "b.json").write_text(json.dumps(engaged_ticket(id="B", priority=7)))
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert err.startswith(f"escalate: error: {tickets / 'b.json'}")


# -- contact ladder: stops with its clock, climbs, and takes shares of the target ---------------


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2024-11-20T14:19:00+00:00", ["INC1:vendor:acme:1:contact:1"]),  # reached 14:15
        ("2024-11-20T14:20:00+00:00", []),  # the vendor answered at 14:20: nobody to chase
        ("2024-11-20T16:00:00+00:00", []),
    ],
)
def test_a_reached_contact_is_not_due_once_the_vendor_responded(now: str, due: list[str]) -> None:
    events = (
        [vendor_ack("2024-11-20T14:20:00+00:00")]
        if T(now) >= T("2024-11-20T14:20:00+00:00")
        else []
    )
    decision = contract().evaluate(engaged_ticket(*events), now=T(now))
    assert [a.id for a in decision.actions if a.kind == "vendor_escalation"] == due


def test_a_resolution_contact_is_not_due_once_the_vendor_resolved() -> None:
    policy = contract(
        c='{name: account-manager, address: "am@acme.example", after: 1h}=>'
        '{name: account-manager, address: "am@acme.example", after: 1h, until: resolution}'
    )
    ack = vendor_ack("2024-11-20T14:10:00+00:00")
    done = ev("2024-11-20T15:30:00+00:00", "milestone", milestone="acme-resolved")
    before = policy.evaluate(engaged_ticket(ack), now=T("2024-11-20T15:29:00+00:00"))
    assert [a.id for a in before.actions if a.kind == "vendor_escalation"] == [
        "INC1:vendor:acme:1:contact:2"
    ]
    after = policy.evaluate(engaged_ticket(ack, done), now=T("2024-11-20T15:31:00+00:00"))
    assert [a.id for a in after.actions if a.kind == "vendor_escalation"] == []


def test_contacts_out_of_order_are_a_load_error() -> None:
    text = "policy: p\nversion: 1\n" + CONTRACT.replace("after: 1h}", "after: 5m}")
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="p.yaml")
    assert str(caught.value) == (
        "p.yaml:39:61: vendors.acme.contacts[1].after: contact levels climb: '5m' is not after "
        "level 1's '15m' (duty-engineer, until response); list the contacts in ascending "
        "'after' order"
    )


@pytest.mark.parametrize(
    ("after", "reached"),
    [
        ("50%", "2024-11-20T14:15:00+00:00"),  # half of the P1 response target, 30m
        ("33.3333%", "2024-11-20T14:09:59.999400+00:00"),  # 1_800_000_000us * 333333/10^6
        ("100%", "2024-11-20T14:30:00+00:00"),
    ],
)
def test_a_contact_after_a_share_of_the_target_is_exact(after: str, reached: str) -> None:
    policy = contract(
        c='{name: duty-engineer, address: "noc@acme.example", after: 15m}=>'
        f'{{name: duty-engineer, address: "noc@acme.example", after: "{after}"}}'
    )
    ticket = engaged_ticket()
    before = policy.evaluate(ticket, now=T(reached) - timedelta(microseconds=1))
    assert before.vendors[0].next_contact_at == T(reached)
    assert before.next_evaluation_at == T(reached)
    at = policy.evaluate(ticket, now=T(reached))
    (action,) = [a for a in at.actions if a.kind == "vendor_escalation"]
    assert (action.due_at, action.details["after"]) == (T(reached), after)


# -- escalate diff reports vendor state ----------------------------------------------------------


def test_diff_reports_vendor_penalties_and_breaches() -> None:
    old = contract()
    new = contract(
        r="response: {P1: 30m, default: 2h}=>response: {P1: 1h, default: 2h}",
        cap='cap: "500.00"=>cap: "300.00"',
    )
    ticket = engaged_ticket(vendor_ack("2024-11-20T14:50:00+00:00"))
    found = diff(old, new, [ticket], at=T("2024-11-20T15:00:00+00:00"))
    (result,) = found.tickets
    vendor = {c.field: (c.before, c.after) for c in result.changes if c.what == "vendor"}
    # responded after 50m: 30m target -> 20m late, 2 started units = 200.00; 1h target: on time
    assert vendor["penalty_total"] == ("200.00", "0.00")
    assert vendor["response.breached"] == (True, False)
    assert vendor["response.target"] == ("30m", "1h")
    assert vendor["penalties.late-response"] == ("200.00", "0.00")
    assert "vendor acme: penalty_total 200.00 -> 0.00" in found.text()
    same = diff(old, old, [ticket], at=T("2024-11-20T15:00:00+00:00"))
    assert not same.differing


# -- a reopen keeps the last engagement's penalty and breaches ----------------------------------


def test_a_reopen_keeps_the_earlier_engagement_and_its_penalty() -> None:
    policy = contract()
    done = ev("2024-11-20T14:00:00+00:00", "action-done", action_id="INC1:path:acme:1:0:acme-l2")
    resolved = ev("2024-11-20T20:00:00+00:00", "resolved")
    reopened = ev("2024-11-21T14:00:00+00:00", "reopened")
    closed = policy.evaluate(
        engaged_ticket(done, resolved, status="resolved"), now=T("2024-11-21T13:59:00+00:00")
    )
    assert str(closed.vendors[0].penalty_total) == "1000.00"
    assert "earlier" not in closed.to_dict()["vendors"][0]
    again = policy.evaluate(
        engaged_ticket(done, resolved, reopened), now=T("2024-11-21T14:01:00+00:00")
    )
    (state,) = again.vendors
    assert state.engaged_at == T("2024-11-21T14:00:00+00:00")
    assert str(state.penalty_total) == "0.00"
    # never answered: response 500.00 (cap), resolution 6h of 4h + 30m grace: 2 units, 500.00
    assert again.to_dict()["vendors"][0]["earlier"] == [
        {
            "engaged_at": "2024-11-20T14:00:00+00:00",
            "ended_at": "2024-11-20T20:00:00+00:00",
            "response_breached": True,
            "resolution_breached": True,
            "response_elapsed": "6h",
            "resolution_elapsed": "6h",
            "penalty_total": "1000.00",
        }
    ]
    (row,) = vendor_performance([again])
    assert (row.engagements, row.breaches, {c: str(a) for c, a in row.penalties.items()}) == (
        2,
        1,
        {"EUR": "1000.00"},
    )
