"""KPIs of reopened, ended and open tickets, the acknowledgement anchor, and bad input.

Regression tests for the review of the learning package (issue 15): each states the
defect it pins. Instants are worked by hand; policies in tests/learning/corpus.py (the
``desk`` path goes L1 -(1h)-> L2 -(2h)-> L3; P1 response 30m, resolution 4h).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Ticket, load, loads
from escalate.adapters.servicenow import UCI_LOG_MAPPING, read_log
from escalate.errors import ArgumentError, NaiveDatetimeError, TicketError
from escalate.learning import (
    breach_by_group,
    decision_facts,
    facts_of,
    hot_spots,
    idle_tiers,
    kpis,
    ping_pong,
    ping_pong_chains,
    recurrences,
    ticket_facts,
)

from .corpus import JIRA, MAIL, NOW, POLICY, REOPENING, TICKETS, ev, ticket

H, M = timedelta(hours=1), timedelta(minutes=1)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2024, 3, day, hh, mm, tzinfo=UTC)


def one(policy: Any, data: dict[str, Any], now: datetime = NOW) -> Any:
    return ticket_facts(policy, [data], now=now)[0]


# -- reopened tickets: facts per cycle ------------------------------------------------------

# Opened Mon 08:00, never acknowledged: L2 at 09:00 (response breached at 08:30); resolved
# 10:00. Reopened Fri 03-08 08:00, acknowledged 08:05, resolved 08:20.
REOPENED = ticket(
    "R1",
    "04T08:00",
    "P1",
    ev("04T10:00", "resolved"),
    ev("08T08:00", "reopened"),
    ev("08T08:05", "acknowledged", actor="anna"),
    ev("08T08:20", "resolved"),
)


def test_a_reopened_ticket_keeps_its_first_cycles_escalation_time_and_breach() -> None:
    # review defect 2: only the last cycle was seen (no escalation, no breach, MTTA 4d0h5m)
    f = one(REOPENING, REOPENED)
    assert (("desk/L2", at(4, 9)),) == f.escalations
    assert (("desk/L2", H),) == f.escalated_after
    # L1: 08:00-09:00 in cycle 1 and 08:00-08:20 in cycle 2; L2: 09:00-10:00
    assert (("desk/L1", 80 * M), ("desk/L2", H)) == f.time_at_level
    assert (("resolution", False), ("response", True)) == f.breached
    # MTTA: the first cycle was never acknowledged; the ack of cycle 2 is that cycle's
    assert (None, at(4, 10)) == (f.acknowledged_at, f.resolved_at)
    assert [(1, at(4, 8), None, at(4, 10)), (2, at(8, 8), at(8, 8, 5), at(8, 8, 20))] == [
        (c.number, c.started_at, c.acknowledged_at, c.resolved_at) for c in f.cycles
    ]
    g = kpis([f]).group(None)
    assert (0, 1, 0) == (g.mtta.count, g.mtta.missing, g.mtta.open)  # ended unacknowledged
    assert 2 * H == g.mttr.p50


def test_mtte_in_a_later_cycle_counts_from_the_reopen() -> None:
    # review defect 1: measured from the opening four days earlier (4d1h)
    data = ticket(
        "R2",
        "04T08:00",
        "P1",
        ev("04T08:10", "acknowledged", actor="anna"),
        ev("04T08:30", "resolved"),
        ev("08T08:00", "reopened"),
        ev("08T09:30", "resolved"),
    )
    f = one(REOPENING, data)
    assert ((("desk/L2", at(8, 9)),), (("desk/L2", H),)) == (f.escalations, f.escalated_after)
    assert (at(8, 9), H) == (f.first_escalated_at, f.first_escalation_after)
    g = kpis([f]).group(None)
    assert H == dict(g.mtte)["desk/L2"].p50 == g.first_escalation.p50
    # L1 30m in cycle 1 and 1h in cycle 2; L2 09:00-09:30; response breached in cycle 2
    assert (("desk/L1", 90 * M), ("desk/L2", 30 * M)) == f.time_at_level
    assert (("resolution", False), ("response", True)) == f.breached


def test_a_resolution_and_a_reopen_at_one_instant_split_the_cycles_there() -> None:
    data = ticket(
        "R3",
        "04T08:00",
        "P1",
        ev("04T08:00", "assigned", group="desk"),
        ev("04T08:40", "resolved"),
        ev("04T08:40", "reopened"),
        ev("04T09:00", "assigned", group="network"),
        ev("04T09:10", "resolved"),
    )
    f = one(REOPENING, data)
    assert [(at(4, 8), at(4, 8, 40)), (at(4, 8, 40), at(4, 9, 10))] == [
        (c.started_at, c.resolved_at) for c in f.cycles
    ]
    assert (("desk/L1", 70 * M),) == f.time_at_level  # 40m + 30m
    assert "network" == f.team


# -- one "ended": the deciding policy's categories ------------------------------------------


def test_a_cancelled_ticket_ends_and_fixes_nothing() -> None:
    # review defect 3: a cancellation was no end (5d16h at L1)
    f = one(
        POLICY, ticket("C1", "04T08:00", "P1", ev("04T08:30", "status-changed", status="cancelled"))
    )
    assert (("desk/L1", 30 * M),) == f.time_at_level
    assert (None, False, at(4, 8, 30)) == (f.resolved_at, f.is_open, f.ended_at)
    g = kpis([f]).group(None)
    assert (0, 1, 0, 0) == (g.mttr.count, g.mttr.missing, g.mttr.open, g.open_tickets)


def test_a_policys_own_resolved_status_is_a_resolution() -> None:
    # review defect 3: Jira's "done" (category resolved) was never a resolution
    data = ticket("J1", "04T08:00", "P1", ev("04T08:30", "status-changed", status="Fixed"))
    f = one(JIRA, data)
    assert (at(4, 8, 30), (("desk/L1", 30 * M),)) == (f.resolved_at, f.time_at_level)
    assert 30 * M == kpis([f]).group(None).mttr.p50


# -- the acknowledgement anchor ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # PagerDuty's acknowledgement
        ([ev("04T08:10", "acknowledged", actor="a")], (at(4, 8, 10), "acknowledged")),
        # no acknowledgement: the work starting (ServiceNow's Active) is the anchor
        ([ev("04T08:20", "status-changed", status="in-progress")], (at(4, 8, 20), "in-progress")),
        # whichever comes first
        (
            [
                ev("04T08:05", "status-changed", status="in-progress"),
                ev("04T08:10", "acknowledged", actor="a"),
            ],
            (at(4, 8, 5), "in-progress"),
        ),
        (
            [
                ev("04T08:10", "acknowledged", actor="a"),
                ev("04T08:30", "status-changed", status="in-progress"),
            ],
            (at(4, 8, 10), "acknowledged"),
        ),
        # an acknowledgement naming a path answers that page only
        ([ev("04T08:10", "acknowledged", actor="a", path="desk")], (None, None)),
        # on hold is no work started; a later in-progress is
        (
            [
                ev("04T08:10", "status-changed", status="on-hold"),
                ev("04T08:40", "status-changed", status="in-progress"),
            ],
            (at(4, 8, 40), "in-progress"),
        ),
        # after the first resolution nothing is the MTTA any more
        (
            [
                ev("04T08:30", "resolved"),
                ev("04T09:00", "reopened"),
                ev("04T09:05", "acknowledged", actor="a"),
            ],
            (None, None),
        ),
    ],
)
def test_the_acknowledgement_is_the_first_ack_or_else_the_work_starting(
    events: list[dict[str, Any]], expected: tuple[datetime | None, str | None]
) -> None:
    f = one(POLICY, ticket("A1", "04T08:00", "P1", *events))
    assert expected == (f.acknowledged_at, f.acknowledged_by)


def test_servicenow_incidents_have_an_mtta_from_the_work_starting() -> None:
    # the ServiceNow adapter emits no acknowledged events: MTTA would be missing for all
    pack = load(Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml")

    def row(mod: int, state: str, updated: str) -> dict[str, str]:
        return {
            "number": "INC1",
            "incident_state": state,
            "sys_mod_count": str(mod),
            "opened_at": "4/3/2024 08:00",
            "sys_updated_at": updated,
            "assignment_group": "Service Desk",
            "priority": "3 - Moderate",
        }

    reading = read_log(
        [
            row(0, "New", "4/3/2024 08:00"),
            row(1, "Active", "4/3/2024 08:25"),
            row(2, "Resolved", "4/3/2024 09:00"),
        ],
        UCI_LOG_MAPPING,
    )
    f = one(pack, reading.incidents[0].ticket)
    assert (at(4, 8, 25), "in-progress", at(4, 9)) == (
        f.acknowledged_at,
        f.acknowledged_by,
        f.resolved_at,
    )
    g = kpis([f]).group(None)
    assert (25 * M, (("in-progress", 1),)) == (g.mtta.p50, g.acknowledged_by)


# -- open tickets, denominators ---------------------------------------------------------------


def test_open_tickets_are_counted_and_aged_not_missing() -> None:
    facts = ticket_facts(POLICY, TICKETS, now=NOW)
    g = kpis(facts).group(None)
    # T4 opened 03-06 23:30, still open at 03-10 00:00: 3d0h30m old
    assert (1, 3 * 24 * H + 30 * M) == (g.open_tickets, g.open_age.p50)
    assert ["T4"] == [f.ticket_id for f in facts if f.is_open]
    # T2 and T4 escalated after 1h; T1, T3, T5 ended without an escalation
    assert (2, 3, 0, H) == (
        g.first_escalation.count,
        g.first_escalation.missing,
        g.first_escalation.open,
        g.first_escalation.p50,
    )
    assert (("acknowledged", 4),) == g.acknowledged_by


def test_a_running_clock_within_its_target_is_not_yet_breached() -> None:
    fresh = ticket("N1", "09T23:50", "P1")  # 10 minutes old at NOW: response due 00:20
    g = kpis(ticket_facts(POLICY, [fresh, TICKETS[3]], now=NOW)).group(None)
    assert (Fraction(1, 2), Fraction(1, 2)) == (
        g.breach_rate("response"),
        g.breach_rate("resolution"),
    )
    assert g.reopen_rate is None  # no ticket was ever resolved


# -- bad input -------------------------------------------------------------------------------


OTHER_TEXT = """
policy: other
version: 7
paths:
  triage:
    kind: vertical
    levels:
      - {name: first, targets: ["team:desk"], after: 1h}
      - {name: second, targets: ["team:x"]}
"""
OTHER = loads(OTHER_TEXT)


def test_a_decision_another_policy_made_is_refused() -> None:
    # review defect 6: read with the wrong policy, its levels came out as triage/0, triage/1
    decision = OTHER.evaluate(TICKETS[0], now=NOW)
    for call in (
        lambda: facts_of(decision, POLICY),
        lambda: decision_facts([decision], POLICY),
        lambda: idle_tiers([decision], POLICY),
        lambda: breach_by_group([decision], policy=POLICY),
        lambda: hot_spots([], [decision], policy=POLICY),
    ):
        with pytest.raises(ArgumentError, match=r"'T1' was decided by policy 'other' version '7'"):
            call()
    newer = loads(OTHER_TEXT.replace("version: 7", "version: 8"))
    with pytest.raises(ArgumentError, match="not by the policy given, 'other' version '8'"):
        facts_of(decision, newer)


def duplicate(first: str, second: str) -> list[dict[str, Any]]:
    return [
        ticket("D1", first, "P1", ev(first, "assigned", group="A"), **MAIL),
        ticket("D1", second, "P1", ev(second, "assigned", group="A"), **MAIL),
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda ts: ticket_facts(POLICY, ts, now=NOW),
        lambda ts: kpis(ticket_facts(POLICY, ts[:1], now=NOW) * 2),
        lambda ts: decision_facts(POLICY.evaluate_many(ts, now=NOW), POLICY),
        recurrences,
        ping_pong,
        ping_pong_chains,
        hot_spots,
        lambda ts: hot_spots([], POLICY.evaluate_many(ts, now=NOW)),
        lambda ts: idle_tiers(POLICY.evaluate_many(ts, now=NOW), POLICY),
        lambda ts: breach_by_group(POLICY.evaluate_many(ts, now=NOW)),
    ],
)
def test_a_ticket_id_given_twice_is_refused(call: Any) -> None:
    # review defect 10: counted once here, twice there, and the output followed input order
    with pytest.raises(ArgumentError, match=r"ticket id 'D1' appears twice \(opened 2024-03-04"):
        call(duplicate("04T08:00", "05T08:00"))


def test_zones_are_names_or_tzinfos() -> None:
    # review defect 17: kpis took only a tzinfo, hot_spots only a name (TypeError)
    facts = ticket_facts(POLICY, TICKETS, now=NOW)
    by_name = kpis(facts, by="period", period="day", zone="Europe/Berlin")
    assert by_name == kpis(facts, by="period", period="day", zone=ZoneInfo("Europe/Berlin"))
    assert "Europe/Berlin" == by_name.zone
    spots = hot_spots(TICKETS, zone=ZoneInfo("Europe/Berlin"))
    assert spots == hot_spots(TICKETS, zone="Europe/Berlin")
    for bad in ("Mars/Olympus", 3, "../etc"):
        with pytest.raises(ArgumentError, match="zone"):
            kpis(facts, by="period", zone=bad)  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match="zone"):
            hot_spots(TICKETS, zone=bad)  # type: ignore[arg-type]


def test_a_bad_ticket_is_named() -> None:
    # review defect 21: the error did not say which of the tickets was bad
    bad = ticket("INC0099", "04T08:00", "P1", ev("04T09:00", "status-changed", status="godot"))
    with pytest.raises(TicketError, match=r"sweep item 5 \(ticket 'INC0099'\)"):
        ticket_facts(POLICY, [*TICKETS, bad], now=NOW)
    with pytest.raises(TicketError, match=r"item 1 \(ticket 'X'\)"):
        recurrences([TICKETS[0], {"id": "X", "opened_at": "2024-03-04T08:00:00"}])
    with pytest.raises(NaiveDatetimeError):
        ticket_facts(POLICY, TICKETS, now=datetime(2024, 3, 10))
    # mappings are read as tickets, as ticket_facts reads them
    assert recurrences(TICKETS) == recurrences([Ticket.from_mapping(t) for t in TICKETS])


# -- properties -------------------------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.integers(1, 180),
        st.sampled_from(["acknowledged", "resolved", "reopened", "closed", "in-progress"]),
    ),
    max_size=8,
)


def history(steps: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """A consistent history from generated steps: a reopen only while ended, a resolution
    or close only while open."""
    events, minute, ended = [], 0, False
    for gap, kind in steps:
        minute += gap
        stamp = (datetime(2024, 3, 4, 8, tzinfo=UTC) + minute * M).isoformat()
        if kind == "reopened" and ended:
            events.append({"at": stamp, "type": "reopened"})
            ended = False
        elif kind in ("resolved", "closed") and not ended:
            events.append({"at": stamp, "type": kind})
            ended = True
        elif kind == "acknowledged":
            events.append({"at": stamp, "type": "acknowledged", "actor": "a"})
        elif kind == "in-progress" and not ended:
            events.append({"at": stamp, "type": "status-changed", "status": "in-progress"})
    return events


@given(STEPS)
@settings(max_examples=60, deadline=None)
def test_cycles_add_up(steps: list[tuple[int, str]]) -> None:
    data = {"id": "P", "opened_at": "2024-03-04T08:00:00Z", "priority": "P1"}
    f = one(REOPENING, {**data, "events": history(steps)}, now=at(6, 0))
    assert len(f.cycles) == f.reopen_count + 1
    total = sum((d for _, d in f.time_at_level), timedelta(0))
    assert timedelta(0) <= total <= at(6, 0) - f.opened_at
    assert total == sum((d for c in f.cycles for _, d in c.time_at_level), timedelta(0))
    for c in f.cycles:
        for _, escalated_at in c.escalations:
            assert c.started_at <= escalated_at <= c.closed_at
    if f.acknowledged_at is not None and f.resolved_at is not None:
        assert f.acknowledged_at <= f.resolved_at
    for clock, breached in f.cycles[-1].breached:
        assert dict(f.breached)[clock] or not breached
