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
from typing import cast

from escalate.calendars._instants import checked_utc
from escalate.engine.clocks import Step
from escalate.engine.rules import PolicyView
from escalate.engine.statuses import ENDED
from escalate.engine.ticket import Event, Ticket, TicketState
from escalate.errors import TicketError, suggest
from escalate.people.availability import Availability
from escalate.people.directory import Directory

__all__ = ["ENDED", "Context", "prepare", "stamp"]

_NO_NAMED_ACKS: Mapping[str, tuple[datetime, ...]] = MappingProxyType({})
# Event types that set a status of one category (reopened: any category but the ended ones).
_EVENT_CATEGORY = {"resolved": "resolved", "closed": "closed"}
_CHECKED = frozenset({*_EVENT_CATEGORY, "reopened"})


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
    status_of: dict[str, str]  # the ticket's status spellings -> the policy's canonical status
    category_of: dict[str, str]  # the same spellings -> their category
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
    status_of = _status_map(policy, ticket)
    steps = _steps(ticket, status_of)
    category = policy.statuses.category
    category_of = {raw: category[canonical] for raw, canonical in status_of.items()}
    resolved = category_of[state.status] in ENDED
    # When the ticket last ended (resolved, closed or cancelled) and stayed so: this stops
    # every path timer. A ticket that arrives ended, without status events, ended at once.
    ended_at: datetime | None = None
    if resolved:
        ended = {status_of[raw] for raw, kind in category_of.items() if kind in ENDED}
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
        category_of=category_of,
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


def _status_map(policy: PolicyView, ticket: Ticket) -> dict[str, str]:
    """Each status spelling the ticket uses (``new`` included: a ticket starts in it), mapped
    to the policy's canonical status: one lookup per distinct spelling. A status the policy
    does not know, or an event whose status is of the wrong category, is a TicketError naming
    the event (or the ticket's ``status``)."""
    table = policy.statuses
    out = {"new": table.canonical("new", ("status",))}
    last: Event | None = None
    for event in ticket.events:
        status = event.status
        if status is None:
            continue
        found = out.get(status)
        if found is None:
            found = out[status] = table.canonical(status, ("events", event.index, "status"))
        kind = event.type
        if kind in _CHECKED:
            category = table.category[found]
            wanted = _EVENT_CATEGORY.get(kind)
            if (category != wanted) if wanted else (category in ENDED):
                need = f"a status of category {wanted!r}" if wanted else "an open status"
                raise TicketError(
                    f"a {kind!r} event sets {need}; policy {policy.id!r} puts {found!r} in "
                    f"category {category!r}",
                    path=("events", event.index, "status"),
                    value=status,
                )
        last = event
    raw = ticket.status
    given = out.get(raw)
    if given is None:
        given = out[raw] = table.canonical(raw, ("status",))
    if last is not None and given != out[cast("str", last.status)]:
        raise TicketError(
            f"status disagrees with the history: events[{last.index}] ({last.type}) leaves it "
            f"{out[cast('str', last.status)]!r} in policy {policy.id!r}",
            path=("status",),
            value=raw,
        )
    return out


def _steps(ticket: Ticket, status_of: dict[str, str]) -> tuple[Step, ...]:
    """The creation and every event, with the (canonical) status before and after each."""
    has_status_events = any(e.status is not None for e in ticket.events)
    status = status_of["new" if has_status_events else ticket.status]
    steps: list[Step] = [(ticket.opened_at, "created", status, status)]
    for event in ticket.events:
        if event.type == "created":
            continue  # the creation step above stands for it
        if event.path is not None and event.type == "acknowledged":
            continue  # answers one path's page: not the ticket's acknowledgement for clocks
        after = status_of[event.status] if event.status is not None else status
        steps.append((event.at, event.type, status, after))
        status = after
    return tuple(steps)


def stamp(at: datetime) -> str:
    """A compact UTC stamp for action ids: ``20241120T112000Z`` (µs only when present).

    >>> from datetime import timedelta, timezone
    >>> stamp(datetime(2024, 11, 20, 12, 20, tzinfo=timezone(timedelta(hours=1))))
    '20241120T112000Z'
    """
    u = at.astimezone(UTC)
    text = f"{u.year:04d}{u.month:02d}{u.day:02d}T{u.hour:02d}{u.minute:02d}{u.second:02d}"
    return f"{text}.{u.microsecond:06d}Z" if u.microsecond else text + "Z"
