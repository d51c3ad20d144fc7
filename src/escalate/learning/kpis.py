"""KPIs over many tickets: per ticket the instants that matter, per group exact statistics.

Per ticket (:class:`TicketFacts`, from the ticket's history and its :class:`Decision` at
``now``), read cycle by cycle: a ticket reopened ``n`` times has ``n + 1`` cycles (the opening
or a reopen to the next reopen, or to ``now``); each cycle is read from the decision at its
end -- for a cycle a reopen ended, the ticket as it stood just before that reopen, evaluated
at the reopen's instant with the policy that decided it (one more evaluation per reopen;
docs and definitions in :mod:`escalate.learning._history`). Per cycle
(:class:`CycleFacts`): its escalations, time at each level, clock breaches, acknowledgement
and first resolution. Per ticket:

* ``opened_at``: the ticket's ``opened_at``;
* ``acknowledged_at``: the first cycle's **acknowledgement** before its first end, and
  ``acknowledged_by`` the anchor used for that ticket: ``acknowledged`` -- the first
  ``acknowledged`` event naming no path (one naming a path answers that path's page only, as
  in the engine), PagerDuty's and Atlassian's acknowledgement -- or ``in-progress`` when no
  such event came before the first move into a status of the policy's **in-progress**
  category: ServiceNow records no acknowledgement, and the work starting (``Active``, ``In
  Progress``) is the nearest instant it has. A policy whose in-progress category holds an
  ``assigned`` status (the built-in table does; the ITIL pack too) makes that the time to
  assign for tickets nobody acknowledged, and a ticket whose first recorded status is
  already in progress (a ServiceNow incident logged as ``Active``) an MTTA of 0. An
  acknowledgement after the first resolution (in a later cycle) is no MTTA: it is in that
  cycle's :class:`CycleFacts`;
* ``escalations``: per ``path/level`` of a vertical path, the first instant the ticket was
  escalated to it (a move up, or an on-trigger path's first entry; the level an on-open path
  starts in, also after a reopen, is where the ticket was assigned) in the first cycle that
  reached it, and ``escalated_after`` the time from **that cycle's start** (the opening or
  the reopen) to it; ``first_escalated_at`` / ``first_escalation_after``: the same for the
  ticket's first escalation to any level of any vertical path;
* ``resolved_at``: the **first fix** -- the first entry into a status of the ``resolved`` or
  ``closed`` category (the deciding policy's, its own statuses of them included); a
  ``closed`` after a ``resolved`` is the same fix, a cancellation ends a ticket and fixes
  nothing;
* ``is_open``: whether the ticket is open at ``now`` (not in a ``resolved``, ``closed`` or
  ``cancelled`` category status), ``ended_at`` since when it is ended otherwise;
* ``reopen_count`` / ``reassignment_count``: the engine's counters as of ``now``: reopens
  count ``reopened`` events; reassignments count each assignment to a group other than the
  last one set (the first assignment and clearing the group count nothing: A -> B -> A -> C
  is 3); a counter the ticket supplies (ServiceNow's ``reassignment_count``,
  ``reopen_count``) wins over the history, which may start later;
* ``time_at_level``: per ``path/level`` of a vertical path, how long it held the ticket,
  summed over the cycles (from entering it to entering the next level, to the cycle's end
  -- the ticket ending, or the reopen -- or to ``now``);
* ``breached``: per clock, whether it breached in **any** cycle (its breach flag as each
  cycle's decision reports it). A running clock counts as not (yet) breached until it passes
  its target; clocks that do not apply to the ticket (``not-applicable`` in every cycle) are
  left out.

Only vertical paths escalate; transfers along horizontal paths (vendors included) do not.
Level names come from the policy that decided the ticket (its segment's variant when a
segment decided it); a decision another policy made is an
:class:`~escalate.errors.ArgumentError`, as is a ticket id given twice.

Aggregates (:class:`KpiGroup`), with these meanings where vendors differ:

* **MTTA**, time to acknowledge: opening → acknowledgement (above), as PagerDuty and
  Atlassian define it (BigPanda's MTTA is *mean time to assign*, a different instant; it is
  what the in-progress fallback measures where the policy counts an ``assigned`` status as in
  progress);
* **MTTE**, time to escalate, per level: the cycle's start → first escalation to that
  level; and the **time to first escalation** to any level. This is our definition;
  BigPanda's MTTE is *mean time to engage* (the first responder action other than
  assignment), which is closer to our MTTA;
* **MTTR**, time to **resolve**: opening → first fix (not repair or restore, which the
  history does not record; Atlassian asks to say which one is meant);
* **breach rate** per clock: tickets whose clock breached in any cycle / tickets the clock
  applies to, an exact :class:`~fractions.Fraction`;
* **reopen rate**: tickets reopened at least once / tickets **ever resolved** (a fix in the
  history; ``None`` when none was); **reassignments**: statistics of the per-ticket counts;
* **open tickets**: how many are open at ``now`` and their age (``now`` - opening, the
  p50/p90/p99 in ``open_age``), so what the statistics leave out is visible.

Each duration statistic (:class:`Stats`) gives the count, the mean as an exact number of
microseconds (a :class:`~fractions.Fraction`) and the p50/p90/p99 by **nearest rank** (the
value at rank ``ceil(p * n)`` of the sorted values: always a measured value, no
interpolation; :func:`escalate._stats.nearest_rank`, shared with vendor performance). A
ticket without the instant is left out of that statistic: counted in ``open`` when it is
still open (it may get one yet: survivorship), in ``missing`` when it ended without it. An
open ticket that has the instant (acknowledged, or resolved in an earlier cycle) is measured:
the first acknowledgement and first fix never change.

Groups: ``priority``, ``service``, ``category``, ``team`` (assignment group as of ``now``),
``vendor`` (each vendor the ticket engaged; a ticket may be in several), ``segment`` and
``period`` (the day, ISO week, month, quarter or year of ``opened_at`` in a stated zone: a
:class:`~datetime.tzinfo` or an IANA name). A ticket with no value for the key is grouped
under ``None`` (``null`` in JSON), sorted last. Everything is sorted, so the output does not
depend on the input order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import Any

from escalate._stats import nearest_rank, percent_text, period_of, zone_of
from escalate.calendars._durations import format_duration
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.paths import PathDef
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError
from escalate.learning._history import (
    Cycle,
    cycle_decisions,
    deciding_policy,
    escalations,
    level_key,
    path_defs,
    unique,
)

__all__ = [
    "GROUPINGS",
    "PERIODS",
    "CycleFacts",
    "KpiGroup",
    "KpiReport",
    "Stats",
    "TicketFacts",
    "decision_facts",
    "facts_of",
    "kpis",
    "ticket_facts",
]

#: What tickets may be grouped by.
GROUPINGS = ("all", "priority", "service", "category", "team", "vendor", "segment", "period")
#: The periods ``period`` grouping takes.
PERIODS = ("day", "week", "month", "quarter", "year")
_P50, _P90, _P99 = Fraction(1, 2), Fraction(9, 10), Fraction(99, 100)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _text(d: timedelta | None) -> str | None:
    return None if d is None else format_duration(d)


@dataclass(frozen=True, slots=True)
class CycleFacts:
    """One cycle of a ticket (see the module docstring). Read-only.

    ``number`` counts from 1; ``started_at`` the opening or the reopen; ``closed_at`` the
    reopen that ended it, or ``now`` for the current one; ``ended_at`` when the ticket ended
    in it (``None``: open when the cycle closed); ``resolved_at`` its first fix;
    ``acknowledged_at`` / ``acknowledged_by`` its acknowledgement and the anchor;
    ``escalations`` per ``path/level`` its first escalation there; ``time_at_level`` how long
    each level held it; ``breached`` each applicable clock's breach flag at its end.
    """

    number: int
    started_at: datetime
    closed_at: datetime
    ended_at: datetime | None
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    escalations: tuple[tuple[str, datetime], ...]  # (path/level, first escalated), sorted
    time_at_level: tuple[tuple[str, timedelta], ...]  # sorted by path/level
    breached: tuple[tuple[str, bool], ...]  # (clock, breached), sorted by clock

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in ISO 8601 (UTC), durations as written in policies."""
        return {
            "number": self.number,
            "started_at": _iso(self.started_at),
            "closed_at": _iso(self.closed_at),
            "ended_at": _iso(self.ended_at),
            "resolved_at": _iso(self.resolved_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "escalations": {level: _iso(at) for level, at in self.escalations},
            "time_at_level": {level: format_duration(d) for level, d in self.time_at_level},
            "breached": dict(self.breached),
        }


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the KPIs read of one ticket (see the module docstring). Read-only."""

    ticket_id: str
    opened_at: datetime
    priority: str | None
    segment: str | None
    service: str | None
    category: str | None
    team: str | None
    vendors: tuple[str, ...]
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    reopen_count: int
    reassignment_count: int
    escalations: tuple[tuple[str, datetime], ...]  # (path/level, first escalated), sorted
    time_at_level: tuple[tuple[str, timedelta], ...]  # sorted by path/level, all cycles
    breached: tuple[tuple[str, bool], ...]  # (clock, breached in any cycle), sorted by clock
    evaluated_at: datetime | None = None  # the decision's instant (``now``)
    is_open: bool = False  # open at ``now``
    ended_at: datetime | None = None  # since when it is ended (``None``: open, or not said)
    acknowledged_by: str | None = None  # "acknowledged" or "in-progress"
    escalated_after: tuple[tuple[str, timedelta], ...] = ()  # from its cycle's start, sorted
    first_escalated_at: datetime | None = None
    first_escalation_after: timedelta | None = None  # from that cycle's start
    cycles: tuple[CycleFacts, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in ISO 8601 (UTC), durations as written in policies."""
        return {
            "ticket": self.ticket_id,
            "opened_at": _iso(self.opened_at),
            "evaluated_at": _iso(self.evaluated_at),
            "priority": self.priority,
            "segment": self.segment,
            "service": self.service,
            "category": self.category,
            "team": self.team,
            "vendors": list(self.vendors),
            "open": self.is_open,
            "ended_at": _iso(self.ended_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "resolved_at": _iso(self.resolved_at),
            "reopen_count": self.reopen_count,
            "reassignment_count": self.reassignment_count,
            "escalations": {level: _iso(at) for level, at in self.escalations},
            "escalated_after": {level: format_duration(d) for level, d in self.escalated_after},
            "first_escalated_at": _iso(self.first_escalated_at),
            "first_escalation_after": _text(self.first_escalation_after),
            "time_at_level": {level: format_duration(d) for level, d in self.time_at_level},
            "breached": dict(self.breached),
            "cycles": [c.to_dict() for c in self.cycles],
        }


def _cycle_facts(cycle: Cycle, decision: Decision, defs: Mapping[str, PathDef]) -> CycleFacts:
    """What one cycle's decision says (``defs``: the deciding policy's paths by name)."""
    end = cycle.closed_at
    if cycle.ended and cycle.ended_at is not None:
        end = min(cycle.ended_at, end)
    first: dict[str, datetime] = {}
    for name, index, at in escalations(decision, defs):
        key = level_key(defs, name, index)
        if key not in first or at < first[key]:
            first[key] = at
    held: dict[str, timedelta] = {}
    for name, state in decision.paths.items():
        if state.kind != "vertical":
            continue
        history = state.history
        for n, (entered_at, index) in enumerate(history):
            key = level_key(defs, name, index)
            until = history[n + 1][0] if n + 1 < len(history) else end
            until = min(until, end)
            held[key] = held.get(key, timedelta(0)) + max(until - entered_at, timedelta(0))
    breached = tuple(
        sorted(
            (name, clock.breached)
            for name, clock in decision.clocks.items()
            if clock.state != "not-applicable"
        )
    )
    return CycleFacts(
        number=cycle.number,
        started_at=cycle.started_at,
        closed_at=cycle.closed_at,
        ended_at=cycle.ended_at if cycle.ended else None,
        resolved_at=cycle.resolved_at,
        acknowledged_at=cycle.acknowledged_at,
        acknowledged_by=cycle.acknowledged_by,
        escalations=tuple(sorted(first.items())),
        time_at_level=tuple(sorted(held.items())),
        breached=breached,
    )


def facts_of(decision: Decision, policy: Policy) -> TicketFacts:
    """The facts of the ticket ``decision`` was made for, as of its ``evaluated_at``;
    ``policy`` is the one that made it (its segment's variant names the levels when a
    segment decided; a decision another policy made is an
    :class:`~escalate.errors.ArgumentError`). A reopened ticket costs one more evaluation
    per reopen (its earlier cycles)."""
    view = deciding_policy(decision, policy)
    defs = path_defs(view)
    ticket, now = decision.ticket, decision.evaluated_at
    state = ticket.state_at(now)
    per_cycle = [
        (cycle, _cycle_facts(cycle, d, defs)) for cycle, d in cycle_decisions(decision, view)
    ]
    facts = tuple(c for _, c in per_cycle)
    first: dict[str, tuple[datetime, timedelta]] = {}
    held: dict[str, timedelta] = {}
    breached: dict[str, bool] = {}
    first_escalation: tuple[datetime, timedelta] | None = None
    for c in facts:
        for key, at in c.escalations:
            if key not in first:
                first[key] = (at, at - c.started_at)
        if first_escalation is None and c.escalations:
            at = min(at for _, at in c.escalations)
            first_escalation = (at, at - c.started_at)
        for key, span in c.time_at_level:
            held[key] = held.get(key, timedelta(0)) + span
        for clock, flag in c.breached:
            breached[clock] = breached.get(clock, False) or flag
    one, last = per_cycle[0][0], per_cycle[-1][0]
    resolved_at = next((c.resolved_at for c in facts if c.resolved_at is not None), None)
    vendors = tuple(sorted(v.vendor for v in decision.vendors or () if v.engaged))
    return TicketFacts(
        ticket_id=ticket.id,
        opened_at=ticket.opened_at,
        priority=decision.priority,
        segment=decision.segment,
        service=ticket.service,
        category=ticket.category,
        team=state.assignment_group,
        vendors=vendors,
        acknowledged_at=one.acknowledged_at,
        resolved_at=resolved_at,
        reopen_count=state.reopen_count,
        reassignment_count=state.reassignment_count,
        escalations=tuple(sorted((key, at) for key, (at, _) in first.items())),
        time_at_level=tuple(sorted(held.items())),
        breached=tuple(sorted(breached.items())),
        evaluated_at=now,
        is_open=not last.ended,
        ended_at=last.ended_at if last.ended else None,
        acknowledged_by=one.acknowledged_by,
        escalated_after=tuple(sorted((key, after) for key, (_, after) in first.items())),
        first_escalated_at=None if first_escalation is None else first_escalation[0],
        first_escalation_after=None if first_escalation is None else first_escalation[1],
        cycles=facts,
    )


def _sorted(facts: list[TicketFacts]) -> list[TicketFacts]:
    unique((f.ticket_id, f.opened_at) for f in facts)
    return sorted(facts, key=lambda f: (f.ticket_id, f.opened_at))


def decision_facts(decisions: Iterable[Decision], policy: Policy) -> list[TicketFacts]:
    """The facts of every decision's ticket (each as of its own ``evaluated_at``; ``policy``
    is the one that made them), sorted by ticket id. A ticket id given twice is an
    :class:`~escalate.errors.ArgumentError`."""
    return _sorted([facts_of(d, policy) for d in decisions])


def ticket_facts(
    policy: Policy, tickets: Iterable[Ticket | Mapping[str, Any]], *, now: datetime
) -> list[TicketFacts]:
    """Every ticket decided through :meth:`Policy.evaluate_many` at ``now``, its facts,
    sorted by ticket id. A ticket the policy refuses is an error naming its place and id
    (``sweep item 7 (ticket 'INC7'): ...``); a ticket id given twice an
    :class:`~escalate.errors.ArgumentError`."""
    return _sorted([facts_of(d, policy) for d in policy.evaluate_many(tickets, now=now)])


@dataclass(frozen=True, slots=True)
class Stats:
    """Exact statistics of durations: ``count`` measured, ``missing`` (ended without such an
    instant), ``mean_us`` (exact mean in microseconds), nearest-rank ``p50``/``p90``/``p99``;
    ``open``: tickets without the instant that are still open (left out, not missing)."""

    count: int
    missing: int
    mean_us: Fraction | None
    p50: timedelta | None
    p90: timedelta | None
    p99: timedelta | None
    open: int = 0

    @classmethod
    def of(cls, values: Sequence[timedelta], missing: int = 0, open: int = 0) -> Stats:
        """The statistics of ``values``."""
        us = [v // timedelta(microseconds=1) for v in values]
        mean = Fraction(sum(us), len(us)) if us else None
        return cls(
            count=len(values),
            missing=missing,
            mean_us=mean,
            p50=nearest_rank(values, _P50),
            p90=nearest_rank(values, _P90),
            p99=nearest_rank(values, _P99),
            open=open,
        )

    @property
    def mean(self) -> timedelta | None:
        """The mean rounded half to even to the microsecond (``mean_us`` is exact)."""
        return None if self.mean_us is None else timedelta(microseconds=round(self.mean_us))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: durations as written in policies (``1h30m``), the exact mean in
        microseconds as a fraction string."""
        return {
            "count": self.count,
            "missing": self.missing,
            "open": self.open,
            "mean": _text(self.mean),
            "mean_us": None if self.mean_us is None else str(self.mean_us),
            "p50": _text(self.p50),
            "p90": _text(self.p90),
            "p99": _text(self.p99),
        }


_NONE = Stats.of([])


def _share(part: int, whole: int) -> dict[str, Any]:
    return {"rate": str(Fraction(part, whole)), "percent": percent_text(Fraction(part, whole))}


@dataclass(frozen=True, slots=True)
class KpiGroup:
    """The KPIs of one group of tickets (see the module docstring)."""

    key: str | None
    tickets: int
    mtta: Stats
    mttr: Stats
    mtte: tuple[tuple[str, Stats], ...]  # per path/level, sorted
    time_at_level: tuple[tuple[str, Stats], ...]  # per path/level, sorted
    breaches: tuple[tuple[str, int, int], ...]  # (clock, breached, applicable), sorted
    reopened: int  # tickets ever resolved and reopened at least once
    reassignments: tuple[int, int | None, int | None, int | None]  # total, p50, p90, p99
    resolved: int = 0  # tickets ever resolved (a fix in the history): the reopen rate's base
    open_tickets: int = 0  # open at ``now``
    open_age: Stats = _NONE  # their age: ``now`` - opening
    first_escalation: Stats = _NONE  # time to first escalation, any vertical level
    acknowledged_by: tuple[tuple[str, int], ...] = ()  # (anchor, tickets), sorted

    def breach_rate(self, clock: str) -> Fraction | None:
        """Breached (in any cycle) / applicable for ``clock``; ``None`` when it applied to no
        ticket. A running clock within its target counts as not (yet) breached."""
        for name, breached, applicable in self.breaches:
            if name == clock:
                return Fraction(breached, applicable)
        return None

    @property
    def reopen_rate(self) -> Fraction | None:
        """Tickets reopened at least once / tickets ever resolved; ``None`` when none was."""
        return Fraction(self.reopened, self.resolved) if self.resolved else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; shares as exact fractions (``"1/3"``) and percentages."""
        total, p50, p90, p99 = self.reassignments
        rate = self.reopen_rate
        return {
            "key": self.key,
            "tickets": self.tickets,
            "open": self.open_tickets,
            "open_age": self.open_age.to_dict(),
            "acknowledged_by": dict(self.acknowledged_by),
            "mtta": self.mtta.to_dict(),
            "mttr": self.mttr.to_dict(),
            "mtte": {level: s.to_dict() for level, s in self.mtte},
            "first_escalation": self.first_escalation.to_dict(),
            "time_at_level": {level: s.to_dict() for level, s in self.time_at_level},
            "breaches": {
                clock: {"breached": b, "applicable": a, **_share(b, a)}
                for clock, b, a in self.breaches
            },
            "reopened": self.reopened,
            "resolved": self.resolved,
            "reopen_rate": None if rate is None else str(rate),
            "reopen_percent": None if rate is None else percent_text(rate),
            "reassignments": {"total": total, "p50": p50, "p90": p90, "p99": p99},
        }


@dataclass(frozen=True, slots=True)
class KpiReport:
    """KPIs grouped by ``by`` (``period`` labels in ``zone``), groups sorted by key (``None``
    last)."""

    by: str
    period: str | None
    zone: str | None
    groups: tuple[KpiGroup, ...]

    def group(self, key: str | None) -> KpiGroup:
        """The group named ``key`` (:class:`KeyError` when there is none)."""
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "by": self.by,
            "period": self.period,
            "zone": self.zone,
            "groups": [g.to_dict() for g in self.groups],
        }


def _measure(facts: Sequence[TicketFacts], values: Mapping[str, timedelta]) -> Stats:
    """``values`` (per ticket id) as statistics; the tickets without one split into open and
    missing (ended without it)."""
    left = [f for f in facts if f.ticket_id not in values]
    still = sum(1 for f in left if f.is_open)
    return Stats.of(list(values.values()), len(left) - still, still)


def _group(key: str | None, facts: Sequence[TicketFacts]) -> KpiGroup:
    acks = {
        f.ticket_id: f.acknowledged_at - f.opened_at for f in facts if f.acknowledged_at is not None
    }
    fixes = {f.ticket_id: f.resolved_at - f.opened_at for f in facts if f.resolved_at is not None}
    first = {
        f.ticket_id: f.first_escalation_after for f in facts if f.first_escalation_after is not None
    }
    escalated: dict[str, dict[str, timedelta]] = {}
    held: dict[str, list[timedelta]] = {}
    clocks: dict[str, list[bool]] = {}
    anchors: dict[str, int] = {}
    for f in facts:
        for level, after in f.escalated_after:
            escalated.setdefault(level, {})[f.ticket_id] = after
        for level, span in f.time_at_level:
            held.setdefault(level, []).append(span)
        for clock, breached in f.breached:
            clocks.setdefault(clock, []).append(breached)
        if f.acknowledged_by is not None:
            anchors[f.acknowledged_by] = anchors.get(f.acknowledged_by, 0) + 1
    counts = [f.reassignment_count for f in facts]
    resolved = [f for f in facts if f.resolved_at is not None]
    ages = [f.evaluated_at - f.opened_at for f in facts if f.is_open and f.evaluated_at]
    return KpiGroup(
        key=key,
        tickets=len(facts),
        mtta=_measure(facts, acks),
        mttr=_measure(facts, fixes),
        mtte=tuple((k, _measure(facts, v)) for k, v in sorted(escalated.items())),
        time_at_level=tuple((k, Stats.of(v)) for k, v in sorted(held.items())),
        breaches=tuple((k, sum(v), len(v)) for k, v in sorted(clocks.items())),
        reopened=sum(1 for f in resolved if f.reopen_count > 0),
        reassignments=(
            sum(counts),
            nearest_rank(counts, _P50),
            nearest_rank(counts, _P90),
            nearest_rank(counts, _P99),
        ),
        resolved=len(resolved),
        open_tickets=sum(1 for f in facts if f.is_open),
        open_age=Stats.of(ages),
        first_escalation=_measure(facts, first),
        acknowledged_by=tuple(sorted(anchors.items())),
    )


def _keys(f: TicketFacts, by: str, period: str, zone: tzinfo) -> tuple[str | None, ...]:
    if by == "all":
        return (None,)
    if by == "vendor":
        return f.vendors or (None,)
    if by == "period":
        return (period_of(f.opened_at, period, zone),)
    value: str | None = {
        "priority": f.priority,
        "service": f.service,
        "category": f.category,
        "team": f.team,
        "segment": f.segment,
    }[by]
    return (value,)


def kpis(
    facts: Iterable[TicketFacts],
    *,
    by: str = "all",
    period: str = "month",
    zone: tzinfo | str = UTC,
) -> KpiReport:
    """The KPIs of ``facts`` grouped ``by`` one of :data:`GROUPINGS` (``all``: one group
    keyed ``None``); ``period`` (``day``, ``week``, ``month``, ``quarter``, ``year``) of
    ``opened_at`` in ``zone``
    (a :class:`~datetime.tzinfo` or an IANA name) when grouping by period.
    :class:`~escalate.errors.ArgumentError` for an unknown grouping, period or zone, or a
    ticket id given twice."""
    if by not in GROUPINGS:
        raise ArgumentError(f"unknown grouping {by!r} (groupings: {', '.join(GROUPINGS)})")
    if period not in PERIODS:
        raise ArgumentError(f"unknown period {period!r} (periods: {', '.join(PERIODS)})")
    tz = zone_of(zone)
    listed = _sorted(list(facts))
    groups: dict[str | None, list[TicketFacts]] = {}
    for f in listed:
        for key in _keys(f, by, period, tz):
            groups.setdefault(key, []).append(f)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    return KpiReport(
        by=by,
        period=period if by == "period" else None,
        zone=str(tz) if by == "period" else None,
        groups=tuple(_group(key, members) for key, members in ordered),
    )
