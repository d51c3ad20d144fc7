"""What the learning tools read of a ticket's history: ends, fixes, cycles, acknowledgements.

One definition of each, shared by :mod:`~escalate.learning.kpis`,
:mod:`~escalate.learning.patterns` and :mod:`~escalate.learning.recurrence`:

* A ticket **ends** when it enters a status of an *ended* category -- ``resolved``,
  ``closed``, ``cancelled`` (:data:`escalate.engine.statuses.ENDED`), the built-in statuses of
  those names and a policy's own statuses of those categories (Jira's ``done``) -- from one
  that is not; it stays ended until it leaves them (a reopen). Going from ``resolved`` to
  ``closed`` ends nothing new. Statuses are read with the status table of the policy that
  decides the ticket; without a policy, the built-in statuses and the ``resolved`` and
  ``closed`` events end a ticket and a name the built-in table does not know is an open one.
* A **fix** is an end into the ``resolved`` or ``closed`` category: a cancellation ends a
  ticket and fixes nothing.
* A **cycle** runs from the opening, or a ``reopened`` event, to the next ``reopened`` event
  (or to the instant evaluated), as the engine's path cycles do.
* An **acknowledgement** (the KPIs' anchor, per cycle) is the first ``acknowledged`` event
  naming no path, or, when none comes before it, the first move into a status of the
  in-progress category (not the reopen itself): PagerDuty's "acknowledged", and for systems
  that record no acknowledgement, such as ServiceNow, work starting (its ``Active`` /
  ``In Progress``). A policy that puts an ``assigned`` status in the in-progress category (the
  built-in table does) makes that fallback the time to assign. Only signals before the
  cycle's first end count.
* An **escalation** is a move of a *vertical* path up: to a higher level than the one it
  left, within one cycle (an override down and the timer's move up again count that move
  up; a ``repeat`` path wrapping round to its first level does not), and the first entry of a
  path that starts on a trigger (``on-trigger``, e.g. a major-incident path a rule starts).
  The level an ``on-open`` path starts in, at the opening or after a reopen, is where the
  ticket was assigned, not an escalation; horizontal paths transfer, they do not escalate.

Cycles before the current one are read by evaluating the ticket as it stood just before each
``reopened`` event (its events before it, every field as they left it) at that event's
instant, with the policy that decided it: one more evaluation per reopen.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from escalate.engine.authority import ticket_as_of
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.history import Event
from escalate.engine.paths import PathDef
from escalate.engine.rules import PolicyView
from escalate.engine.statuses import BUILT_IN, ENDED, StatusTable
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, EscalateError, TicketError

__all__ = [
    "FIXED",
    "Cycle",
    "End",
    "cycle_decisions",
    "cycles",
    "deciding_policy",
    "ends",
    "escalations",
    "level_key",
    "path_defs",
    "signals",
    "statuses_of",
    "tickets_of",
    "unique",
]

#: The ended categories whose entry is a fix.
FIXED = frozenset({"resolved", "closed"})
_BY_EVENT = {"resolved": "resolved", "closed": "closed"}


def statuses_of(policy: PolicyView | None, ticket: Ticket | None = None) -> StatusTable | None:
    """The status table ``ticket`` is read with: that of the policy (the segment's variant
    that decides ``ticket`` when the policy has segments); ``None`` without a policy."""
    if policy is None:
        return None
    if ticket is not None and isinstance(policy, Policy) and policy.segments:
        return policy.for_ticket(ticket).statuses
    return policy.statuses


def _category(ticket: Ticket, event: Event, statuses: StatusTable | None) -> str | None:
    """The category of the status ``event`` sets (``None``: unknown without a policy)."""
    status = event.status
    if status is None:  # pragma: no cover - only called for events that set one
        return None
    if statuses is None:
        name = BUILT_IN.declared(status)
        return BUILT_IN.category[name] if name is not None else _BY_EVENT.get(event.type)
    try:
        return statuses.resolve(status, ("events", event.index, "status"))[1]
    except TicketError as error:
        raise TicketError(
            f"ticket {ticket.id!r}: {error.message}", path=error.path, value=error.value
        ) from None


def _initial(ticket: Ticket, statuses: StatusTable | None) -> str | None:
    """The category the ticket starts in: ``new``, or its status when no event sets one."""
    if any(e.status is not None for e in ticket.events):
        return "new"
    start = Event(-1, ticket.opened_at, "status-changed", status=ticket.status)
    return _category(ticket, start, statuses)


@dataclass(frozen=True, slots=True)
class End:
    """An end of a ticket: ``at`` it entered ``category`` (ended) from an open status;
    ``left_at`` when it left the ended categories again (``None``: still ended)."""

    at: datetime
    category: str
    left_at: datetime | None

    @property
    def fix(self) -> bool:
        """Whether this end is a fix (``resolved`` or ``closed``; not ``cancelled``)."""
        return self.category in FIXED


def ends(ticket: Ticket, statuses: StatusTable | None = None) -> tuple[End, ...]:
    """Every end of ``ticket``'s history, oldest first (see the module docstring)."""
    found: list[End] = []
    category = _initial(ticket, statuses)
    for event in ticket.events:
        if event.status is None:
            continue
        after = _category(ticket, event, statuses)
        if after in ENDED and category not in ENDED:
            found.append(End(event.at, after, None))
        elif after not in ENDED and category in ENDED and found:
            found[-1] = End(found[-1].at, found[-1].category, event.at)
        category = after
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Cycle:
    """One cycle of a ticket's history as of an instant (see the module docstring).

    ``number`` counts from 1; ``started_at`` is the opening or the reopen that started it;
    ``stop`` the index of the ``reopened`` event that ended it (``None`` for the current
    cycle) and ``closed_at`` that event's instant (the instant evaluated for the current
    one); ``ended`` whether the ticket was ended when the cycle closed, ``ended_at`` since when
    (``None`` when open, or when the history does not say) and ``ended_as`` the category;
    ``resolved_at`` the cycle's first fix; ``acknowledged_at`` its acknowledgement and
    ``acknowledged_by`` the anchor (``acknowledged`` or ``in-progress``).
    """

    number: int
    started_at: datetime
    stop: int | None
    closed_at: datetime
    ended: bool
    ended_at: datetime | None
    ended_as: str | None
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


def cycles(ticket: Ticket, statuses: StatusTable | None, now: datetime) -> tuple[Cycle, ...]:
    """The cycles of ``ticket`` as of ``now`` (events after ``now`` are not read), oldest
    first; always at least one."""
    events = ticket.events
    count = bisect.bisect_right([e.at for e in events], now)
    found: list[Cycle] = []
    category = _initial(ticket, statuses)
    started_at = ticket.opened_at
    ended = category in ENDED
    ended_at: datetime | None = None
    ended_as = category if ended else None
    first_end: datetime | None = None
    resolved_at: datetime | None = None
    ack: tuple[datetime, str] | None = None
    for index in range(count):
        event = events[index]
        if event.type == "reopened":
            found.append(
                Cycle(
                    len(found) + 1,
                    started_at,
                    index,
                    event.at,
                    ended,
                    ended_at,
                    ended_as,
                    resolved_at,
                    None if ack is None else ack[0],
                    None if ack is None else ack[1],
                )
            )
            started_at, first_end, resolved_at, ack = event.at, None, None, None
            category = _category(ticket, event, statuses)
            ended, ended_at, ended_as = False, None, None
            continue
        open_ = ack is None and first_end is None  # no acknowledgement yet, not ended yet
        if event.type == "acknowledged" and event.path is None and open_:
            ack = (event.at, "acknowledged")
        if event.status is None:
            continue
        after = _category(ticket, event, statuses)
        if after == "in-progress" and category != "in-progress" and open_ and ack is None:
            ack = (event.at, "in-progress")
        if after in ENDED and category not in ENDED:
            ended, ended_at, ended_as = True, event.at, after
            if first_end is None:
                first_end = event.at
            if after in FIXED and resolved_at is None:
                resolved_at = event.at
        elif after not in ENDED and category in ENDED:
            ended, ended_at, ended_as = False, None, None
        category = after
    found.append(
        Cycle(
            len(found) + 1,
            started_at,
            None,
            now,
            ended,
            ended_at,
            ended_as,
            resolved_at,
            None if ack is None else ack[0],
            None if ack is None else ack[1],
        )
    )
    return tuple(found)


def signals(
    ticket: Ticket, statuses: StatusTable | None
) -> tuple[tuple[datetime, str | None], ...]:
    """Every acknowledgement signal of ``ticket``, oldest first, as ``(instant, path)``: each
    ``acknowledged`` event (``path``: the path whose page it answers, ``None`` for the
    ticket's) and each move into a status of the in-progress category other than a reopen
    (``path`` ``None``): what :func:`cycles` takes the acknowledgement from, every time."""
    found: list[tuple[datetime, str | None]] = []
    category = _initial(ticket, statuses)
    for event in ticket.events:
        if event.type == "acknowledged":
            found.append((event.at, event.path))
        if event.status is None:
            continue
        after = _category(ticket, event, statuses)
        if after == "in-progress" and category != "in-progress" and event.type != "reopened":
            found.append((event.at, None))
        category = after
    return tuple(found)


def deciding_policy(decision: Decision, policy: Policy) -> Policy:
    """The compiled policy that made ``decision``: ``policy`` itself, or its segment's variant;
    an :class:`~escalate.errors.ArgumentError` naming the ticket and both policies when another
    policy (or another version or content of it) made the decision."""
    if decision.policy_id != policy.id or decision.policy_hash != policy.content_hash:
        raise ArgumentError(
            f"ticket {decision.ticket_id!r} was decided by policy {decision.policy_id!r} "
            f"version {decision.policy_version!r} (content {decision.policy_hash[:12]}), not "
            f"by the policy given, {policy.id!r} version {policy.version!r} (content "
            f"{policy.content_hash[:12]}): read decisions with the policy that made them"
        )
    if decision.segment is None:
        return policy
    for segment in policy.segments:
        if segment.id == decision.segment:
            return cast(Policy, segment.policy)
    raise ArgumentError(  # pragma: no cover - a policy with the same content has the segment
        f"ticket {decision.ticket_id!r} was decided by segment {decision.segment!r}, which "
        f"policy {policy.id!r} does not have"
    )


def path_defs(policy: PolicyView | None) -> Mapping[str, PathDef]:
    """The paths of ``policy`` by name (none without a policy)."""
    return {} if policy is None else {p.name: p for p in policy.paths}


def level_key(defs: Mapping[str, PathDef], path: str, index: int) -> str:
    """``path/level``: the level's name in the deciding policy, ``#index`` when it has none."""
    definition = defs.get(path)
    if definition is not None and index < len(definition.levels):
        return f"{path}/{definition.levels[index].name}"
    return f"{path}/#{index}"


def escalations(
    decision: Decision, defs: Mapping[str, PathDef]
) -> tuple[tuple[str, int, datetime], ...]:
    """The escalations of ``decision``'s cycle as ``(path, level index, instant)``, by path
    then instant (see the module docstring). ``defs`` are the deciding policy's paths; a path
    it does not describe is read as starting on open (its first entry is no escalation)."""
    found: list[tuple[str, int, datetime]] = []
    for name, state in decision.paths.items():
        if state.kind != "vertical" or not state.history:
            continue
        definition = defs.get(name)
        on_trigger = definition is not None and not definition.starts_on_open
        before: int | None = None
        for entered_at, index in state.history:
            if (before is None and on_trigger) or (before is not None and index > before):
                found.append((name, index, entered_at))
            before = index
    return tuple(found)


def _cut(ticket: Ticket, count: int) -> Ticket:
    """``ticket`` as it stood after its first ``count`` events (every field as they left
    it), also when later events share the last one's instant."""
    events = ticket.events
    if count == 0 or events[count - 1].at < events[count].at:
        return ticket_as_of(ticket, count)
    first = bisect.bisect_left([e.at for e in events], events[count - 1].at)
    return ticket_as_of(ticket, first).with_events(events[first:count])


def cycle_decisions(decision: Decision, policy: Policy) -> tuple[tuple[Cycle, Decision], ...]:
    """Each cycle of ``decision``'s ticket with the decision that describes it: for a cycle
    a reopen ended, ``policy`` (the one that made ``decision``, see :func:`deciding_policy`)
    evaluated at the reopen's instant on the ticket as it stood just before it; for the
    current cycle, ``decision`` itself. The earlier cycles are evaluated without an
    ``availability`` (the one ``decision`` was made with is not known here): where a level's
    ``on_empty`` skips people who were out, such a cycle reads as if everyone was in."""
    ticket, now = decision.ticket, decision.evaluated_at
    found = cycles(ticket, policy.statuses, now)
    out: list[tuple[Cycle, Decision]] = []
    for cycle in found[:-1]:
        stop = cast(int, cycle.stop)
        try:
            earlier = policy.evaluate(_cut(ticket, stop), now=cycle.closed_at)
        except EscalateError as error:
            error.add_note(f"ticket {ticket.id!r}, its cycle {cycle.number} (before a reopen)")
            raise
        out.append((cycle, earlier))
    out.append((found[-1], decision))
    return tuple(out)


def tickets_of(tickets: Iterable[Ticket | Mapping[str, object]]) -> list[Ticket]:
    """``tickets`` as :class:`Ticket` values (a mapping read with ``Ticket.from_mapping``);
    a bad one is a :class:`~escalate.errors.TicketError` naming its place and id; a ticket id
    given twice an :class:`~escalate.errors.ArgumentError` (see :func:`unique`)."""
    out: list[Ticket] = []
    for number, item in enumerate(tickets):
        try:
            out.append(Ticket.coerce(item))
        except TicketError as error:
            given = item.get("id") if isinstance(item, Mapping) else None
            where = f"item {number}" + (f" (ticket {given!r})" if given is not None else "")
            raise TicketError(
                f"{where}: {error.message}", path=error.path, value=error.value
            ) from None
    unique((t.id, t.opened_at) for t in out)
    return out


def unique(ids: Iterable[tuple[str, datetime]]) -> None:
    """Refuse a ticket id given twice: ``ids`` are ``(ticket id, opened_at)`` pairs; an
    :class:`~escalate.errors.ArgumentError` names the id and both openings (two exports
    merged, or an id reused: every count would take the two for one ticket, or two)."""
    seen: dict[str, datetime] = {}
    for ticket_id, opened_at in ids:
        if ticket_id in seen:
            first, second = sorted((seen[ticket_id], opened_at))
            raise ArgumentError(
                f"ticket id {ticket_id!r} appears twice (opened {first.isoformat()} and "
                f"{second.isoformat()}): give each ticket once, under one id"
            )
        seen[ticket_id] = opened_at
