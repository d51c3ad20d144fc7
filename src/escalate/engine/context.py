"""The inputs of one evaluation, checked, and what every stage reads of the history.

:func:`prepare` runs first: it checks ``now`` against the ticket, folds the ticket as of
``now`` and makes the one pass over the events that the later stages look things up in
(recorded actions, acknowledgements, the current cycle's start, when the ticket ended). It
also maps the ticket's statuses to the policy's canonical ones (``Context.status_of``):
every later stage sees canonical statuses, and "ended" means a status of an ended category.

An acknowledgement that names no path answers the page of every path; one that names a path
(a vendor's, another team's) answers that path's page only, and clocks do not see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from escalate.calendars._instants import checked_utc
from escalate.engine.clocks import Step
from escalate.engine.rules import PolicyView
from escalate.engine.statuses import CATEGORIES, ENDED
from escalate.engine.ticket import Event, Ticket, TicketState
from escalate.errors import TicketError, suggest
from escalate.people.availability import Availability
from escalate.people.directory import Directory

__all__ = ["Context", "HistoryPass", "prepare", "stamp"]

_NO_NAMED_ACKS: Mapping[str, tuple[datetime, ...]] = MappingProxyType({})
# Event types that set a status of one category (reopened: any category but the ended ones).
_EVENT_CATEGORY = {"resolved": "resolved", "closed": "closed"}
_FITS = {
    "resolved": frozenset({"resolved"}),
    "closed": frozenset({"closed"}),
    "reopened": frozenset(CATEGORIES) - ENDED,
}


@dataclass(frozen=True, slots=True)
class Context:
    """One evaluation's inputs and the facts of its history that every stage looks up."""

    policy: PolicyView
    ticket: Ticket
    now: datetime
    availability: Availability
    directory: Directory
    state: TicketState  # the ticket as of now
    priority: str | None  # canonical, as of now
    steps: tuple[Step, ...]  # the creation and every event, with the canonical status around it
    # The ticket's status spellings -> the policy's canonical status and its category.
    status_of: dict[str, tuple[str, str]]
    resolved: bool  # ended (a status of category resolved, closed or cancelled) at now
    ended_at: datetime | None  # when it last ended and stayed so
    done_at: dict[str, datetime]  # action id -> first action-done event for it
    acks: tuple[datetime, ...]  # every acknowledgement that names no path
    cycle_start: datetime  # the opening, or the last reopen
    # path name -> the acknowledgements that hold it (those naming it and those naming no
    # path, in time order); only paths some acknowledgement names
    path_acks: Mapping[str, tuple[datetime, ...]]
    history: HistoryPass  # the pass the fields above come from (a replay continues it)

    def acks_for(self, path: str) -> tuple[datetime, ...]:
        """The acknowledgements that answer path ``path``'s pages, in time order."""
        return self.path_acks.get(path, self.acks)


def prepare(
    policy: PolicyView,
    ticket: Ticket,
    now: datetime,
    availability: Availability,
    base: HistoryPass | None = None,
    directory: Directory | None = None,
) -> Context:
    """Check that ``now`` is an aware instant not before the ticket's history (kept in UTC from
    here on, like the ticket's instants); fold what the stages read.

    ``base``, when given, is the :class:`HistoryPass` of an earlier evaluation of a ticket
    this one grew from (:class:`~escalate.engine.incremental.TicketReplay`): the pass over
    the history continues from it when it can (``Context.history`` is the pass made here).

    ``directory`` stands in for ``policy.directory`` (a sweep's, sharing resolutions between
    tickets)."""
    now = checked_utc(now, "now")
    if ticket.events and ticket.events[-1].at > now:
        raise TicketError(
            f"event after now ({now.isoformat()}); evaluate with the history known at now",
            path=("events", len(ticket.events) - 1, "at"),
            value=ticket.events[-1].at.isoformat(),
        )
    if ticket.opened_at > now:
        raise TicketError(
            f"ticket opened after now ({now.isoformat()})",
            path=("opened_at",),
            value=ticket.opened_at.isoformat(),
        )
    history = HistoryPass.of(policy, ticket, base)
    state = ticket.state_at(now)
    steps, status_of = history.steps_and_statuses(policy, ticket)
    resolved = status_of[state.status][1] in ENDED
    # When the ticket last ended (resolved, closed or cancelled) and stayed so: this stops
    # every path timer. A ticket that arrives ended, without status events, ended at once.
    ended_at = history.ended_at if resolved else None
    acks = history.acks
    named = history.named
    path_acks: Mapping[str, tuple[datetime, ...]] = _NO_NAMED_ACKS
    if named:  # both lists are in time order already
        path_acks = MappingProxyType(
            {name: tuple(sorted(acks + own)) for name, own in named.items()}
        )
    return Context(
        policy=policy,
        ticket=ticket,
        now=now,
        availability=availability,
        directory=policy.directory if directory is None else directory,
        state=state,
        priority=policy.priority_of(ticket, state.priority),
        steps=steps,
        status_of=status_of,
        resolved=resolved,
        ended_at=ended_at,
        done_at=dict(history.done_at),
        acks=tuple(acks),
        cycle_start=history.cycle_start,
        path_acks=path_acks,
        history=history,
    )


class HistoryPass:
    """The one pass over a ticket's history that :func:`prepare` makes for a policy: the
    overrides and path acknowledgements checked, the steps with canonical statuses, the
    status spellings, recorded actions, acknowledgements, the current cycle's start and when
    the ticket last ended.

    :meth:`of` continues the pass of a ticket this one grew from (the same policy, the same
    first events, the same start) over the new events only; anything else is passed anew.
    A pass is never changed once made: a longer one copies what it extends.
    """

    __slots__ = (
        "acks",
        "cycle_start",
        "done_at",
        "ended_at",
        "events",
        "key",
        "last",
        "last_status",
        "named",
        "policy",
        "seen",
        "status",
        "steps",
    )

    policy: PolicyView
    events: int  # how many events the pass went over
    last: Event | None  # the last of them (a longer history holds this very event)
    key: tuple[object, ...]  # what the start of the pass depends on
    steps: list[Step]
    seen: dict[str, tuple[str, str]]  # status spellings -> canonical status and category
    status: str  # the canonical status after the events
    last_status: Event | None
    ended_at: datetime  # when the ticket last entered an ended status (or the opening)
    done_at: dict[str, datetime]
    acks: list[datetime]
    named: dict[str, list[datetime]]
    cycle_start: datetime

    @classmethod
    def of(cls, policy: PolicyView, ticket: Ticket, base: HistoryPass | None) -> HistoryPass:
        """The pass over ``ticket``'s history: ``base`` continued when it is the pass of the
        first events of this very history for this policy with the same start."""
        events = ticket.events
        any_status = any(e.status is not None for e in events) if base is None else None
        if base is not None:
            n = base.events
            fits = (
                base.policy is policy
                and n <= len(events)
                and (n == 0 or events[n - 1] is base.last)
                and base.steps[0][0] == ticket.opened_at
            )
            if fits:
                if base.key[0]:  # a status event: the start is the policy's initial status
                    any_status = True
                else:
                    any_status = any(events[i].status is not None for i in range(n, len(events)))
            if not fits or _key(bool(any_status), ticket) != base.key:
                base, any_status = None, any(e.status is not None for e in events)
        first = 0 if base is None else base.events
        _check_overrides(policy, events, first)
        out = cls()
        out.policy = policy
        out.key = _key(bool(any_status), ticket)
        if base is None:
            table = policy.statuses
            initial = table.initial or table.resolve("new", ("status",))  # raises: no 'new'
            seen = {"new": initial}
            if any_status:
                status = initial[0]
            else:  # the ticket's own status holds throughout
                found = seen[ticket.status] = table.resolve(ticket.status, ("status",))
                status = found[0]
            out.steps = [(ticket.opened_at, "created", status, status)]
            out.seen, out.status, out.last_status = seen, status, None
            out.ended_at = ticket.opened_at
            out.done_at, out.acks, out.named = {}, [], {}
            out.cycle_start = ticket.opened_at
        else:
            out.steps = list(base.steps)
            out.seen, out.status, out.last_status = dict(base.seen), base.status, base.last_status
            out.ended_at = base.ended_at
            out.done_at, out.acks = dict(base.done_at), list(base.acks)
            out.named = {name: list(at) for name, at in base.named.items()}
            out.cycle_start = base.cycle_start
        out._pass(policy, events, first)
        out.events = len(events)
        out.last = events[-1] if events else None
        return out

    def _pass(self, policy: PolicyView, events: tuple[Event, ...], first: int) -> None:
        """Go over ``events[first:]``: steps, statuses, actions, acknowledgements, cycles."""
        table = policy.statuses
        ended = table.ended
        seen, steps = self.seen, self.steps
        status, ended_at, last = self.status, self.ended_at, self.last_status
        done_at, acks, named = self.done_at, self.acks, self.named
        for i in range(first, len(events)):
            event = events[i]
            kind = event.type
            spelled = event.status
            if spelled is None:
                after = status
            else:
                found = seen.get(spelled)
                if found is None:
                    found = seen[spelled] = table.resolve(
                        spelled, ("events", event.index, "status")
                    )
                after = found[0]
                fits = _FITS.get(kind)
                if fits is not None and found[1] not in fits:
                    _wrong_category(policy, event, found)
                last = event
            before, status = status, after
            if kind == "action-done":
                if event.action_id is not None:
                    done_at.setdefault(event.action_id, event.at)
            elif kind == "acknowledged":
                if event.path is None:
                    acks.append(event.at)
                else:
                    named.setdefault(event.path, []).append(event.at)
                    continue  # answers one path's page: not the ticket's acknowledgement
            elif kind == "reopened":
                self.cycle_start = event.at
            elif kind == "created":
                continue  # the creation step stands for it
            elif kind == "milestone":  # triggers name it with its name: milestone:gdpr-aware
                kind = f"milestone:{event.milestone}"
            steps.append((event.at, kind, before, after))
            if after in ended and before not in ended:
                ended_at = event.at
        self.status, self.ended_at, self.last_status = status, ended_at, last

    def steps_and_statuses(
        self, policy: PolicyView, ticket: Ticket
    ) -> tuple[tuple[Step, ...], dict[str, tuple[str, str]]]:
        """The steps and the status spellings as :func:`prepare` hands them on; a TicketError
        when the ticket's given ``status`` is not the one the history leaves."""
        status_of = dict(self.seen)
        last = self.last_status
        if last is not None:
            raw = ticket.status
            given = status_of.get(raw)
            if given is None:
                given = status_of[raw] = policy.statuses.resolve(raw, ("status",))
            if given[0] != self.status:
                raise TicketError(
                    f"status disagrees with the history: events[{last.index}] ({last.type}) "
                    f"leaves it {self.status!r} in policy {policy.id!r}",
                    path=("status",),
                    value=raw,
                )
        return tuple(self.steps), status_of


def _key(any_status: bool, ticket: Ticket) -> tuple[object, ...]:
    """What the start of a pass depends on: whether a status event sets the status (else the
    ticket's own status holds throughout)."""
    return (any_status, None if any_status else ticket.status)


def _check_overrides(policy: PolicyView, events: tuple[Event, ...], first: int) -> None:
    """Every ``override`` event from ``first`` on names a path and a level the policy has;
    every acknowledgement that names a path names one the policy has."""
    levels: dict[str, list[str]] | None = None
    for i in range(first, len(events)):
        event = events[i]
        acknowledgement = event.type == "acknowledged" and event.path is not None
        if event.type != "override" and not acknowledgement:
            continue
        if levels is None:
            levels = {path.name: [level.name for level in path.levels] for path in policy.paths}
        names = levels.get(event.path or "")
        if names is None:
            known = sorted(levels)
            close = suggest(event.path or "", known)
            hint = f"; did you mean {close!r}?" if close else ""
            what = "acknowledgement" if acknowledgement else "override"
            raise TicketError(
                f"{what} names a path policy {policy.id!r} does not have"
                f" (paths: {', '.join(known) or 'none'}){hint}",
                path=("events", event.index, "path"),
                value=event.path,
            )
        if acknowledgement:
            continue
        if event.level not in names:
            raise TicketError(
                f"override names level {event.level!r}, which path {event.path!r} does "
                f"not have (levels: {', '.join(names)})",
                path=("events", event.index, "level"),
                value=event.level,
            )


def _wrong_category(policy: PolicyView, event: Event, found: tuple[str, str]) -> None:
    """Raise: a ``resolved``/``closed`` event sets a status of its category, ``reopened`` an
    open one."""
    kind = event.type
    status, category = found
    wanted = _EVENT_CATEGORY.get(kind)
    need = f"a status of category {wanted!r}" if wanted else "an open status"
    raise TicketError(
        f"a {kind!r} event sets {need}; policy {policy.id!r} puts {status!r} in "
        f"category {category!r}",
        path=("events", event.index, "status"),
        value=event.status,
    )


def stamp(at: datetime) -> str:
    """A compact UTC stamp for action ids: ``20241120T112000Z`` (µs only when present).

    >>> from datetime import timedelta, timezone
    >>> stamp(datetime(2024, 11, 20, 12, 20, tzinfo=timezone(timedelta(hours=1))))
    '20241120T112000Z'
    """
    u = at.astimezone(UTC)
    text = f"{u.year:04d}{u.month:02d}{u.day:02d}T{u.hour:02d}{u.minute:02d}{u.second:02d}"
    return f"{text}.{u.microsecond:06d}Z" if u.microsecond else text + "Z"
