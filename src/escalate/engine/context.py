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

__all__ = ["Context", "prepare", "stamp"]

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

    def acks_for(self, path: str) -> tuple[datetime, ...]:
        """The acknowledgements that answer path ``path``'s pages, in time order."""
        return self.path_acks.get(path, self.acks)


def prepare(
    policy: PolicyView, ticket: Ticket, now: datetime, availability: Availability
) -> Context:
    """Check that ``now`` is an aware instant not before the ticket's history (kept in UTC from
    here on, like the ticket's instants); fold what the stages read."""
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
    _check_overrides(policy, ticket)
    state = ticket.state_at(now)
    steps, status_of = _steps(policy, ticket)
    resolved = status_of[state.status][1] in ENDED
    # When the ticket last ended (resolved, closed or cancelled) and stayed so: this stops
    # every path timer. A ticket that arrives ended, without status events, ended at once.
    ended_at: datetime | None = None
    if resolved:
        ended = policy.statuses.ended
        ended_at = steps[0][0]
        for at, _, before, after in steps:
            if after in ended and before not in ended:
                ended_at = at
    done_at: dict[str, datetime] = {}
    acks: list[datetime] = []
    named: dict[str, list[datetime]] = {}
    cycle_start = ticket.opened_at
    for event in ticket.events:
        if event.type == "action-done" and event.action_id is not None:
            done_at.setdefault(event.action_id, event.at)
        elif event.type == "acknowledged":
            if event.path is None:
                acks.append(event.at)
            else:
                named.setdefault(event.path, []).append(event.at)
        elif event.type == "reopened":
            cycle_start = event.at
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
        directory=policy.directory,
        state=state,
        priority=policy.priority_of(ticket, state.priority),
        steps=steps,
        status_of=status_of,
        resolved=resolved,
        ended_at=ended_at,
        done_at=done_at,
        acks=tuple(acks),
        cycle_start=cycle_start,
        path_acks=path_acks,
    )


def _check_overrides(policy: PolicyView, ticket: Ticket) -> None:
    """Every ``override`` event names a path and a level the policy has; every
    acknowledgement that names a path names one the policy has."""
    levels = {path.name: [level.name for level in path.levels] for path in policy.paths}
    for event in ticket.events:
        acknowledgement = event.type == "acknowledged" and event.path is not None
        if event.type != "override" and not acknowledgement:
            continue
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


def _steps(
    policy: PolicyView, ticket: Ticket
) -> tuple[tuple[Step, ...], dict[str, tuple[str, str]]]:
    """The creation and every event, with the (canonical) status before and after each; and
    each status spelling the ticket uses (``new`` included: a ticket starts in it) mapped to
    the policy's canonical status and its category, one lookup per distinct spelling. A status
    the policy does not know, an event whose status is of the wrong category, or a given
    ``status`` that is not the one the history leaves, is a TicketError naming the event (or
    ``status``)."""
    table = policy.statuses
    initial = table.initial or table.resolve("new", ("status",))  # raises: no 'new' status
    status_of = {"new": initial}
    events = ticket.events
    raw = ticket.status
    if any(e.status is not None for e in events):
        status = status_of["new"][0]
    else:  # the ticket's own status holds throughout
        found = status_of[raw] = table.resolve(raw, ("status",))
        status = found[0]
    steps: list[Step] = [(ticket.opened_at, "created", status, status)]
    last: Event | None = None
    for event in events:
        kind = event.type
        spelled = event.status
        if spelled is None:
            after = status
        else:
            found = status_of.get(spelled)  # type: ignore[assignment]
            if found is None:
                found = status_of[spelled] = table.resolve(
                    spelled, ("events", event.index, "status")
                )
            after = found[0]
            fits = _FITS.get(kind)
            if fits is not None and found[1] not in fits:
                _wrong_category(policy, event, found)
            last = event
        before, status = status, after
        if kind == "created":
            continue  # the creation step above stands for it
        if kind == "acknowledged" and event.path is not None:
            continue  # answers one path's page: not the ticket's acknowledgement for clocks
        steps.append((event.at, kind, before, after))
    if last is not None:
        given = status_of.get(raw)
        if given is None:
            given = status_of[raw] = table.resolve(raw, ("status",))
        if given[0] != status:
            raise TicketError(
                f"status disagrees with the history: events[{last.index}] ({last.type}) "
                f"leaves it {status!r} in policy {policy.id!r}",
                path=("status",),
                value=raw,
            )
    return tuple(steps), status_of


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
