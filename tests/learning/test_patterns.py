"""Patterns over small hand-checked corpora: ping-pong, hot spots, idle tiers, breaching groups.

The decision corpus (policy below; evaluated Wednesday 2024-06-05 12:00 UTC). Path ``desk``
starts on open: L1 for 30m, L2 for 1h, then L3; so a ticket opened Monday 10:00 UTC escalates
to L2 at 10:30 and to L3 at 11:30 unless resolved first. Clock ``resolution``: P1 4h.

    A  net        resolved 10:20  -> resolved at L1, never escalated
    B  net        resolved 11:40  -> passed L1 L2 L3, resolved at L3, 2h40 (no breach)
    C  db         resolved 13:00  -> passed L1 L2 L3, resolved at L3, 3h (no breach)
    D  db, net at 10:45, open     -> escalated while with db, breached (running > 4h)
    E  net        resolved 15:00  -> passed L1 L2 L3, resolved at L3, 5h (breached)
    F  app        open            -> escalated while with app, breached

L2 saw B, C, E and resolved none of them: the idle tier. Breach rates: app 1/1, db 1/2
(C, D), net 1/2 (B, E).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from escalate import Policy, Ticket, loads
from escalate.errors import ArgumentError
from escalate.learning import (
    GroupBreaches,
    breach_by_group,
    chains_of,
    group_sequence,
    hot_spots,
    idle_tiers,
    ping_pong,
    ping_pong_chains,
)

POLICY = """\
policy: learning-tests
version: "1"
directory:
  people:
    bob: {}
    dave: {}
    carol: {}
clocks:
  resolution:
    type: resolution
    start: {event: created}
    stop: {category: [resolved, closed, cancelled]}
    targets:
      P1: {within: 4h}
      default: {within: 1d}
paths:
  desk:
    kind: vertical
    starts: on-open
    levels:
      - {name: L1, targets: [person:bob], after: 30m}
      - {name: L2, targets: [person:dave], after: 1h}
      - {name: L3, targets: [person:carol]}
"""

NOW = datetime(2024, 6, 5, 12, tzinfo=UTC)


def policy() -> Policy:
    return loads(POLICY, filename="learning.yaml")


def ticket(tid: str, opened: str, *events: dict[str, Any]) -> Ticket:
    return Ticket.from_mapping(
        {"id": tid, "opened_at": opened, "priority": "P1", "events": list(events)}
    )


def assign(at: str, group: str | None) -> dict[str, Any]:
    if group is None:
        return {"at": at, "type": "field-changed", "field": "assignment_group", "to": None}
    return {"at": at, "type": "assigned", "group": group}


def resolve(at: str) -> dict[str, Any]:
    return {"at": at, "type": "resolved"}


def day(hhmm: str) -> str:
    return f"2024-06-03T{hhmm}:00Z"


# -- ping-pong ------------------------------------------------------------------------------


def bouncing(tid: str, *groups: str | None) -> Ticket:
    events = [assign(f"2024-06-03T10:{i:02d}:00Z", g) for i, g in enumerate(groups)]
    return ticket(tid, day("10:00"), *events)


PING = [
    bouncing("T1", "net", "db", "net", "db"),
    bouncing("T2", "net", "db", "net", "app"),
    bouncing("T3", "app", "db", "app"),
    bouncing("T4", "net", None, "net"),
    bouncing("T5", "net", "db", "app", "db", "net"),
]


def test_group_sequence_collapses_repeats_and_skips_clears() -> None:
    assert group_sequence(PING[3]) == ("net",)
    assert group_sequence(bouncing("X", "a1", "a1", "b2")) == ("a1", "b2")


def test_ping_pong_pairs_with_evidence_and_order() -> None:
    found = ping_pong(PING)
    assert [(p.pair, p.tickets, p.returns, p.longest) for p in found] == [
        (("db", "net"), ("T1", "T2"), 3, ("net", "db", "net", "db")),
        (("app", "db"), ("T3", "T5"), 2, ("app", "db", "app")),
    ]
    assert ping_pong(PING, min_tickets=2)[0].recommendation.startswith(
        "2 tickets went back and forth between db and net (3 returns; longest chain "
        "net -> db -> net -> db): agree which"
    )
    # below the default minimum of five tickets the evidence is listed, no cause claimed
    assert found[0].recommendation == (
        "Too few tickets to conclude (2 of the 5 needed): 2 tickets went back and forth "
        "between db and net (3 returns; longest chain net -> db -> net -> db)."
    )


def test_ping_pong_is_independent_of_input_order_and_filters() -> None:
    assert ping_pong(list(reversed(PING))) == ping_pong(PING)
    assert [p.pair for p in ping_pong(PING, min_tickets=2)] == [("db", "net"), ("app", "db")]
    assert ping_pong([PING[3]]) == ()
    with pytest.raises(ArgumentError):
        ping_pong(PING, min_tickets=0)


def test_chains_are_maximal_alternating_runs_most_frequent_first() -> None:
    assert chains_of(("a1", "b2", "a1", "c3", "a1", "c3")) == (
        ("a1", "b2", "a1"),
        ("a1", "c3", "a1", "c3"),  # runs share the group where one turns into the next
    )
    assert chains_of(("a1", "b2")) == () and chains_of(()) == ()
    more = [*PING, bouncing("T6", "app", "db", "app", "net"), bouncing("T7", "net", "db", "net")]
    found = ping_pong_chains(more)
    assert [(c.chain, c.tickets) for c in found] == [
        (("app", "db", "app"), ("T3", "T6")),
        (("net", "db", "net"), ("T2", "T7")),
        (("net", "db", "net", "db"), ("T1",)),
        (("db", "app", "db"), ("T5",)),
    ]
    assert ping_pong_chains(more, top=1, min_tickets=2)[0].recommendation.startswith(
        "2 tickets went app -> db -> app: each hand-back"
    )


# -- hot spots ------------------------------------------------------------------------------


def test_openings_by_weekday_and_hour_in_the_stated_zone() -> None:
    tickets = [
        ticket("O1", "2024-06-03T07:30:00Z"),  # Monday 09:30 in Berlin (CEST)
        ticket("O2", "2024-06-03T07:50:00Z"),  # Monday 09:50
        ticket("O3", "2024-06-03T08:10:00Z"),  # Monday 10:10
        ticket("O4", "2024-06-02T22:30:00Z"),  # Sunday in UTC, Monday 00:30 in Berlin
        ticket("O5", "2024-06-04T07:05:00Z"),  # Tuesday 09:05
    ]
    spots = hot_spots(tickets, zone="Europe/Berlin", top=3)
    assert spots.openings[0][9] == 2 and spots.openings[0][0] == 1 and spots.openings[1][9] == 1
    assert sum(map(sum, spots.openings)) == 5 and sum(map(sum, spots.escalations)) == 0
    assert [(s.what, s.weekday, s.hour, s.count, s.tickets) for s in spots.top] == [
        ("openings", 0, 9, 2, ("O1", "O2")),
        ("openings", 0, 0, 1, ("O4",)),
        ("openings", 0, 10, 1, ("O3",)),
    ]
    # 2 of 5 is 2 * 168 / 5 = 67.2 times an even spread of 5 openings over 168 hours
    assert hot_spots(tickets, zone="Europe/Berlin", min_tickets=2).top[0].recommendation == (
        "5 openings in all, 2 (40.00%) on Monday 09:00-10:00 Europe/Berlin: 67.20 times an "
        "even spread (1/168 of them per hour of the week), a hot spot: check that the rota "
        "covers that hour with enough people, and look at what those tickets share (a batch "
        "job, a change window)."
    )
    utc = hot_spots(tickets)
    assert utc.openings[6][22] == 1  # Sunday 22:00 UTC
    with pytest.raises(ArgumentError, match="top"):
        hot_spots(tickets, top=-1)
    with pytest.raises(ArgumentError, match="IANA"):
        hot_spots(tickets, zone="Mars/Olympus")


# -- the decision corpus --------------------------------------------------------------------

CORPUS = [
    ticket("A", day("10:00"), assign(day("10:00"), "net"), resolve(day("10:20"))),
    ticket("B", day("10:00"), assign(day("10:00"), "net"), resolve(day("11:40"))),
    ticket("C", day("10:00"), assign(day("10:00"), "db"), resolve(day("13:00"))),
    ticket("D", day("10:00"), assign(day("10:00"), "db"), assign(day("10:45"), "net")),
    ticket("E", day("10:00"), assign(day("10:00"), "net"), resolve(day("15:00"))),
    ticket("F", day("10:00"), assign(day("10:00"), "app")),
]


@pytest.fixture(scope="module")
def decided() -> tuple[Policy, list[Any]]:
    p = policy()
    return p, [p.evaluate(t, now=NOW) for t in CORPUS]


def test_escalations_by_hour_come_from_path_level_changes(decided: Any) -> None:
    _, decisions = decided
    spots = hot_spots(CORPUS, decisions, zone="Europe/Berlin", top=2)
    # B..F move to L2 at 10:30 UTC (12:30 CEST) and to L3 at 11:30 UTC (13:30 CEST); A never.
    assert spots.escalations[0][12] == 5 and spots.escalations[0][13] == 5
    assert sum(map(sum, spots.escalations)) == 10
    escalations = [s for s in spots.top if s.what == "escalations"]
    assert [(s.hour, s.tickets) for s in escalations] == [
        (12, ("B", "C", "D", "E", "F")),
        (13, ("B", "C", "D", "E", "F")),
    ]


def test_every_move_up_is_an_escalation_and_a_move_down_is_not() -> None:
    p = policy()

    def override(at: str, level: str) -> dict[str, Any]:
        return {
            "at": at,
            "type": "override",
            "actor": "alice",
            "reason": "manual",
            "path": "desk",
            "level": level,
        }

    # L1 10:00, override up to L3 10:10, down to L1 10:20, timer to L2 10:50 and L3 11:50
    moved = ticket("M", day("10:00"), override(day("10:10"), "L3"), override(day("10:20"), "L1"))
    spots = hot_spots([], [p.evaluate(moved, now=NOW)])
    assert [(h, spots.escalations[0][h]) for h in (10, 11)] == [(10, 2), (11, 1)]
    assert sum(map(sum, spots.escalations)) == 3


def test_idle_tier_is_the_level_that_resolved_none(decided: Any) -> None:
    p, decisions = decided
    idle = idle_tiers(decisions, p)
    assert [(t.path, t.level, t.passed, t.resolved) for t in idle] == [
        ("desk", "L2", ("B", "C", "E"), ()),
    ]
    # nobody acknowledged anything in this corpus: the level is unresponsive
    assert idle_tiers(decisions, p, min_tickets=3)[0].recommendation.startswith(
        "Level L2 of path desk: 3 resolved tickets reached it; it acknowledged none and "
        "resolved none: unresponsive"
    )
    every = {t.level: (t.passed, t.resolved) for t in idle_tiers(decisions, p, all_levels=True)}
    assert every == {
        "L1": (("A", "B", "C", "E"), ("A",)),
        "L2": (("B", "C", "E"), ()),
        "L3": (("B", "C", "E"), ("B", "C", "E")),
    }


def test_a_reopened_ticket_counts_for_its_resolved_cycle_only(decided: Any) -> None:
    p, _ = decided
    # cycle 1: L1 10:00, L2 10:30, resolved 10:40 at L2; cycle 2 from 10:50 is open
    reopened = ticket(
        "R",
        day("10:00"),
        resolve(day("10:40")),
        {"at": day("10:50"), "type": "reopened"},
    )
    found = idle_tiers([p.evaluate(reopened, now=NOW)], p, all_levels=True)
    assert [("L1", ("R",), ()), ("L2", ("R",), ("R",))] == [
        (t.level, t.passed, t.resolved) for t in found
    ]


def test_breach_rate_per_group_at_first_escalation(decided: Any) -> None:
    _, decisions = decided
    found = breach_by_group(decisions, min_tickets=1)
    assert [(g.group, g.escalated, g.breached, g.rate) for g in found] == [
        ("app", ("F",), ("F",), Fraction(1)),
        ("db", ("C", "D"), ("D",), Fraction(1, 2)),  # D moved to net after escalating
        ("net", ("B", "E"), ("E",), Fraction(1, 2)),
    ]
    assert found[1].recommendation.startswith(
        "2 tickets escalated while with db; 1 breached (50.00%), at least the 20.00% this "
        "report flags: escalation comes too late"
    )
    # with the default minimum of five, no group has enough: most escalated first
    assert [g.group for g in breach_by_group(decisions)] == ["db", "net", "app"]
    assert breach_by_group(list(reversed(decisions)), min_tickets=1) == found
    assert breach_by_group(decisions, clocks=["resolution"], min_tickets=1) == found
    with pytest.raises(ArgumentError, match="'resolutoin' is in none of the decisions"):
        breach_by_group(decisions, clocks=["resolutoin"])
    assert breach_by_group(decisions, clocks=[]) == (  # no breaches: most escalated first
        GroupBreaches("db", ("C", "D"), ()),
        GroupBreaches("net", ("B", "E"), ()),
        GroupBreaches("app", ("F",), ()),
    )
    assert (
        GroupBreaches("db", ("C", "D"), ()).recommendation
        == "2 tickets escalated while with db; none breached."
    )


def test_findings_are_json_ready_with_evidence_and_recommendation(decided: Any) -> None:
    p, decisions = decided
    db = breach_by_group(decisions)[0].to_dict()
    assert db == {
        "group": "db",
        "escalated": ["C", "D"],
        "breached": ["D"],
        "rate": "1/2",
        "percent": "50.00%",
        "conclusive": False,
        "recommendation": db["recommendation"],
    }
    spots = hot_spots(CORPUS, decisions, zone="Europe/Berlin", top=1).to_dict()
    assert spots["top"][0]["weekday"] == "Monday" and spots["top"][0]["tickets"] == [
        "A",
        "B",
        "C",
        "D",
        "E",
        "F",
    ]  # all six opened Monday 12:00 Berlin
    assert spots["escalations"][0][12] == 5 and len(spots["openings"]) == 7
    assert idle_tiers(decisions, p)[0].to_dict()["passed"] == ["B", "C", "E"]
    assert ping_pong(PING)[0].to_dict()["longest"] == ["net", "db", "net", "db"]
    assert ping_pong_chains(PING)[0].to_dict()["tickets"] == ["T1"]
    json.dumps([spots, db])
