"""Patterns over many tickets: where escalation bounced, peaked, idled and breached.

Pure functions over tickets (their histories) and decisions (one per ticket, e.g. from
:meth:`escalate.Policy.evaluate_many` at an instant after the period studied). Every finding
carries its evidence -- the ticket ids (sorted) and the counts -- and a plain-language
``recommendation``. Output is deterministic whatever the input order: findings are sorted by
their counts, then by name.

* :func:`ping_pong`: tickets reassigned back and forth between two groups (A -> B -> A),
  read from ``assigned`` events and ``field-changed`` events on ``assignment_group``
  (a cleared group is skipped: A -> cleared -> A is no return). A *return* is an assignment
  to the group held two assignments before (A -> B -> A has one return, A -> B -> A -> B
  two). Per unordered pair of groups: the tickets with a return between them, the returns,
  and the longest alternating chain seen. :func:`ping_pong_chains`: the maximal alternating
  chains themselves (``net -> db -> net``), most frequent first.
* :func:`hot_spots`: openings and escalations counted by weekday x hour of day in a stated
  IANA zone. An escalation is a path's move to a higher level than the one it left (an
  override down and the timer's move up again count that move), read from each decision's
  path ``history`` (the current cycle only: a reopened ticket's earlier cycles are not seen).
* :func:`idle_tiers`: per path and level, the resolved tickets that passed through the level
  and how many were resolved while the path was at it; a level that saw tickets and
  resolved none of them is a finding.
* :func:`breach_by_group`: per assignment group (the ticket's group when its first
  escalation happened), the escalated tickets and how many have a breached clock, as an
  exact :class:`~fractions.Fraction`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError

__all__ = [
    "WEEKDAYS",
    "Chain",
    "GroupBreaches",
    "HotSpot",
    "HotSpots",
    "IdleTier",
    "PingPong",
    "breach_by_group",
    "chains_of",
    "group_sequence",
    "hot_spots",
    "idle_tiers",
    "ping_pong",
    "ping_pong_chains",
]

#: Day names, Monday first (``datetime.weekday()`` order).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _percent(part: int, whole: int) -> str:
    """``part / whole`` as a percentage, rounded half to even to one decimal (exact)."""
    tenths = round(Fraction(part * 1000, whole))
    return f"{tenths // 10}.{tenths % 10}%"


# -- ping-pong ------------------------------------------------------------------------------


def group_sequence(ticket: Ticket) -> tuple[str, ...]:
    """The groups ``ticket`` was assigned to, in order, repeats in a row collapsed."""
    found: list[str] = []
    for event in ticket.events:
        if event.type == "assigned":
            group = event.group
        elif event.type == "field-changed" and event.field == "assignment_group":
            group = event.to_value if isinstance(event.to_value, str) else None
        else:
            continue
        if group is not None and (not found or found[-1] != group):
            found.append(group)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class PingPong:
    """Two groups a ticket went back and forth between (``pair``: the two, sorted)."""

    pair: tuple[str, str]
    tickets: tuple[str, ...]
    returns: int
    longest: tuple[str, ...]  # the longest alternating chain, e.g. ("A", "B", "A", "B")

    @property
    def recommendation(self) -> str:
        a, b = self.pair
        n = len(self.tickets)
        return (
            f"{n} ticket{'s' if n != 1 else ''} went back and forth between {a} and {b} "
            f"({self.returns} return{'s' if self.returns != 1 else ''}; longest chain "
            f"{' -> '.join(self.longest)}): agree which of {a} and {b} owns such tickets and "
            "route them there first (a rule on category or service), or let one group pull "
            "the other in without handing the ticket over."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the finding, its evidence and the recommendation."""
        return {
            "pair": list(self.pair),
            "tickets": list(self.tickets),
            "returns": self.returns,
            "longest": list(self.longest),
            "recommendation": self.recommendation,
        }


def chains_of(groups: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The maximal alternating runs (A, B, A, ...) of three or more in a group sequence.

    >>> chains_of(("net", "db", "net", "db", "app", "db", "app"))
    (('net', 'db', 'net', 'db'), ('db', 'app', 'db', 'app'))
    """
    found = []
    start = 0  # where the current run starts
    for i in range(2, len(groups) + 1):
        if i == len(groups) or groups[i] != groups[i - 2]:
            if i - start >= 3:
                found.append(tuple(groups[start:i]))
            start = i - 1
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Chain:
    """An alternating chain of groups and the tickets that went through it exactly."""

    chain: tuple[str, ...]
    tickets: tuple[str, ...]

    @property
    def recommendation(self) -> str:
        n = len(self.tickets)
        return (
            f"{n} ticket{'s' if n != 1 else ''} went {' -> '.join(self.chain)}: each hand-back "
            f"restarts the work; give {self.chain[0]} and {self.chain[1]} a rule for who keeps "
            "such a ticket."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the chain, its tickets and the recommendation."""
        return {
            "chain": list(self.chain),
            "tickets": list(self.tickets),
            "recommendation": self.recommendation,
        }


def ping_pong_chains(tickets: Iterable[Ticket], *, top: int = 10) -> tuple[Chain, ...]:
    """The ``top`` most frequent alternating chains (see :func:`chains_of`), most tickets
    first, then the longer chain, then the chain's names; a ticket counts once per chain."""
    if top < 0:
        raise ArgumentError(f"top must be 0 or more, got {top}")
    per_chain: dict[tuple[str, ...], set[str]] = {}
    for ticket in tickets:
        for chain in chains_of(group_sequence(ticket)):
            per_chain.setdefault(chain, set()).add(ticket.id)
    ranked = sorted(per_chain.items(), key=lambda kv: (-len(kv[1]), -len(kv[0]), kv[0]))
    return tuple(Chain(chain, tuple(sorted(ids))) for chain, ids in ranked[:top])


def ping_pong(tickets: Iterable[Ticket], *, min_tickets: int = 1) -> tuple[PingPong, ...]:
    """Pairs of groups tickets bounced between, most tickets first (then most returns, then
    the pair's names); only pairs with at least ``min_tickets`` tickets. A chain of ``n``
    groups has ``n - 2`` returns."""
    if min_tickets < 1:
        raise ArgumentError(f"min_tickets must be at least 1, got {min_tickets}")
    per_pair: dict[tuple[str, str], tuple[set[str], list[int], list[tuple[str, ...]]]] = {}
    for ticket in tickets:
        for chain in chains_of(group_sequence(ticket)):
            a, b = chain[0], chain[1]
            pair = (min(a, b), max(a, b))
            ids, returns, chains = per_pair.setdefault(pair, (set(), [0], []))
            ids.add(ticket.id)
            returns[0] += len(chain) - 2
            chains.append(chain)
    found = []
    for pair, (ids, returns, chains) in per_pair.items():
        if len(ids) < min_tickets:
            continue
        longest = min(chains, key=lambda c: (-len(c), c))
        found.append(PingPong(pair, tuple(sorted(ids)), returns[0], longest))
    found.sort(key=lambda p: (-len(p.tickets), -p.returns, p.pair))
    return tuple(found)


# -- hot spots ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotSpot:
    """One weekday x hour cell: ``weekday`` 0 = Monday, ``hour`` 0-23 local to the zone."""

    what: str  # "openings" or "escalations"
    weekday: int
    hour: int
    count: int
    total: int
    tickets: tuple[str, ...]
    zone: str

    @property
    def recommendation(self) -> str:
        when = f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00-{(self.hour + 1) % 24:02d}:00"
        return (
            f"{self.count} of {self.total} {self.what} ({_percent(self.count, self.total)}) "
            f"fell on {when} {self.zone}: check that the rota covers that hour with enough "
            "people, and look at what those tickets share (a batch job, a change window)."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the cell (weekday by name), its counts, tickets and recommendation."""
        return {
            "what": self.what,
            "weekday": WEEKDAYS[self.weekday],
            "hour": self.hour,
            "count": self.count,
            "total": self.total,
            "tickets": list(self.tickets),
            "zone": self.zone,
            "recommendation": self.recommendation,
        }


@dataclass(frozen=True, slots=True)
class HotSpots:
    """The weekday x hour counts (``openings[weekday][hour]``, likewise ``escalations``) and
    the busiest cells of each, busiest first."""

    zone: str
    openings: tuple[tuple[int, ...], ...]
    escalations: tuple[tuple[int, ...], ...]
    top: tuple[HotSpot, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the zone, both grids (rows Monday first) and the busiest cells."""
        return {
            "zone": self.zone,
            "weekdays": list(WEEKDAYS),
            "openings": [list(row) for row in self.openings],
            "escalations": [list(row) for row in self.escalations],
            "top": [spot.to_dict() for spot in self.top],
        }


def _escalations(decision: Decision) -> list[datetime]:
    """The instants a path of ``decision`` moved up: to a higher level than the one it left
    (a timer, an unacknowledged page, an override up; not an override down, nor a
    ``repeat`` path wrapping round to its first level)."""
    found = []
    for state in decision.paths.values():
        for (_, before), (entered_at, index) in pairwise(state.history):
            if index > before:
                found.append(entered_at)
    return found


def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ArgumentError(
            f"zone {zone!r} is not an IANA time zone (e.g. Europe/Berlin)"
        ) from error


def hot_spots(
    tickets: Iterable[Ticket],
    decisions: Iterable[Decision] = (),
    *,
    zone: str = "UTC",
    top: int = 3,
) -> HotSpots:
    """Openings of ``tickets`` and escalations in ``decisions`` by weekday and hour in
    ``zone``; ``top`` busiest cells of each kind (cells with a count of 0 never)."""
    if top < 0:
        raise ArgumentError(f"top must be 0 or more, got {top}")
    tz = _zone(zone)
    cells: dict[str, dict[tuple[int, int], list[str]]] = {"openings": {}, "escalations": {}}

    def count(what: str, at: datetime, ticket_id: str) -> None:
        local = at.astimezone(tz)
        cells[what].setdefault((local.weekday(), local.hour), []).append(ticket_id)

    for ticket in tickets:
        count("openings", ticket.opened_at, ticket.id)
    for decision in decisions:
        for at in _escalations(decision):
            count("escalations", at, decision.ticket_id)

    def grid(what: str) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(len(cells[what].get((d, h), ())) for h in range(24)) for d in range(7))

    spots = []
    for what in ("openings", "escalations"):
        total = sum(len(ids) for ids in cells[what].values())
        ranked = sorted(cells[what].items(), key=lambda kv: (-len(kv[1]), kv[0]))
        for (day, hour), ids in ranked[:top]:
            spots.append(HotSpot(what, day, hour, len(ids), total, tuple(sorted(set(ids))), zone))
    return HotSpots(zone, grid("openings"), grid("escalations"), tuple(spots))


# -- tiers that add no value ----------------------------------------------------------------


def _resolved_at(ticket: Ticket) -> datetime | None:
    """When ``ticket`` was last resolved, unless reopened since (then ``None``)."""
    found = None
    for event in ticket.events:
        if event.type == "resolved":
            found = event.at
        elif event.type == "reopened":
            found = None
    return found


@dataclass(frozen=True, slots=True)
class IdleTier:
    """A path's level: the resolved tickets that passed through it and those it resolved."""

    path: str
    level: str
    index: int
    passed: tuple[str, ...]
    resolved: tuple[str, ...]

    @property
    def recommendation(self) -> str:
        if self.resolved:
            return (
                f"Level {self.level} of path {self.path} resolved {len(self.resolved)} of the "
                f"{len(self.passed)} resolved tickets that reached it."
            )
        n = len(self.passed)
        return (
            f"Level {self.level} of path {self.path} resolved none of the {n} resolved "
            f"ticket{'s' if n != 1 else ''} that passed through it: shorten its wait or skip "
            "it (page the next level directly) for such tickets, or give it what it needs to "
            "resolve them."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the level, the tickets that passed and those it resolved."""
        return {
            "path": self.path,
            "level": self.level,
            "index": self.index,
            "passed": list(self.passed),
            "resolved": list(self.resolved),
            "recommendation": self.recommendation,
        }


def idle_tiers(
    decisions: Iterable[Decision], policy: Policy, *, all_levels: bool = False
) -> tuple[IdleTier, ...]:
    """Levels that resolved none of the resolved tickets that passed through them, most
    tickets first (then path, level index); with ``all_levels``, every level reached.

    A ticket counts when it is resolved (its last ``resolved`` event, not reopened since) and
    the path was active: it *passed through* each level in the path's history up to the
    resolution and was *resolved at* the level in force at that instant. Level names come
    from ``policy``'s paths (a level it does not declare is named by its index, ``#2``).
    """
    names = {p.name: tuple(level.name for level in p.levels) for p in policy.paths}
    per_level: dict[tuple[str, int], tuple[str, set[str], set[str]]] = {}
    for decision in decisions:
        resolved_at = _resolved_at(decision.ticket)
        if resolved_at is None:
            continue
        for name, state in decision.paths.items():
            reached = [(at, i) for at, i in state.history if at <= resolved_at]
            if not reached:
                continue
            declared = names.get(name, ())
            for _, index in reached:
                level = declared[index] if index < len(declared) else f"#{index}"
                entry = per_level.setdefault((name, index), (level, set(), set()))
                entry[1].add(decision.ticket_id)
            final = reached[-1][1]
            per_level[(name, final)][2].add(decision.ticket_id)
    found = [
        IdleTier(path, level, index, tuple(sorted(passed)), tuple(sorted(resolved)))
        for (path, index), (level, passed, resolved) in per_level.items()
        if all_levels or not resolved
    ]
    found.sort(key=lambda t: (-len(t.passed) if not t.resolved else 0, t.path, t.index))
    return tuple(found)


# -- groups whose escalations breach --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupBreaches:
    """An assignment group's escalated tickets and those with a breached clock."""

    group: str
    escalated: tuple[str, ...]
    breached: tuple[str, ...]

    @property
    def rate(self) -> Fraction:
        """The breached share of the escalated tickets (exact)."""
        return Fraction(len(self.breached), len(self.escalated))

    @property
    def recommendation(self) -> str:
        n, b = len(self.escalated), len(self.breached)
        if not b:
            return f"None of the {n} escalated tickets of {self.group} breached."
        return (
            f"{b} of the {n} tickets escalated while with {self.group} breached "
            f"({_percent(b, n)}): escalation comes too late for this group -- page its next "
            "level earlier, or look at why its tickets wait before they escalate."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the rate as an exact ``"n/d"`` string and as a rounded percentage."""
        rate = self.rate
        return {
            "group": self.group,
            "escalated": list(self.escalated),
            "breached": list(self.breached),
            "rate": f"{rate.numerator}/{rate.denominator}",
            "percent": _percent(len(self.breached), len(self.escalated)),
            "recommendation": self.recommendation,
        }


def _group_at(ticket: Ticket, at: datetime) -> str | None:
    group: str | None = None
    for event in ticket.events:
        if event.at > at:
            break
        if event.type == "assigned" and event.group is not None:
            group = event.group
        elif event.type == "field-changed" and event.field == "assignment_group":
            group = event.to_value if isinstance(event.to_value, str) else None
    return group


def breach_by_group(
    decisions: Iterable[Decision], *, clocks: Sequence[str] | None = None
) -> tuple[GroupBreaches, ...]:
    """Per assignment group, the escalated tickets and how many breached, highest rate first
    (then most escalated, then the group's name).

    A ticket is *escalated* when a path of its decision moved to a higher level; its group is
    the one it was assigned to at its first escalation (tickets without one are counted under
    ``(none)``); it *breached* when a clock (of ``clocks``, else any) has its ``breached`` flag
    set at the decision's instant. A clock of ``clocks`` that no decision has is an
    :class:`~escalate.errors.ArgumentError` (a misspelt name would hide every breach).
    """
    per_group: dict[str, tuple[set[str], set[str]]] = {}
    wanted: Mapping[str, object] | None = None if clocks is None else dict.fromkeys(clocks)
    seen: set[str] = set()
    for decision in decisions:
        seen.update(decision.clocks)
        moves = _escalations(decision)
        if not moves:
            continue
        group = _group_at(decision.ticket, min(moves)) or "(none)"
        escalated, breached = per_group.setdefault(group, (set(), set()))
        escalated.add(decision.ticket_id)
        if any(
            state.breached
            for name, state in decision.clocks.items()
            if wanted is None or name in wanted
        ):
            breached.add(decision.ticket_id)
    unknown = [name for name in wanted or () if name not in seen]
    if unknown and seen:
        raise ArgumentError(
            f"clock {unknown[0]!r} is in none of the decisions (their clocks: "
            f"{', '.join(sorted(seen))}): a misspelt clock would count no breach"
        )
    found = [
        GroupBreaches(group, tuple(sorted(esc)), tuple(sorted(br)))
        for group, (esc, br) in per_group.items()
    ]
    found.sort(key=lambda g: (-g.rate, -len(g.escalated), g.group))
    return tuple(found)
