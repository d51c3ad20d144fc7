"""Vendor clocks, penalties and contacts, hand-worked (the vendor works 09:00-17:00 New York,
UTC-5 in November; tickets are in UTC; see helpers.py for the contract)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from escalate.engine.contracts import VendorState
from tests.vendors.helpers import T0, contract, engaged_ticket, ev, vendor_ack


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def state(ticket: dict[str, Any], now: str, **replace: str) -> VendorState:
    decision = contract(**replace).evaluate(ticket, now=at(now))
    assert decision.vendors is not None
    (found,) = decision.vendors
    return found


def test_the_vendor_is_engaged_when_its_path_starts() -> None:
    ticket = engaged_ticket(
        ev(
            "2024-11-20T15:00:00+00:00",
            "field-changed",
            field="category",
            to="storage",
            **{"from": "network"},
        ),
    )
    found = state(ticket, "2024-11-20T16:00:00+00:00")
    assert (True, at("2024-11-20T15:00:00+00:00")) == (found.engaged, found.engaged_at)


def test_a_vendor_whose_path_never_started_is_not_engaged_and_owes_nothing() -> None:
    found = state(engaged_ticket(category="network"), "2024-11-20T20:00:00+00:00")
    assert (False, None, None, None, ()) == (
        found.engaged,
        found.engaged_at,
        found.response,
        found.penalty_total,
        found.penalties,
    )


def test_a_response_within_target_is_met_and_accrues_nothing() -> None:
    found = state(
        engaged_ticket(vendor_ack("2024-11-20T14:20:00+00:00")), "2024-11-20T14:40:00+00:00"
    )
    assert found.response is not None
    assert ("stopped", "20m", False, at("2024-11-20T14:20:00+00:00")) == (
        found.response.state,
        str(found.response.to_dict()["elapsed"]),
        found.response.breached,
        found.response.stopped_at,
    )
    assert (0, Decimal("0.00")) == (found.penalties[0].units, found.penalties[0].amount)


def test_an_acknowledgement_naming_no_path_is_ours_and_does_not_stop_the_vendor_clock() -> None:
    ticket = engaged_ticket(ev("2024-11-20T14:05:00+00:00", "acknowledged"))
    found = state(ticket, "2024-11-20T14:40:00+00:00")
    assert found.response is not None
    assert ("running", True) == (found.response.state, found.response.breached)


# now, response (state, elapsed, breach_at), resolution (elapsed, breach_at), response units and
# amount, resolution units and amount, total, next step (instant, amount)
LATE = [
    # Ack at 15:10 UTC (10:10 NY): response 1h10m, 40m late -> 3 started 15m units = 300.
    # Resolution at 20:00 UTC (15:00 NY): 6h of 4h; 2h late less 30m grace = 1h30m -> 2
    # started 1h units of 2.5% of 10000 (250) = 500; unit 3 starts at 6h30m = 15:30 NY.
    (
        "2024-11-20T20:00:00+00:00",
        ("stopped", "1h10m", "2024-11-20T14:30:00+00:00"),
        ("6h", "2024-11-20T18:00:00+00:00"),
        (3, "300.00"),
        (2, "500.00"),
        "800.00",
        ("2024-11-20T20:30:00+00:00", "250.00"),
    ),
    # 21:45 UTC (16:45 NY): 7h45m, 3h15m late after grace -> 4 units = 1000 = the cap.
    (
        "2024-11-20T21:45:00+00:00",
        ("stopped", "1h10m", "2024-11-20T14:30:00+00:00"),
        ("7h45m", "2024-11-20T18:00:00+00:00"),
        (3, "300.00"),
        (4, "1000.00"),
        "1300.00",
        (None, None),
    ),
    # Just before the resolution breach: nothing accrued on it; its first unit starts at
    # target + grace = 4h30m = 13:30 NY = 18:30 UTC.
    (
        "2024-11-20T17:59:59+00:00",
        ("stopped", "1h10m", "2024-11-20T14:30:00+00:00"),
        ("3h59m59s", "2024-11-20T18:00:00+00:00"),
        (3, "300.00"),
        (0, "0.00"),
        "300.00",
        ("2024-11-20T18:30:00+00:00", "250.00"),
    ),
    # Exactly at target + grace no unit has started yet: the first begins now.
    (
        "2024-11-20T18:30:00+00:00",
        ("stopped", "1h10m", "2024-11-20T14:30:00+00:00"),
        ("4h30m", "2024-11-20T18:00:00+00:00"),
        (3, "300.00"),
        (0, "0.00"),
        "300.00",
        ("2024-11-20T18:30:00+00:00", "250.00"),
    ),
    # One microsecond later the first unit counts; the second begins an hour after it.
    (
        "2024-11-20T18:30:00.000001+00:00",
        ("stopped", "1h10m", "2024-11-20T14:30:00+00:00"),
        ("4h30m1us", "2024-11-20T18:00:00+00:00"),
        (3, "300.00"),
        (1, "250.00"),
        "550.00",
        ("2024-11-20T19:30:00+00:00", "250.00"),
    ),
]


@pytest.mark.parametrize(("now", "response", "resolution", "r_pen", "s_pen", "total", "step"), LATE)
def test_penalties_accrue_per_started_unit_up_to_the_cap(
    now: str,
    response: tuple[str, str, str],
    resolution: tuple[str, str],
    r_pen: tuple[int, str],
    s_pen: tuple[int, str],
    total: str,
    step: tuple[str | None, str | None],
) -> None:
    found = state(engaged_ticket(vendor_ack("2024-11-20T15:10:00+00:00")), now)
    assert found.response is not None and found.resolution is not None
    data = found.to_dict()
    assert response == (
        found.response.state,
        data["response"]["elapsed"],
        data["response"]["breach_at"],
    )
    assert resolution == (data["resolution"]["elapsed"], data["resolution"]["breach_at"])
    assert [r_pen, s_pen] == [(p.units, str(p.amount)) for p in found.penalties]
    assert total == data["penalty_total"]
    assert step == (data["next_penalty_at"], data["next_penalty_amount"])


def test_the_next_penalty_step_is_counted_on_the_vendor_calendar_across_the_night() -> None:
    # No cap: at 16:45 NY 7h45m elapsed, 3h15m late -> 4 units; unit 5 starts at 8h30m: the
    # 8th hour ends at 17:00 NY, the half hour left runs Thursday 09:00-09:30 NY = 14:30 UTC.
    found = state(
        engaged_ticket(vendor_ack("2024-11-20T14:10:00+00:00")),
        "2024-11-20T21:45:00+00:00",
        cap='cap: "1000.00"\n=>\n',
    )
    assert (4, "1000.00", "2024-11-21T14:30:00+00:00", "250.00") == (
        found.penalties[1].units,
        str(found.penalties[1].amount),
        found.to_dict()["next_penalty_at"],
        found.to_dict()["next_penalty_amount"],
    )


def test_completed_units_count_only_once_a_whole_unit_has_passed() -> None:
    # 1h30m late after grace: one completed hour (250); the second completes at 6h30m.
    found = state(
        engaged_ticket(vendor_ack("2024-11-20T14:10:00+00:00")),
        "2024-11-20T20:00:00+00:00",
        count="grace: 30m=>grace: 30m\n        count: completed",
    )
    assert (1, "250.00", "2024-11-20T20:30:00+00:00") == (
        found.penalties[1].units,
        str(found.penalties[1].amount),
        found.to_dict()["next_penalty_at"],
    )


def test_a_vendor_in_another_zone_counts_only_its_own_business_hours() -> None:
    # Engaged Friday 21:00 UTC = 16:00 NY; P3 has the default 2h response target: 1h on
    # Friday, the second hour Monday 09:00-10:00 NY = 15:00 UTC. At Monday 16:00 UTC (11:00
    # NY) 3h elapsed, 1h late: 4 started 15m units = 400; the fifth begins now.
    ticket = engaged_ticket(opened_at="2024-11-22T21:00:00+00:00", priority="P3")
    found = state(ticket, "2024-11-25T16:00:00+00:00")
    assert found.response is not None
    data = found.to_dict()
    assert ("3h", "2024-11-25T15:00:00+00:00", True) == (
        data["response"]["elapsed"],
        data["response"]["breach_at"],
        found.response.breached,
    )
    assert (4, "400.00", False, "2024-11-25T16:00:00+00:00", "100.00") == (
        found.penalties[0].units,
        str(found.penalties[0].amount),
        found.penalties[0].capped,
        data["next_penalty_at"],
        data["next_penalty_amount"],
    )


def test_a_unit_that_begins_at_closing_counts_from_the_next_opening() -> None:
    # Engaged Wed 16:00 NY (21:00 UTC), P1: the 30m response target is reached 16:30 NY, the
    # first 15m unit ends 16:45 NY, the third begins 17:00 NY -- at closing: it counts from
    # Thursday 09:00 NY (14:00 UTC), which is the next step seen from the evening.
    ticket = engaged_ticket(opened_at="2024-11-20T21:00:00+00:00")
    found = state(ticket, "2024-11-21T01:00:00+00:00")
    assert (2, "200.00", "2024-11-21T14:00:00+00:00") == (
        found.penalties[0].units,
        str(found.penalties[0].amount),
        found.to_dict()["next_penalty_at"],
    )


def test_business_day_targets_are_exact_on_the_vendor_calendar() -> None:
    # P3 resolution 2bd from Wed 09:00 NY: the same wall time two working days later, Fri
    # 09:00 NY, is 16h of working time away; like every clock, the breach is the instant those
    # 16h have run: Thu 17:00 NY = 22:00 UTC (a window's end, not the next opening).
    found = state(engaged_ticket(priority="P3"), "2024-11-20T15:00:00+00:00")
    assert found.resolution is not None
    assert ("2bd", "2024-11-21T22:00:00+00:00", "15h") == (
        found.resolution.target,
        found.to_dict()["resolution"]["breach_at"],
        found.to_dict()["resolution"]["remaining"],
    )


PAUSED = [
    # Awaiting the user 15:00-17:00 UTC: at 16:00 both clocks wait for us.
    ("2024-11-20T16:00:00+00:00", "paused", "1h", None),
    # Resumed at 17:00: at 18:00 2h elapsed (14-15 and 17-18), the other 2h of the 4h
    # target run out at 20:00 UTC (15:00 NY).
    ("2024-11-20T18:00:00+00:00", "running", "2h", "2024-11-20T20:00:00+00:00"),
]


@pytest.mark.parametrize(("now", "clock_state", "elapsed", "breach_at"), PAUSED)
def test_vendor_clocks_do_not_run_while_the_vendor_waits_for_us(
    now: str, clock_state: str, elapsed: str, breach_at: str | None
) -> None:
    events = [
        ev("2024-11-20T15:00:00+00:00", "status-changed", status="awaiting-user-info"),
        ev("2024-11-20T17:00:00+00:00", "status-changed", status="in-progress"),
    ]
    events = [e for e in events if e["at"] <= now]
    status = events[-1]["status"]
    found = state(engaged_ticket(*events, status=status), now)
    assert found.resolution is not None
    data = found.to_dict()["resolution"]
    assert (clock_state, elapsed, breach_at) == (data["state"], data["elapsed"], data["breach_at"])


def test_a_paused_vendor_has_no_next_penalty_step() -> None:
    ticket = engaged_ticket(
        ev("2024-11-20T15:00:00+00:00", "status-changed", status="awaiting-user-info"),
        status="awaiting-user-info",
    )
    # Paused at 15:00 UTC after 1h of a 30m response target: 30m late, 2 started units.
    found = state(ticket, "2024-11-20T16:00:00+00:00")
    assert (2, None) == (found.penalties[0].units, found.next_penalty_at)


def test_resolution_stops_both_clocks_when_the_ticket_is_resolved() -> None:
    ticket = engaged_ticket(ev("2024-11-20T16:00:00+00:00", "resolved"), status="resolved")
    found = state(ticket, "2024-11-21T16:00:00+00:00")
    assert found.response is not None and found.resolution is not None
    assert [("stopped", "2h", "2024-11-20T16:00:00+00:00")] * 2 == [
        (c.state, c.to_dict()["elapsed"], c.to_dict()["stopped_at"])
        for c in (found.response, found.resolution)
    ]
    assert (False, None) == (found.resolution.breached, found.next_penalty_at)


CONTACTS = [
    # now, events, due vendor_escalation ids, contact level, next contact instant, and the
    # next wake-up: the next contact level or a running clock's breach (response 14:30,
    # resolution 18:00), whichever comes first.
    (
        "2024-11-20T14:10:00+00:00",
        [],
        [],
        None,
        "2024-11-20T14:15:00+00:00",
        "2024-11-20T14:15:00+00:00",
    ),
    (
        "2024-11-20T14:20:00+00:00",
        [],
        ["INC1:vendor:acme:1:contact:1"],
        1,
        "2024-11-20T15:00:00+00:00",
        "2024-11-20T14:30:00+00:00",
    ),
    # Like a ladder: only the highest reached level is due.
    (
        "2024-11-20T15:05:00+00:00",
        [],
        ["INC1:vendor:acme:1:contact:2"],
        2,
        None,
        "2024-11-20T18:00:00+00:00",
    ),
    (
        "2024-11-20T15:05:00+00:00",
        [("2024-11-20T15:01:00+00:00", "INC1:vendor:acme:1:contact:2")],
        [],
        2,
        None,
        "2024-11-20T18:00:00+00:00",
    ),
    # The vendor answered before the first level: nobody to chase.
    (
        "2024-11-20T15:05:00+00:00",
        [("2024-11-20T14:10:00+00:00", "ack")],
        [],
        None,
        None,
        "2024-11-20T18:00:00+00:00",
    ),
]


@pytest.mark.parametrize(("now", "events", "ids", "level", "next_at", "wake"), CONTACTS)
def test_vendor_contacts_escalate_like_a_ladder_and_wake_the_caller(
    now: str,
    events: list[tuple[str, str]],
    ids: list[str],
    level: int | None,
    next_at: str | None,
    wake: str,
) -> None:
    history = [
        vendor_ack(when) if what == "ack" else ev(when, "action-done", action_id=what)
        for when, what in events
    ]
    history.append(ev(T0, "action-done", action_id="INC1:path:acme:1:0:acme-l2"))
    history.sort(key=lambda e: e["at"])
    decision = contract().evaluate(engaged_ticket(*history), now=at(now))
    assert decision.vendors is not None
    (found,) = decision.vendors
    assert ids == [a.id for a in decision.actions if a.kind == "vendor_escalation"]
    assert (level, next_at) == (found.contact_level, found.to_dict()["next_contact_at"])
    assert at(wake) == decision.next_evaluation_at


def test_a_contact_action_says_whom_to_reach_and_why() -> None:
    decision = contract().evaluate(engaged_ticket(), now=at("2024-11-20T14:20:00+00:00"))
    (action,) = [a for a in decision.actions if a.kind == "vendor_escalation"]
    assert (
        "vendor:acme",
        at("2024-11-20T14:15:00+00:00"),
        True,
        ("noc@acme.example",),
        {"vendor": "acme", "level": 1, "contact": "duty-engineer", "until": "response"},
    ) == (
        action.source,
        action.due_at,
        action.late,
        action.targets,
        {k: action.details[k] for k in ("vendor", "level", "contact", "until")},
    )


def test_on_a_path_entered_again_each_entry_has_its_own_contact_ids() -> None:
    policy = contract(
        reenter="    kind: horizontal\n    levels:\n      - {name: acme-l2=>"
        "    kind: horizontal\n    reenter: true\n    levels:\n      - {name: acme-l2"
    )
    decision = policy.evaluate(engaged_ticket(), now=at("2024-11-20T14:20:00+00:00"))
    assert ["INC1:vendor:acme:1:20241120T140000Z:contact:1"] == [
        a.id for a in decision.actions if a.kind == "vendor_escalation"
    ]


def test_a_vendor_resolved_milestone_stops_the_resolution_clock_of_an_open_ticket() -> None:
    ticket = engaged_ticket(
        vendor_ack("2024-11-20T14:30:00+00:00"),
        ev("2024-11-20T15:30:00+00:00", "milestone", milestone="acme-resolved"),
    )
    found = state(ticket, "2024-11-21T16:00:00+00:00")
    assert found.resolution is not None and found.response is not None
    assert ("stopped", "1h30m", "2024-11-20T15:30:00+00:00") == (
        found.resolution.state,
        found.resolution.to_dict()["elapsed"],
        found.resolution.to_dict()["stopped_at"],
    )
    # Another vendor's milestone, or one recorded before the engagement, stops nothing.
    other = engaged_ticket(ev("2024-11-20T15:30:00+00:00", "milestone", milestone="zeta-resolved"))
    running = state(other, "2024-11-20T16:00:00+00:00").resolution
    assert running is not None and running.state == "running"
