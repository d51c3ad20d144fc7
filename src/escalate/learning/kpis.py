"""KPIs over many tickets: per ticket the instants that matter, per group exact statistics.

Per ticket (:class:`TicketFacts`, from the ticket's history and its :class:`Decision` at
``now``):

* ``opened_at``: the ticket's ``opened_at``;
* ``acknowledged_at``: the **first** ``acknowledged`` event naming no path (one naming a path
  answers that path's page only, as in the engine);
* ``escalations``: per ``path/level`` of a vertical (``escalate``) path, the first instant
  the ticket entered that level in the current cycle (``PathState.history``), leaving out the
  first level of an ``on-open`` path (the ticket is there by assignment, not by escalation;
  also after a reopen); an ``on-trigger`` path counts its first level too;
* ``resolved_at``: the **first** instant the ticket went to ``resolved`` or ``closed``;
* ``reopen_count`` / ``reassignment_count``: the engine's counters as of ``now``;
* ``time_at_level``: per ``path/level``, how long the current cycle held it (from entering
  it to entering the next, to the resolution, or to ``now``);
* ``breached``: per clock, whether its breach flag is set at ``now`` -- the clock's current
  (latest) cycle, as the decision reports it; clocks that do not apply to the ticket
  (``not-applicable``) are left out.

Only vertical paths count as escalations; transfers along horizontal paths (vendors
included) are not. Level names come from the policy that decided the ticket (its segment's
variant when a segment decided it).

Aggregates (:class:`KpiGroup`), with these meanings where vendors differ:

* **MTTA**, time to acknowledge: opening → first acknowledgement, as PagerDuty and Atlassian
  define it (BigPanda's MTTA is *mean time to assign*, a different instant);
* **MTTE**, time to escalate, per level: opening → first entry into that level. This is our
  definition; BigPanda's MTTE is *mean time to engage* (the first responder action other
  than assignment), which is closer to our MTTA;
* **MTTR**, time to **resolve**: opening → first resolution (not repair or restore, which
  the history does not record; Atlassian asks to say which one is meant);
* **breach rate** per clock: breached tickets / tickets the clock applies to, an exact
  :class:`~fractions.Fraction`;
* **reopen rate**: tickets reopened at least once / tickets; **reassignments**: statistics
  of the per-ticket counts.

Each duration statistic (:class:`Stats`) gives the count, the mean as an exact number of
microseconds (a :class:`~fractions.Fraction`) and the p50/p90/p99 by **nearest rank** (the
value at rank ``ceil(p * n)`` of the sorted values: always a measured value, no
interpolation; :func:`escalate._stats.nearest_rank`, shared with vendor performance). A
ticket without the instant (never acknowledged, never resolved) is left out of that
statistic and counted in ``missing``.

Groups: ``priority``, ``service``, ``category``, ``team`` (assignment group as of ``now``),
``vendor`` (each vendor the ticket engaged; a ticket may be in several), ``segment`` and
``period`` (the day, ISO week or month of ``opened_at`` in a stated zone). A ticket with no
value for the key is grouped under ``None`` (``null`` in JSON), sorted last. Everything is
sorted, so the output does not depend on the input order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import Any

from escalate._stats import nearest_rank, percent_text, period_of
from escalate.calendars._durations import format_duration
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.rules import PolicyView
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError
from escalate.learning.recurrence import fixes

__all__ = [
    "GROUPINGS",
    "PERIODS",
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
PERIODS = ("day", "week", "month")
_P50, _P90, _P99 = Fraction(1, 2), Fraction(9, 10), Fraction(99, 100)


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
    escalations: tuple[tuple[str, datetime], ...]  # (path/level, first entered), sorted
    time_at_level: tuple[tuple[str, timedelta], ...]  # sorted by path/level
    breached: tuple[tuple[str, bool], ...]  # (clock, breached), sorted by clock

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in ISO 8601 (UTC), durations as written in policies."""

        def iso(at: datetime | None) -> str | None:
            return None if at is None else at.isoformat()

        return {
            "ticket": self.ticket_id,
            "opened_at": iso(self.opened_at),
            "priority": self.priority,
            "segment": self.segment,
            "service": self.service,
            "category": self.category,
            "team": self.team,
            "vendors": list(self.vendors),
            "acknowledged_at": iso(self.acknowledged_at),
            "resolved_at": iso(self.resolved_at),
            "reopen_count": self.reopen_count,
            "reassignment_count": self.reassignment_count,
            "escalations": {level: iso(at) for level, at in self.escalations},
            "time_at_level": {level: format_duration(d) for level, d in self.time_at_level},
            "breached": dict(self.breached),
        }


def facts_of(decision: Decision, policy: Policy) -> TicketFacts:
    """The facts of the ticket ``decision`` was made for, as of its ``evaluated_at``;
    ``policy`` (the one that decided) names the levels of its paths."""
    ticket, now = decision.ticket, decision.evaluated_at
    state = ticket.state_at(now)
    acks = (e.at for e in ticket.events if e.type == "acknowledged" and e.path is None)
    acknowledged_at = next((at for at in acks if at <= now), None)
    resolved_at = next((at for at in fixes(ticket) if at <= now), None)
    view: PolicyView = policy
    for segment in policy.segments:
        if segment.id == decision.segment:
            view = segment.policy  # a segment's variant may declare its paths differently
    defs = {p.name: p for p in view.paths}
    first: dict[str, datetime] = {}
    held: dict[str, timedelta] = {}
    for name, path in decision.paths.items():
        if path.kind != "vertical" or not path.history:
            continue
        definition = defs.get(name)
        names = () if definition is None else tuple(lv.name for lv in definition.levels)
        on_open = definition is not None and definition.starts_on_open
        history = path.history
        for n, (entered_at, index) in enumerate(history):
            key = f"{name}/{names[index] if index < len(names) else index}"
            if not (on_open and index == 0):  # where an on-open path starts: by assignment
                first.setdefault(key, entered_at)
            end = history[n + 1][0] if n + 1 < len(history) else None
            if end is None:
                end = now if state.resolved_at is None else min(state.resolved_at, now)
            held[key] = held.get(key, timedelta(0)) + max(end - entered_at, timedelta(0))
    breached = tuple(
        sorted(
            (name, clock.breached)
            for name, clock in decision.clocks.items()
            if clock.state != "not-applicable"
        )
    )
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
        acknowledged_at=acknowledged_at,
        resolved_at=resolved_at,
        reopen_count=state.reopen_count,
        reassignment_count=state.reassignment_count,
        escalations=tuple(sorted(first.items())),
        time_at_level=tuple(sorted(held.items())),
        breached=breached,
    )


def decision_facts(decisions: Iterable[Decision], policy: Policy) -> list[TicketFacts]:
    """The facts of every decision's ticket (each as of its own ``evaluated_at``; ``policy``
    is the one that made them), sorted by ticket id then opening."""
    facts = [facts_of(d, policy) for d in decisions]
    return sorted(facts, key=lambda f: (f.ticket_id, f.opened_at))


def ticket_facts(
    policy: Policy, tickets: Iterable[Ticket | Mapping[str, Any]], *, now: datetime
) -> list[TicketFacts]:
    """Every ticket decided through :meth:`Policy.evaluate` at ``now``, its facts, sorted by
    ticket id then opening."""
    facts = [facts_of(policy.evaluate(t, now=now), policy) for t in tickets]
    return sorted(facts, key=lambda f: (f.ticket_id, f.opened_at))


@dataclass(frozen=True, slots=True)
class Stats:
    """Exact statistics of durations: ``count`` measured, ``missing`` (no such instant),
    ``mean_us`` (exact mean in microseconds), nearest-rank ``p50``/``p90``/``p99``."""

    count: int
    missing: int
    mean_us: Fraction | None
    p50: timedelta | None
    p90: timedelta | None
    p99: timedelta | None

    @classmethod
    def of(cls, values: Sequence[timedelta], missing: int = 0) -> Stats:
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
        )

    @property
    def mean(self) -> timedelta | None:
        """The mean rounded half to even to the microsecond (``mean_us`` is exact)."""
        return None if self.mean_us is None else timedelta(microseconds=round(self.mean_us))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: durations as written in policies (``1h30m``), the exact mean in
        microseconds as a fraction string."""

        def text(d: timedelta | None) -> str | None:
            return None if d is None else format_duration(d)

        return {
            "count": self.count,
            "missing": self.missing,
            "mean": text(self.mean),
            "mean_us": None if self.mean_us is None else str(self.mean_us),
            "p50": text(self.p50),
            "p90": text(self.p90),
            "p99": text(self.p99),
        }


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
    reopened: int
    reassignments: tuple[int, int | None, int | None, int | None]  # total, p50, p90, p99

    def breach_rate(self, clock: str) -> Fraction | None:
        """Breached / applicable for ``clock``; ``None`` when it applied to no ticket."""
        for name, breached, applicable in self.breaches:
            if name == clock:
                return Fraction(breached, applicable)
        return None

    @property
    def reopen_rate(self) -> Fraction:
        """Tickets reopened at least once / tickets."""
        return Fraction(self.reopened, self.tickets)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; shares as exact fractions (``"1/3"``) and percentages."""
        total, p50, p90, p99 = self.reassignments
        return {
            "key": self.key,
            "tickets": self.tickets,
            "mtta": self.mtta.to_dict(),
            "mttr": self.mttr.to_dict(),
            "mtte": {level: s.to_dict() for level, s in self.mtte},
            "time_at_level": {level: s.to_dict() for level, s in self.time_at_level},
            "breaches": {
                clock: {
                    "breached": b,
                    "applicable": a,
                    "rate": str(Fraction(b, a)),
                    "percent": percent_text(Fraction(b, a)),
                }
                for clock, b, a in self.breaches
            },
            "reopened": self.reopened,
            "reopen_rate": str(self.reopen_rate),
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


def _group(key: str | None, facts: Sequence[TicketFacts]) -> KpiGroup:
    acks = [f.acknowledged_at - f.opened_at for f in facts if f.acknowledged_at is not None]
    fixes = [f.resolved_at - f.opened_at for f in facts if f.resolved_at is not None]
    escalated: dict[str, list[timedelta]] = {}
    held: dict[str, list[timedelta]] = {}
    clocks: dict[str, list[bool]] = {}
    for f in facts:
        for level, at in f.escalations:
            escalated.setdefault(level, []).append(at - f.opened_at)
        for level, span in f.time_at_level:
            held.setdefault(level, []).append(span)
        for clock, breached in f.breached:
            clocks.setdefault(clock, []).append(breached)
    counts = [f.reassignment_count for f in facts]
    return KpiGroup(
        key=key,
        tickets=len(facts),
        mtta=Stats.of(acks, len(facts) - len(acks)),
        mttr=Stats.of(fixes, len(facts) - len(fixes)),
        mtte=tuple((k, Stats.of(v, len(facts) - len(v))) for k, v in sorted(escalated.items())),
        time_at_level=tuple((k, Stats.of(v)) for k, v in sorted(held.items())),
        breaches=tuple((k, sum(v), len(v)) for k, v in sorted(clocks.items())),
        reopened=sum(1 for f in facts if f.reopen_count > 0),
        reassignments=(
            sum(counts),
            nearest_rank(counts, _P50),
            nearest_rank(counts, _P90),
            nearest_rank(counts, _P99),
        ),
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
    zone: tzinfo = UTC,
) -> KpiReport:
    """The KPIs of ``facts`` grouped ``by`` one of :data:`GROUPINGS` (``all``: one group
    keyed ``None``); ``period`` (``day``, ``week``, ``month``) of ``opened_at`` in ``zone``
    when grouping by period. :class:`~escalate.errors.ArgumentError` for an unknown grouping
    or period."""
    if by not in GROUPINGS:
        raise ArgumentError(f"unknown grouping {by!r} (groupings: {', '.join(GROUPINGS)})")
    if period not in PERIODS:
        raise ArgumentError(f"unknown period {period!r} (periods: {', '.join(PERIODS)})")
    groups: dict[str | None, list[TicketFacts]] = {}
    for f in facts:
        for key in _keys(f, by, period, zone):
            groups.setdefault(key, []).append(f)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    return KpiReport(
        by=by,
        period=period if by == "period" else None,
        zone=str(zone) if by == "period" else None,
        groups=tuple(
            _group(key, sorted(members, key=lambda f: (f.ticket_id, f.opened_at)))
            for key, members in ordered
        ),
    )
