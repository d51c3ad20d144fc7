"""Patterns over many tickets: where escalation bounced, peaked, idled and breached.

Pure functions over tickets (their histories) and decisions (one per ticket, e.g. from
:meth:`escalate.Policy.evaluate_many` at an instant after the period studied). Every finding
carries its evidence -- the ticket ids (sorted) and the counts -- and a plain-language
``recommendation``. Output is deterministic whatever the input order: findings are sorted by
their counts, then by name. A ticket id given twice is an
:class:`~escalate.errors.ArgumentError`; so is a decision another policy made than the
``policy`` given.

**Small samples.** Each function takes ``min_tickets`` (default :data:`MIN_TICKETS`): a
finding with fewer tickets than that is still listed with its evidence, but its
recommendation claims no cause -- it says "too few tickets to conclude" (``conclusive`` is
false).

**Shared definitions** (:mod:`escalate.learning._history`, the same as the KPIs'): a ticket
*ends* in a status of the ``resolved``, ``closed`` or ``cancelled`` category of the policy
that decided it; it is *resolved* (fixed) by entering ``resolved`` or ``closed``; an
*escalation* is a vertical path's move up or an on-trigger path's first entry (horizontal
transfers are not escalations). With ``policy`` given, each cycle of a reopened ticket is
read (one more evaluation per reopen); without it, only the decisions' current cycles are
seen, and an on-trigger path's first entry cannot be told from an on-open path's start, so it
is not counted: pass the policy.

* :func:`ping_pong`: tickets reassigned back and forth between two groups (A -> B -> A),
  read from ``assigned`` events and ``field-changed`` events on ``assignment_group``
  (a cleared group is skipped: A -> cleared -> A is no return). A *return* is an assignment
  to the group held two assignments before (A -> B -> A has one return, A -> B -> A -> B
  two): the strict case. Per unordered pair of groups: the tickets with a return between
  them, the returns, and the longest alternating chain seen. :func:`ping_pong_chains`: the
  maximal alternating chains themselves (``net -> db -> net``), most frequent first.
  :func:`ping_pong_loops`: every *loop* -- a group reached again after at least one other
  (A -> B -> C -> A, and the strict A -> B -> A), from the group's previous turn -- most
  frequent first.
* :func:`hot_spots`: openings and escalations counted by weekday x hour of day in a stated
  IANA zone, each cell compared with an even spread (1/168 of the total per hour of the
  week): a cell is called *hot* only at :data:`HOT_FACTOR` (or ``min_factor``) times that or
  more, with ``min_tickets`` tickets. Cells are local wall hours: in the autumn the repeated
  hour's two real hours land in one cell (it can look twice as busy as its neighbours), and
  on the spring day the skipped hour's cell stays empty.
* :func:`idle_tiers`: per path and level (per segment variant), the resolved cycles that
  passed through the level, those it acknowledged and those resolved while the path was at
  it; a level that resolved none is a finding -- *unresponsive* when it acknowledged none
  either (the page goes unanswered, or its timer just runs out), *adds no value* when it
  acknowledged some and resolved none.
* :func:`breach_by_group`: per assignment group (the ticket's group at its first
  escalation), the escalated tickets and how many have a breached clock (in any cycle), as
  an exact :class:`~fractions.Fraction`; groups with ``min_tickets`` escalated tickets are
  ranked by rate, the others after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from fractions import Fraction
from typing import Any

from escalate._stats import percent_text, ratio_text, zone_of
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.paths import PathDef
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError
from escalate.learning._history import (
    Cycle,
    cycle_decisions,
    cycles,
    deciding_policy,
    escalations,
    path_defs,
    signals,
    tickets_of,
    unique,
)

__all__ = [
    "BREACH_ALARM",
    "HOT_FACTOR",
    "MIN_TICKETS",
    "WEEKDAYS",
    "Chain",
    "GroupBreaches",
    "HotSpot",
    "HotSpots",
    "IdleTier",
    "Loop",
    "PingPong",
    "breach_by_group",
    "chains_of",
    "group_sequence",
    "hot_spots",
    "idle_tiers",
    "loops_of",
    "ping_pong",
    "ping_pong_chains",
    "ping_pong_loops",
]

#: Day names, Monday first (``datetime.weekday()`` order).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Below this many tickets a finding claims no cause.
MIN_TICKETS = 5
#: How many times an even spread a weekday x hour cell must hold to be called hot.
HOT_FACTOR = Fraction(2)
#: The breach rate of a group's escalated tickets from which a recommendation says escalation
#: comes too late for the group.
BREACH_ALARM = Fraction(1, 5)
_CELLS = 7 * 24


def _n(count: int, noun: str) -> str:
    """``1 ticket``, ``2 tickets``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _few(count: int, minimum: int) -> str:
    return f"Too few tickets to conclude ({count} of the {minimum} needed): "


def _check_min(min_tickets: int) -> None:
    if isinstance(min_tickets, bool) or not isinstance(min_tickets, int) or min_tickets < 1:
        raise ArgumentError(
            f"min_tickets must be a whole number of at least 1, got {min_tickets!r}"
        )


def _check_top(top: int) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise ArgumentError(f"top must be 0 or more, got {top!r}")


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
    min_tickets: int = MIN_TICKETS

    @property
    def conclusive(self) -> bool:
        """Whether enough tickets went back and forth to recommend anything."""
        return len(self.tickets) >= self.min_tickets

    @property
    def recommendation(self) -> str:
        a, b = self.pair
        n = len(self.tickets)
        seen = (
            f"{_n(n, 'ticket')} went back and forth between {a} and {b} "
            f"({_n(self.returns, 'return')}; longest chain {' -> '.join(self.longest)})"
        )
        if not self.conclusive:
            return f"{_few(n, self.min_tickets)}{seen}."
        return (
            f"{seen}: agree which of {a} and {b} owns such tickets and route them there "
            "first (a rule on category or service), or let one group pull the other in "
            "without handing the ticket over."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the finding, its evidence and the recommendation."""
        return {
            "pair": list(self.pair),
            "tickets": list(self.tickets),
            "returns": self.returns,
            "longest": list(self.longest),
            "conclusive": self.conclusive,
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


def loops_of(groups: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Every loop of a group sequence (repeats in a row collapsed): each time a group comes
    back after at least one other, the groups from its previous turn to its return.

    >>> loops_of(("net", "db", "app", "net", "db"))
    (('net', 'db', 'app', 'net'), ('db', 'app', 'net', 'db'))
    >>> loops_of(("net", "db", "net"))  # the strict case, A -> B -> A
    (('net', 'db', 'net'),)
    """
    last: dict[str, int] = {}
    found = []
    for i, group in enumerate(groups):
        before = last.get(group)
        if before is not None and i - before >= 2:
            found.append(tuple(groups[before : i + 1]))
        last[group] = i
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Chain:
    """An alternating chain of groups and the tickets that went through it exactly."""

    chain: tuple[str, ...]
    tickets: tuple[str, ...]
    min_tickets: int = MIN_TICKETS

    @property
    def conclusive(self) -> bool:
        """Whether enough tickets went this way to recommend anything."""
        return len(self.tickets) >= self.min_tickets

    @property
    def recommendation(self) -> str:
        n = len(self.tickets)
        seen = f"{_n(n, 'ticket')} went {' -> '.join(self.chain)}"
        if not self.conclusive:
            return f"{_few(n, self.min_tickets)}{seen}."
        return (
            f"{seen}: each hand-back restarts the work; give {self.chain[0]} and "
            f"{self.chain[1]} a rule for who keeps such a ticket."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the chain, its tickets and the recommendation."""
        return {
            "chain": list(self.chain),
            "tickets": list(self.tickets),
            "conclusive": self.conclusive,
            "recommendation": self.recommendation,
        }


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop of groups (``loop[0] == loop[-1]``) and the tickets that went round it."""

    loop: tuple[str, ...]
    tickets: tuple[str, ...]
    min_tickets: int = MIN_TICKETS

    @property
    def strict(self) -> bool:
        """Whether this is the strict back-and-forth A -> B -> A."""
        return len(self.loop) == 3

    @property
    def conclusive(self) -> bool:
        """Whether enough tickets went round it to recommend anything."""
        return len(self.tickets) >= self.min_tickets

    @property
    def recommendation(self) -> str:
        n = len(self.tickets)
        seen = f"{_n(n, 'ticket')} came back to {self.loop[0]} via {' -> '.join(self.loop)}"
        if not self.conclusive:
            return f"{_few(n, self.min_tickets)}{seen}."
        between = ", ".join(self.loop[1:-1])
        return (
            f"{seen}: the groups in between ({between}) passed such tickets on without "
            f"keeping them; route them to the group that resolves them first, or let "
            f"{self.loop[0]} pull the others in instead of handing the ticket round."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the loop, its tickets and the recommendation."""
        return {
            "loop": list(self.loop),
            "strict": self.strict,
            "tickets": list(self.tickets),
            "conclusive": self.conclusive,
            "recommendation": self.recommendation,
        }


def ping_pong_chains(
    tickets: Iterable[Ticket | Mapping[str, Any]],
    *,
    top: int = 10,
    min_tickets: int = MIN_TICKETS,
) -> tuple[Chain, ...]:
    """The ``top`` most frequent alternating chains (see :func:`chains_of`), most tickets
    first, then the longer chain, then the chain's names; a ticket counts once per chain."""
    _check_top(top)
    _check_min(min_tickets)
    per_chain: dict[tuple[str, ...], set[str]] = {}
    for ticket in tickets_of(tickets):
        for chain in chains_of(group_sequence(ticket)):
            per_chain.setdefault(chain, set()).add(ticket.id)
    ranked = sorted(per_chain.items(), key=lambda kv: (-len(kv[1]), -len(kv[0]), kv[0]))
    return tuple(Chain(chain, tuple(sorted(ids)), min_tickets) for chain, ids in ranked[:top])


def ping_pong_loops(
    tickets: Iterable[Ticket | Mapping[str, Any]],
    *,
    top: int = 10,
    min_tickets: int = MIN_TICKETS,
) -> tuple[Loop, ...]:
    """The ``top`` most frequent loops (see :func:`loops_of`; the strict A -> B -> A
    included, marked ``strict``), most tickets first, then the shorter loop, then the loop's
    names; a ticket counts once per loop."""
    _check_top(top)
    _check_min(min_tickets)
    per_loop: dict[tuple[str, ...], set[str]] = {}
    for ticket in tickets_of(tickets):
        for loop in loops_of(group_sequence(ticket)):
            per_loop.setdefault(loop, set()).add(ticket.id)
    ranked = sorted(per_loop.items(), key=lambda kv: (-len(kv[1]), len(kv[0]), kv[0]))
    return tuple(Loop(loop, tuple(sorted(ids)), min_tickets) for loop, ids in ranked[:top])


def ping_pong(
    tickets: Iterable[Ticket | Mapping[str, Any]], *, min_tickets: int = MIN_TICKETS
) -> tuple[PingPong, ...]:
    """Pairs of groups tickets bounced between, most tickets first (then most returns, then
    the pair's names); a pair with fewer than ``min_tickets`` tickets is listed, its
    recommendation claiming no cause. A chain of ``n`` groups has ``n - 2`` returns."""
    _check_min(min_tickets)
    per_pair: dict[tuple[str, str], tuple[set[str], list[int], list[tuple[str, ...]]]] = {}
    for ticket in tickets_of(tickets):
        for chain in chains_of(group_sequence(ticket)):
            a, b = chain[0], chain[1]
            pair = (min(a, b), max(a, b))
            ids, returns, chains = per_pair.setdefault(pair, (set(), [0], []))
            ids.add(ticket.id)
            returns[0] += len(chain) - 2
            chains.append(chain)
    found = []
    for pair, (ids, returns, chains) in per_pair.items():
        longest = min(chains, key=lambda c: (-len(c), c))
        found.append(PingPong(pair, tuple(sorted(ids)), returns[0], longest, min_tickets))
    found.sort(key=lambda p: (-len(p.tickets), -p.returns, p.pair))
    return tuple(found)


# -- reading decisions cycle by cycle -------------------------------------------------------


_Read = tuple[Decision, Policy | None, Mapping[str, PathDef], tuple[tuple[Cycle, Decision], ...]]


def _read(decisions: Iterable[Decision], policy: Policy | None) -> list[_Read]:
    """Each decision (ticket ids checked unique), the policy that made it (its segment's
    variant; ``None`` without ``policy``), that policy's paths and the ticket's cycles with
    their decisions (only the current cycle without ``policy``)."""
    listed = list(decisions)
    unique((d.ticket_id, d.ticket.opened_at) for d in listed)
    out: list[_Read] = []
    for d in listed:
        if policy is None:
            current = cycles(d.ticket, None, d.evaluated_at)[-1]
            out.append((d, None, path_defs(None), ((current, d),)))
        else:
            view = deciding_policy(d, policy)
            out.append((d, view, path_defs(view), cycle_decisions(d, view)))
    return out


# -- hot spots ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotSpot:
    """One weekday x hour cell: ``weekday`` 0 = Monday, ``hour`` 0-23 local to the zone;
    ``factor``: its count over an even spread's (``total / 168``)."""

    what: str  # "openings" or "escalations"
    weekday: int
    hour: int
    count: int
    total: int
    tickets: tuple[str, ...]
    zone: str
    min_tickets: int = MIN_TICKETS
    min_factor: Fraction = HOT_FACTOR

    @property
    def factor(self) -> Fraction:
        """How many times an even spread this cell holds: ``count * 168 / total``."""
        return Fraction(self.count * _CELLS, self.total)

    @property
    def conclusive(self) -> bool:
        """Whether the cell holds enough tickets to recommend anything."""
        return len(self.tickets) >= self.min_tickets

    @property
    def hot(self) -> bool:
        """Whether the cell is a hot spot: conclusive, at ``min_factor`` an even spread."""
        return self.conclusive and self.factor >= self.min_factor

    @property
    def recommendation(self) -> str:
        when = f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00-{(self.hour + 1) % 24:02d}:00"
        share = percent_text(Fraction(self.count, self.total))
        seen = (
            f"{_n(self.total, self.what[:-1])} in all, {self.count} ({share}) on {when} "
            f"{self.zone}: {ratio_text(self.factor)} times an even spread (1/168 of them per "
            "hour of the week)"
        )
        if not self.conclusive:
            return f"{_few(len(self.tickets), self.min_tickets)}{seen}."
        if not self.hot:
            return f"{seen}, under the {ratio_text(self.min_factor)} that makes a hot spot."
        return (
            f"{seen}, a hot spot: check that the rota covers that hour with enough people, "
            "and look at what those tickets share (a batch job, a change window)."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the cell (weekday by name), its counts, tickets and recommendation."""
        return {
            "what": self.what,
            "weekday": WEEKDAYS[self.weekday],
            "hour": self.hour,
            "count": self.count,
            "total": self.total,
            "factor": str(self.factor),
            "hot": self.hot,
            "conclusive": self.conclusive,
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


def hot_spots(
    tickets: Iterable[Ticket | Mapping[str, Any]],
    decisions: Iterable[Decision] = (),
    *,
    zone: str | tzinfo = "UTC",
    top: int = 3,
    policy: Policy | None = None,
    min_tickets: int = MIN_TICKETS,
    min_factor: Fraction | int = HOT_FACTOR,
) -> HotSpots:
    """Openings of ``tickets`` and escalations in ``decisions`` (every cycle with
    ``policy``, see the module docstring) by weekday and hour in ``zone`` (an IANA name or a
    :class:`~datetime.tzinfo`); the ``top`` busiest cells of each kind (cells with a count of
    0 never), each compared with an even spread and called hot at ``min_factor`` times it."""
    _check_top(top)
    _check_min(min_tickets)
    if isinstance(min_factor, bool) or not isinstance(min_factor, int | Fraction):
        raise ArgumentError(f"min_factor must be a Fraction or an int, got {min_factor!r}")
    if min_factor <= 0:
        raise ArgumentError(f"min_factor must be more than 0, got {min_factor}")
    tz = zone_of(zone)
    label = str(tz)
    cells: dict[str, dict[tuple[int, int], list[str]]] = {"openings": {}, "escalations": {}}

    def count(what: str, at: datetime, ticket_id: str) -> None:
        local = at.astimezone(tz)
        cells[what].setdefault((local.weekday(), local.hour), []).append(ticket_id)

    for ticket in tickets_of(tickets):
        count("openings", ticket.opened_at, ticket.id)
    for decision, _, defs, per_cycle in _read(decisions, policy):
        for _, d in per_cycle:
            for _, _, at in escalations(d, defs):
                count("escalations", at, decision.ticket_id)

    def grid(what: str) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(len(cells[what].get((d, h), ())) for h in range(24)) for d in range(7))

    spots = []
    factor = Fraction(min_factor)
    for what in ("openings", "escalations"):
        total = sum(len(ids) for ids in cells[what].values())
        ranked = sorted(cells[what].items(), key=lambda kv: (-len(kv[1]), kv[0]))
        for (day, hour), ids in ranked[:top]:
            spots.append(
                HotSpot(
                    what,
                    day,
                    hour,
                    len(ids),
                    total,
                    tuple(sorted(set(ids))),
                    label,
                    min_tickets,
                    factor,
                )
            )
    return HotSpots(label, grid("openings"), grid("escalations"), tuple(spots))


# -- tiers that add no value ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdleTier:
    """A path's level: the resolved tickets that passed through it, those it acknowledged and
    those it resolved (``segment``: the variant whose level it is, ``None`` for the policy as
    written)."""

    path: str
    level: str
    index: int
    passed: tuple[str, ...]
    resolved: tuple[str, ...]
    acknowledged: tuple[str, ...] = ()
    segment: str | None = None
    min_tickets: int = MIN_TICKETS

    @property
    def verdict(self) -> str:
        """``resolves`` (it resolved some), ``adds-no-value`` (acknowledged some, resolved
        none) or ``unresponsive`` (acknowledged none and resolved none)."""
        if self.resolved:
            return "resolves"
        return "adds-no-value" if self.acknowledged else "unresponsive"

    @property
    def conclusive(self) -> bool:
        """Whether enough tickets passed through it to recommend anything."""
        return len(self.passed) >= self.min_tickets

    @property
    def recommendation(self) -> str:
        n, a, r = len(self.passed), len(self.acknowledged), len(self.resolved)
        where = f"Level {self.level} of path {self.path}" + (
            f" (segment {self.segment})" if self.segment is not None else ""
        )
        seen = (
            f"{where}: {_n(n, 'resolved ticket')} reached it; it acknowledged "
            f"{a or 'none'} and resolved {r or 'none'}"
        )
        if r:
            return f"{seen}."
        if not self.conclusive:
            return f"{_few(n, self.min_tickets)}{seen[0].lower()}{seen[1:]}."
        if not a:
            return (
                f"{seen}: unresponsive -- nobody there answers its page before it moves on; "
                "check that it pages people who are on call and reachable, or page the next "
                "level directly."
            )
        return (
            f"{seen}: it adds no value for such tickets -- shorten its wait or skip it (page "
            "the next level directly), or give it what it needs to resolve them."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the level, the tickets that passed, acknowledged and resolved."""
        return {
            "path": self.path,
            "level": self.level,
            "index": self.index,
            "segment": self.segment,
            "passed": list(self.passed),
            "acknowledged": list(self.acknowledged),
            "resolved": list(self.resolved),
            "verdict": self.verdict,
            "conclusive": self.conclusive,
            "recommendation": self.recommendation,
        }


def idle_tiers(
    decisions: Iterable[Decision],
    policy: Policy,
    *,
    all_levels: bool = False,
    min_tickets: int = MIN_TICKETS,
) -> tuple[IdleTier, ...]:
    """Levels that resolved none of the resolved tickets that passed through them; with
    ``all_levels``, every level reached. Order: the levels that resolved none first, most
    tickets passed first, then by path, segment (``None`` first) and level index; then the
    others by path, segment and level index.

    Every cycle that was resolved counts (``policy`` made the decisions; each cycle a reopen
    ended is read from an evaluation at the reopen): the ticket *passed through* each level
    in the path's history up to the cycle's first fix, was *acknowledged at* a level when an
    acknowledgement signal came while the path was there (an ``acknowledged`` event naming
    no path or this one, or a move into an in-progress status: the KPIs' anchor), and was
    *resolved at* the level in force at the fix. Every path counts, horizontal ones too.
    Level names come from the policy (its segment's variant for the tickets a segment
    decided; a level it does not declare is named by its index, ``#2``).
    """
    _check_min(min_tickets)
    per_level: dict[tuple[str | None, str, int], tuple[str, set[str], set[str], set[str]]] = {}
    for decision, view, defs, per_cycle in _read(decisions, policy):
        ticket = decision.ticket
        heard = signals(ticket, None if view is None else view.statuses)
        for cycle, d in per_cycle:
            fixed_at = cycle.resolved_at
            if fixed_at is None:
                continue
            said = [(at, path) for at, path in heard if cycle.started_at <= at <= fixed_at]
            for name, state in d.paths.items():
                reached = [(at, i) for at, i in state.history if at <= fixed_at]
                if not reached:
                    continue
                definition = defs.get(name)
                declared = () if definition is None else definition.levels
                for n, (entered_at, index) in enumerate(reached):
                    level = declared[index].name if index < len(declared) else f"#{index}"
                    key = (decision.segment, name, index)
                    entry = per_level.setdefault(key, (level, set(), set(), set()))
                    entry[1].add(ticket.id)
                    left_at = reached[n + 1][0] if n + 1 < len(reached) else None
                    if any(
                        entered_at <= at
                        and (left_at is None or at < left_at)
                        and (path is None or path == name)
                        for at, path in said
                    ):
                        entry[2].add(ticket.id)
                final = reached[-1][1]
                per_level[(decision.segment, name, final)][3].add(ticket.id)
    found = [
        IdleTier(
            path,
            level,
            index,
            tuple(sorted(passed)),
            tuple(sorted(resolved)),
            tuple(sorted(acked)),
            segment,
            min_tickets,
        )
        for (segment, path, index), (level, passed, acked, resolved) in per_level.items()
        if all_levels or not resolved
    ]

    def order(t: IdleTier) -> tuple[int, int, str, bool, str, int]:
        idle = not t.resolved
        return (
            0 if idle else 1,
            -len(t.passed) if idle else 0,
            t.path,
            t.segment is not None,
            t.segment or "",
            t.index,
        )

    found.sort(key=order)
    return tuple(found)


# -- groups whose escalations breach --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupBreaches:
    """An assignment group's escalated tickets and those with a breached clock."""

    group: str
    escalated: tuple[str, ...]
    breached: tuple[str, ...]
    min_tickets: int = MIN_TICKETS
    alarm: Fraction = BREACH_ALARM

    @property
    def rate(self) -> Fraction:
        """The breached share of the escalated tickets (exact)."""
        return Fraction(len(self.breached), len(self.escalated))

    @property
    def conclusive(self) -> bool:
        """Whether the group escalated enough tickets for its rate to mean anything."""
        return len(self.escalated) >= self.min_tickets

    @property
    def recommendation(self) -> str:
        n, b = len(self.escalated), len(self.breached)
        escalated = f"{_n(n, 'ticket')} escalated while with {self.group}"
        if not b:
            return f"{escalated}; none breached."
        seen = f"{escalated}; {b} breached ({percent_text(self.rate)})"
        if not self.conclusive:
            return f"{_few(n, self.min_tickets)}{seen}."
        if self.rate < self.alarm:
            return f"{seen}: under the {percent_text(self.alarm)} this report flags."
        return (
            f"{seen}, at least the {percent_text(self.alarm)} this report flags: escalation "
            "comes too late for this group -- page its next level earlier, or look at why its "
            "tickets wait before they escalate."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the rate as an exact ``"n/d"`` string and as a rounded percentage."""
        rate = self.rate
        return {
            "group": self.group,
            "escalated": list(self.escalated),
            "breached": list(self.breached),
            "rate": f"{rate.numerator}/{rate.denominator}",
            "percent": percent_text(rate),
            "conclusive": self.conclusive,
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
    decisions: Iterable[Decision],
    *,
    clocks: Sequence[str] | None = None,
    policy: Policy | None = None,
    min_tickets: int = MIN_TICKETS,
    alarm: Fraction = BREACH_ALARM,
) -> tuple[GroupBreaches, ...]:
    """Per assignment group, the escalated tickets and how many breached: first the groups
    with at least ``min_tickets`` escalated tickets, highest rate first (then most
    escalated, then the group's name), then the others, most escalated first, then by name.

    A ticket is *escalated* when it has an escalation (see the module docstring; every cycle
    with ``policy``); its group is the one it was assigned to at its first escalation
    (tickets without one are counted under ``(none)``); it *breached* when a clock (of
    ``clocks``, else any) has its ``breached`` flag set in any cycle (a running clock within
    its target has not breached yet). A clock of ``clocks`` that none of the decisions has is
    an :class:`~escalate.errors.ArgumentError` (a misspelt name would hide every breach).
    ``alarm`` is the rate from which the recommendation says escalation comes too late.
    """
    _check_min(min_tickets)
    if not isinstance(alarm, Fraction) or not 0 <= alarm <= 1:
        raise ArgumentError(f"alarm must be a Fraction from 0 to 1, got {alarm!r}")
    if isinstance(clocks, str):
        raise ArgumentError(f"clocks must be a sequence of clock names, got str {clocks!r}")
    per_group: dict[str, tuple[set[str], set[str]]] = {}
    wanted: Mapping[str, object] | None = None if clocks is None else dict.fromkeys(clocks)
    seen: set[str] = set()
    read = _read(decisions, policy)
    for decision, _, defs, per_cycle in read:
        moves: list[datetime] = []
        breached = False
        for _, d in per_cycle:
            seen.update(d.clocks)
            moves.extend(at for _, _, at in escalations(d, defs))
            breached = breached or any(
                state.breached
                for name, state in d.clocks.items()
                if wanted is None or name in wanted
            )
        if not moves:
            continue
        group = _group_at(decision.ticket, min(moves)) or "(none)"
        escalated, breaching = per_group.setdefault(group, (set(), set()))
        escalated.add(decision.ticket_id)
        if breached:
            breaching.add(decision.ticket_id)
    unknown = [name for name in wanted or () if name not in seen]
    if unknown and read:
        known = ", ".join(sorted(seen)) or "none"
        raise ArgumentError(
            f"clock {unknown[0]!r} is in none of the decisions (their clocks: {known}): a "
            "misspelt clock would count no breach"
        )
    found = [
        GroupBreaches(group, tuple(sorted(esc)), tuple(sorted(br)), min_tickets, alarm)
        for group, (esc, br) in per_group.items()
    ]
    found.sort(
        key=lambda g: (
            not g.conclusive,
            -g.rate if g.conclusive else Fraction(0),
            -len(g.escalated),
            g.group,
        )
    )
    return tuple(found)
